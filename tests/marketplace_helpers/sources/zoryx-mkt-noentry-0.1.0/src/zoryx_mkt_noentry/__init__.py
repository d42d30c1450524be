"""A marketplace test plugin whose distribution declares no zoryx.plugins entry point."""
