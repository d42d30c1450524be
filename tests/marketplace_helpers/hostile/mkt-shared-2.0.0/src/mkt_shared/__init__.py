"""A library two plugins need in different versions."""

VERSION = "2.0.0"
