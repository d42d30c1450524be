"""A library distribution that exists only on the test session's package index."""

FACES = 6
