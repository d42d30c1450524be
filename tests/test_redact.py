"""URLs shown to people or written to logs lose their credentials, query strings and fragments."""

from __future__ import annotations

import pytest

from zoryx_core.redact import redact_url, redact_urls


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pass@host.example/c.json?access_token=t0k", "https://***@host.example/c.json?***"),
        ("https://token@host.example:8443/simple/", "https://***@host.example:8443/simple/"),
        ("http://host.example/a#frag", "http://host.example/a#***"),
        ("https://host.example/plain/path", "https://host.example/plain/path"),
        ("file:///srv/catalog.json", "file:///srv/catalog.json"),
        ("/srv/catalog.json?x=1", "/srv/catalog.json?***"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_redact_urls_in_a_message() -> None:
    text = "GET https://u:p@h.example/x?k=1 answered 404; see also http://ok.example/y, or 'ftp://a:b@c/d'."
    assert redact_urls(text) == (
        "GET https://***@h.example/x?*** answered 404; see also http://ok.example/y, or 'ftp://***@c/d'."
    )
