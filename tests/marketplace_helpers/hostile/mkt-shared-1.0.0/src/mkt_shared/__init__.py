"""A library two plugins need in different versions."""

VERSION = "1.0.0"
