"""The one status → exception mapping, its messages and the transient flag."""

from __future__ import annotations

import httpx
import pytest

from bot.forge.errors import (
    BadRequest, Conflict, ForgeConnectionError, ForgeError, ForgeHTTPError, ForgeUnavailable, Forbidden, NotFound,
    RateLimited, Unauthorized, Unsupported, detail_of, error_class, error_for, raise_for_response, redact_url,
    repo_of, retry_after_of,
)

API = "https://gitea.example.com/api/v1"


@pytest.mark.parametrize(("status", "cls", "transient"), [
    (400, BadRequest, False), (401, Unauthorized, False), (403, Forbidden, False), (404, NotFound, False),
    (409, Conflict, False), (412, ForgeHTTPError, False), (422, BadRequest, False), (429, RateLimited, True),
    (500, ForgeUnavailable, True), (502, ForgeUnavailable, True), (503, ForgeUnavailable, True),
    (504, ForgeUnavailable, True),
])
def test_status_maps_to_exception(status: int, cls: type[ForgeHTTPError], transient: bool) -> None:
    error = error_for(status, "GET", f"{API}/repos/acme/widget")
    assert type(error) is cls and error_class(status) is cls
    assert error.status == status and error.transient is transient
    assert isinstance(error, ForgeError)


@pytest.mark.parametrize(("status", "method", "path", "expected"), [
    (401, "GET", "/user", "401 from GET https://gitea.example.com/api/v1/user: check TEABOT_GITEA_TOKEN"),
    (403, "POST", "/repos/acme/widget/labels", "the bot user needs write access to acme/widget"),
    (403, "GET", "/repos/acme/secret/issues", "the bot user needs read access to acme/secret"),
    (403, "POST", "/repos/acme/widget/hooks", "the bot user needs admin access to acme/widget"),
    (404, "GET", "/repos/acme/gone/issues/3", "check that acme/gone exists and that the bot user can see it"),
    (429, "GET", "/repos/acme/widget", "rate limiting"),
    (503, "GET", "/version", "Gitea failed or is unreachable"),
])
def test_messages_say_what_to_fix(status: int, method: str, path: str, expected: str) -> None:
    assert expected in str(error_for(status, method, API + path))


def test_message_carries_giteas_own_words() -> None:
    error = error_for(422, "POST", f"{API}/repos/acme/widget/labels", "[Color]: invalid")
    assert str(error).endswith("(Gitea said: [Color]: invalid)")


def test_other_errors_are_not_transient() -> None:
    assert ForgeConnectionError("down").transient is True
    assert Unsupported("too old").transient is False
    assert ForgeError("x").transient is False


@pytest.mark.parametrize(("url", "expected"), [
    (f"{API}/user?token=s3cret&page=2", f"{API}/user?token=***&page=2"),
    (f"{API}/user?access_token=s3cret", f"{API}/user?access_token=***"),
    (f"{API}/user", f"{API}/user"),
])
def test_credentials_in_urls_are_redacted(url: str, expected: str) -> None:
    assert redact_url(url) == expected
    assert "s3cret" not in str(error_for(401, "GET", url))


@pytest.mark.parametrize(("url", "repo"), [
    (f"{API}/repos/acme/widget/issues/1", "acme/widget"), (f"{API}/repos/o/r", "o/r"), (f"{API}/user", None),
])
def test_repo_of(url: str, repo: str | None) -> None:
    assert repo_of(url) == repo


@pytest.mark.parametrize(("content", "detail"), [
    (b'{"message": "token is required", "url": "x"}', "token is required"),
    (b'{"errors": ["a"], "message": ""}', "['a']"),
    (b"<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
    (b"", ""),
    (b'["odd"]', "['odd']"),
])
def test_detail_of(content: bytes, detail: str) -> None:
    assert detail_of(content) == detail


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"Retry-After": "7"}, 7.0), ({"Retry-After": "0.5"}, 0.5), ({"Retry-After": "-3"}, 0.0),
    ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, None), ({}, None),
])
def test_retry_after_of(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after_of(headers) == seconds


def _response(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("DELETE", f"{API}/repos/acme/widget/issues/9")
    return httpx.Response(status, content=body, headers=headers, request=request)


def test_raise_for_response_passes_successes() -> None:
    for status in (200, 201, 204, 302):
        raise_for_response(_response(status))


def test_raise_for_response_raises_the_mapped_error() -> None:
    with pytest.raises(RateLimited) as caught:
        raise_for_response(_response(429, b'{"message": "slow down"}', {"Retry-After": "3"}))
    assert caught.value.retry_after == 3.0
    assert caught.value.url == f"{API}/repos/acme/widget/issues/9"
    assert "DELETE" in str(caught.value) and "slow down" in str(caught.value)
