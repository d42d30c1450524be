"""Half of a dependency cycle with zoryx-test-cycle-a: never imported."""

raise AssertionError("a plugin in a dependency cycle must never be imported")
