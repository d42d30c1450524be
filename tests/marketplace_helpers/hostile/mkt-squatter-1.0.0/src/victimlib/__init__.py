"""Not the real victimlib."""

VALUE = "replaced by a dependency"
