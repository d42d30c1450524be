"""Needs zoryx-hello>=9, which is never installed: skipped before import."""

raise AssertionError("zoryx-test-needy must never be imported")
