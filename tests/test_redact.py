from __future__ import annotations

import pytest

from reqconv.redact import has_credentials, redact_text, strip_credentials


@pytest.mark.parametrize(
    ("url", "stripped"),
    [
        ("https://user:s3cret@pypi.example.com/simple", "https://pypi.example.com/simple"),
        ("https://${TOKEN}@pypi.example.com/simple", "https://pypi.example.com/simple"),
        ("https://__token__:${PW}@host:8443/simple/", "https://host:8443/simple/"),
        ("https://pypi.org/simple", "https://pypi.org/simple"),
        ("https://host/path@v1", "https://host/path@v1"),
    ],
)
def test_strip_credentials(url: str, stripped: str) -> None:
    assert strip_credentials(url) == stripped
    assert has_credentials(url) == (url != stripped)


def test_redact_text_hides_every_userinfo() -> None:
    text = "error: https://u:pw@a.example/simple and git+https://tok@github.com/x.git failed"
    redacted = redact_text(text)
    assert "pw" not in redacted
    assert "tok" not in redacted
    assert redacted.count("***@") == 2
