"""A library that carries victimlib's files."""

VERSION = "1.0.0"
