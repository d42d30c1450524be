"""Needs a zoryx-core from the future: skipped before import."""

raise AssertionError("zoryx-test-future must never be imported")
