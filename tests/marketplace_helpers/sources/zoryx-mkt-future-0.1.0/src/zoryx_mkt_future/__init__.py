"""A marketplace test plugin that declares a zoryx-core major version that does not exist yet."""
