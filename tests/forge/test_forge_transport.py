"""Retries, backoff, pagination and streaming of the client's HTTP edge."""

from __future__ import annotations

import httpx
import pytest

from harness.fake_gitea import FakeGitea
from bot.forge import GiteaClient
from bot.forge.errors import (
    BadRequest, ForgeConnectionError, ForgeError, ForgeUnavailable, NotFound, RateLimited, Unauthorized,
)
from bot.forge.transport import Transport, clean_params, next_page

REPO = "acme/widget"  # seeded by the `fake` fixture in conftest.py
BOT_TOKEN = "bot-token-0123456789abcdef"


@pytest.mark.parametrize(("link", "page"), [
    ('<https://g/api/v1/repos/o/r/issues?limit=50&page=3>; rel="next",<https://g/x?page=9>; rel="last"', 3),
    ('<https://g/x?page=1>; rel="first",<https://g/x?state=open&page=4>; rel="next"', 4),
    ('<https://g/x?page=9>; rel="last"', None),
    ('<https://g/x?limit=5>; rel="next"', None),
    ("", None), (None, None),
])
def test_next_page(link: str | None, page: int | None) -> None:
    assert next_page(link) == page


def test_clean_params() -> None:
    assert clean_params({"a": None, "b": True, "c": False, "d": 3, "e": "x"}) == {"b": "true", "c": "false",
                                                                                   "d": 3, "e": "x"}
    assert clean_params(None) == {}


def test_get_is_retried_on_5xx_with_exponential_backoff(forge: GiteaClient, fake: FakeGitea,
                                                        sleeps: list[float]) -> None:
    fake.fail_next("GET", f"/repos/{REPO}", status=502, times=2)
    assert forge.get_repo(REPO)["name"] == "widget"
    assert sleeps == [0.5, 1.0]
    assert [c.status for c in fake.calls("GET", f"/repos/{REPO}")] == [502, 502, 200]


def test_retries_give_up_with_the_last_error(forge: GiteaClient, fake: FakeGitea, sleeps: list[float]) -> None:
    fake.fail_next("GET", "/user", status=503, times=10)
    with pytest.raises(ForgeUnavailable) as caught:
        forge.current_user()
    assert caught.value.transient and len(fake.calls("GET", "/user")) == 4 and sleeps == [0.5, 1.0, 2.0]


def test_429_honours_retry_after_even_for_posts(forge: GiteaClient, fake: FakeGitea, sleeps: list[float]) -> None:
    number = fake.add_issue(REPO, "Epic", author="alice")
    fake.fail_next("POST", rf"/repos/{REPO}/issues/\d+/comments", status=429, retry_after=7)
    assert forge.create_comment(REPO, number, "hello")["body"] == "hello"
    assert sleeps == [7.0]
    assert len(fake.state.repos[REPO].comments) == 1


def test_retry_after_is_capped(forge: GiteaClient, fake: FakeGitea, sleeps: list[float]) -> None:
    fake.fail_next("GET", "/version", status=429, retry_after=3600)
    forge.version()
    assert sleeps == [60.0]


def test_post_is_not_retried_on_5xx(forge: GiteaClient, fake: FakeGitea, sleeps: list[float]) -> None:
    fake.fail_next("POST", f"/repos/{REPO}/issues", status=500)
    with pytest.raises(ForgeUnavailable):
        forge.create_issue(REPO, "once only")
    assert sleeps == [] and len(fake.calls("POST", f"/repos/{REPO}/issues")) == 1


def test_posts_declared_safe_are_retried_on_5xx(forge: GiteaClient, fake: FakeGitea, sleeps: list[float]) -> None:
    number = fake.add_issue(REPO, "Story", author="alice")
    label = fake.add_label(REPO, "type/story")
    fake.fail_next("POST", rf"/repos/{REPO}/issues/{number}/labels", status=500)
    assert [lb["id"] for lb in forge.add_labels(REPO, number, [label])] == [label]
    assert sleeps == [0.5]


@pytest.mark.parametrize(("status", "error"), [(400, BadRequest), (401, Unauthorized), (404, NotFound),
                                                (422, BadRequest)])
def test_4xx_is_never_retried(forge: GiteaClient, fake: FakeGitea, sleeps: list[float], status: int,
                              error: type[ForgeError]) -> None:
    fake.fail_next("*", f"/repos/{REPO}", status=status)
    with pytest.raises(error):
        forge.get_repo(REPO)
    assert sleeps == [] and len(fake.calls("GET", f"/repos/{REPO}")) == 1


