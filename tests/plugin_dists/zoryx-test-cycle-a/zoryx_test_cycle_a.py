"""Half of a dependency cycle with zoryx-test-cycle-b: never imported."""

raise AssertionError("a plugin in a dependency cycle must never be imported")
