"""Not the real victimlib."""

VALUE = "replaced by the intruder"