class Flaky(httpx.BaseTransport):
    """Raises `error` for the first `times` requests, then hands requests to the fake."""

    def __init__(self, fake: FakeGitea, error: type[httpx.TransportError], times: int) -> None:
        self.inner = httpx.WSGITransport(app=fake.app)
        self.error, self.times, self.sent = error, times, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        if self.sent <= self.times:
            raise self.error("boom", request=request)
        return self.inner.handle_request(request)


def flaky_client(fake: FakeGitea, error: type[httpx.TransportError], times: int,
                 sleeps: list[float]) -> tuple[GiteaClient, Flaky]:
    transport = Flaky(fake, error, times)
    http = httpx.Client(base_url=fake.api_url, transport=transport, headers={"Authorization": f"token {BOT_TOKEN}"})
    return GiteaClient(http, retries=2, backoff=0.1, sleep=sleeps.append), transport


def test_connect_errors_are_retried_even_for_posts(fake: FakeGitea, sleeps: list[float]) -> None:
    forge, transport = flaky_client(fake, httpx.ConnectError, 2, sleeps)
    assert forge.create_issue(REPO, "made it")["number"] == 1
    assert transport.sent == 3 and sleeps == [0.1, 0.2]


def test_read_timeouts_are_retried_for_gets_only(fake: FakeGitea, sleeps: list[float]) -> None:
    forge, _ = flaky_client(fake, httpx.ReadTimeout, 1, sleeps)
    assert forge.version() == "1.26.1"
    forge, transport = flaky_client(fake, httpx.ReadTimeout, 1, sleeps)
    with pytest.raises(ForgeConnectionError, match="TEABOT_GITEA_URL"):
        forge.create_issue(REPO, "may have been received")
    assert transport.sent == 1


def test_unreachable_gitea_is_a_transient_connection_error(fake: FakeGitea, sleeps: list[float]) -> None:
    forge, transport = flaky_client(fake, httpx.ConnectError, 99, sleeps)
    with pytest.raises(ForgeConnectionError) as caught:
        forge.current_user()
    assert caught.value.transient and transport.sent == 3


def test_token_never_appears_in_errors(fake: FakeGitea, forge: GiteaClient, sleeps: list[float]) -> None:
    messages = []
    for status in (400, 401, 403, 404, 409, 422, 429, 500):
        fake.fail_next("*", "/user", status=status, times=4 if status in (429, 500) else 1)
        with pytest.raises(ForgeError) as caught:
            forge.current_user()
        messages.append(str(caught.value))
    flaky, _ = flaky_client(fake, httpx.ConnectError, 99, sleeps)
    with pytest.raises(ForgeError) as caught:
        flaky.current_user()
    messages.append(str(caught.value))
    assert len(messages) == 9 and not any(BOT_TOKEN in m for m in messages)
    assert "TEABOT_GITEA_TOKEN" in messages[1]


def test_pagination_falls_back_to_x_total_count(sleeps: list[float]) -> None:
    items = list(range(7))

    def pages(request: httpx.Request) -> httpx.Response:
        page, limit = int(request.url.params["page"]), int(request.url.params["limit"])
        limit = min(limit, 3)  # the server caps the page size below what was asked
        return httpx.Response(200, json=items[(page - 1) * limit: page * limit], headers={"X-Total-Count": "7"})

    transport = Transport(httpx.Client(base_url="http://g/api/v1", transport=httpx.MockTransport(pages)))
    assert transport.paginate("/things") == items


def test_pagination_stops_without_next_or_total(sleeps: list[float]) -> None:
    calls = []

    def one_page(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.params["page"])
        return httpx.Response(200, json=[1, 2])

    transport = Transport(httpx.Client(base_url="http://g/api/v1", transport=httpx.MockTransport(one_page)))
    assert transport.paginate("/things") == [1, 2] and calls == ["1"]


def test_job_log_errors_surface_before_streaming(forge: GiteaClient, fake: FakeGitea) -> None:
    with pytest.raises(ForgeUnavailable):  # Gitea up to 1.26 answers an unknown job's log with a 500
        forge.job_log(REPO, 12345)
    fake.fail_next("GET", r".*/logs", status=500, times=1)
    run_id = fake.add_run(REPO, conclusion="failure", jobs=[{"name": "test", "log": "boom\n"}])
    job_id = fake.state.repos[REPO].runs[run_id].jobs[0].id
    assert b"boom" in b"".join(forge.job_log(REPO, job_id))


def test_rate_limited_error_keeps_the_hint(forge: GiteaClient, fake: FakeGitea) -> None:
    fake.fail_next("GET", "/version", status=429, times=10, retry_after=2)
    with pytest.raises(RateLimited) as caught:
        forge.version()
    assert caught.value.retry_after == 2.0
