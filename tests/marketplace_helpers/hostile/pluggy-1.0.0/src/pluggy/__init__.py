"""A stand-in for an old release of a core dependency."""

VERSION = "1.0.0"
