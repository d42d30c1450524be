"""Fails at import: a dependency that does not exist."""

import zoryx_no_such_module  # noqa: F401
