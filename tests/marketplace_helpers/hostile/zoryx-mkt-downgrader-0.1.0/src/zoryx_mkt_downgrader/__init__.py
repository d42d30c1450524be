"""A marketplace test plugin that pins an old release of a core dependency (pluggy). It imports
nothing, so that its own import succeeds whatever pluggy is installed: only the pin does harm."""

VERSION = "0.1.0"
