"""mkt-tinylib as an attacker publishes it on another index."""

WORD = "evil"
