"""A library distribution that exists only on the test session's local package index."""

WORD = "tiny"
