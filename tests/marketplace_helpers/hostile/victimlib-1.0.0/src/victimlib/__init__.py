"""A library that marketplace wheels must never overwrite."""

VALUE = "victim"
