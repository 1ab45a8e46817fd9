"""Errors of the Gitea boundary, and the one mapping from an HTTP status to an exception.

    ForgeError                      anything that went wrong talking to Gitea
    ├── Unsupported                 the server is too old for the feature (see Capabilities)
    ├── ForgeConnectionError        connect error or timeout                      (transient)
    └── ForgeHTTPError(status, url, message)
        ├── BadRequest              400, 422: the request was wrong
        ├── Unauthorized            401: the token is missing, wrong or expired
        ├── Forbidden               403: the bot user lacks a permission
        │   └── RunsListForbidden   403 on Gitea 1.25's owner-only runs list
        ├── NotFound                404
        │   ├── EmptyRepository     the repository has no commits yet (its default branch 404s)
        │   └── DependenciesDisabled  the repository's issue dependencies are switched off
        ├── Conflict                409
        ├── RateLimited             429                                           (transient)
        ├── ForgeUnavailable        5xx                                           (transient)
        └── DependencyRejected      Gitea's 500 for a duplicate or two-issue-cycle dependency
            ├── DependencyExists    the issues are already linked this way
            └── DependencyCycle     the other issue already depends on this one

`transient` says whether trying again later may succeed; jobs use it to decide on a retry.
Messages say what to fix and never contain the token.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    import httpx

SECRET_PARAMS = frozenset({"token", "access_token", "sudo"})


class ForgeError(Exception):
    """Something went wrong talking to Gitea."""

    transient: bool = False


class Unsupported(ForgeError):
    """The Gitea server is too old for the requested feature."""


class ForgeConnectionError(ForgeError):
    """Gitea could not be reached, or did not answer in time."""

    transient = True


class ForgeHTTPError(ForgeError):
    """Gitea answered with an error status."""

    def __init__(self, status: int, url: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.url = url
        self.message = message

    @property
    def transient(self) -> bool:  # type: ignore[override]
        """5xx and 429 may pass; other statuses will not."""
        return self.status >= 500 or self.status == 429


class BadRequest(ForgeHTTPError):
    """400 or 422: Gitea rejected the request's content."""


class Unauthorized(ForgeHTTPError):
    """401: the token is missing, wrong or expired."""


class Forbidden(ForgeHTTPError):
    """403: the bot user may not do this."""


class NotFound(ForgeHTTPError):
    """404: no such object, or not visible to the bot user."""


class Conflict(ForgeHTTPError):
    """409: the object already exists or changed meanwhile."""


class RateLimited(ForgeHTTPError):
    """429: too many requests; `retry_after` seconds is Gitea's hint, when given."""

    def __init__(self, status: int, url: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(status, url, message)
        self.retry_after = retry_after


class ForgeUnavailable(ForgeHTTPError):
    """5xx: Gitea (or a proxy in front of it) failed."""


class RunsListForbidden(Forbidden):
    """403 from `GET …/actions/runs` on Gitea 1.25, where only the owner or a site admin may list runs."""


class EmptyRepository(NotFound):
    """The repository has no commits: its default branch, contents and trees answer 404."""


class DependenciesDisabled(NotFound):
    """The repository's issue tracker or its dependency feature is off, so dependency routes 404."""


class DependencyRejected(ForgeHTTPError):
    """Gitea refused to link two issues (they already are, or they would block each other).

    routers/api/v1/repo/issue_dependency.go `createIssueDependency` (v1.25.4) answers every error of
    models/issues/dependency.go `CreateIssueDependency` (ErrDependencyExists, ErrCircularDependency)
    with a 500, so the error is not transient although the status is 5xx.
    """

    transient = False  # type: ignore[assignment]


class DependencyExists(DependencyRejected):
    """The dependency is already there (safe to ignore)."""


class DependencyCycle(DependencyRejected):
    """The dependency would make two issues block each other."""


_BY_STATUS: dict[int, type[ForgeHTTPError]] = {
    400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound,
    409: Conflict, 422: BadRequest, 429: RateLimited,
}

_HINTS: dict[type[ForgeHTTPError], str] = {
    Unauthorized: "check TEABOT_GITEA_TOKEN: it must be a valid, unexpired token of the bot user",
    Forbidden: "the bot user needs {access} access to {repo}",
    NotFound: "check that {repo} exists and that the bot user can see it",
    RateLimited: "Gitea is rate limiting the bot user; try again later",
    ForgeUnavailable: "Gitea failed or is unreachable behind its proxy; try again later",
}


def error_class(status: int) -> type[ForgeHTTPError]:
    """The exception class for an error status."""
    if status >= 500:
        return ForgeUnavailable
    return _BY_STATUS.get(status, ForgeHTTPError)


def redact_url(url: str) -> str:
    """`url` with any credential query parameter replaced by `***`."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def repo_of(url: str) -> str | None:
    """The "owner/name" an API URL is about, if any."""
    match = re.search(r"/repos/([^/?#]+)/([^/?#]+)", url)
    return f"{match[1]}/{match[2]}" if match else None


def error_for(
    status: int, method: str, url: str, detail: str = "", retry_after: float | None = None
) -> ForgeHTTPError:
    """Build the exception for an error answer, with a message saying what to fix."""
    cls = error_class(status)
    url = redact_url(url)
    repo = repo_of(url) or "the repository"
    access = "write" if method.upper() != "GET" else "read"
    if "/hooks" in url:
        access = "admin"
    text = f"{status} from {method.upper()} {url}"
    hint = _HINTS.get(cls)
    if hint:
        text += ": " + hint.format(repo=repo, access=access)
    if detail:
        text += f" (Gitea said: {detail})"
    if cls is RateLimited:
        return RateLimited(status, url, text, retry_after)
    return cls(status, url, text)


def detail_of(content: bytes) -> str:
    """Gitea's own error message from an error body (`{"message": ...}`), shortened."""
    try:
        body = json.loads(content)
    except ValueError:
        body = content.decode("utf-8", "replace")
    if isinstance(body, dict):
        body = body.get("message") or body.get("errors") or ""
    return str(body).strip()[:300]


def retry_after_of(headers: httpx.Headers | dict[str, str]) -> float | None:
    """Seconds from a `Retry-After` header given as a number (dates are ignored)."""
    value = headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def error_from_response(response: httpx.Response) -> ForgeHTTPError:
    """The exception for an error response (already read)."""
    return error_for(
        response.status_code,
        response.request.method,
        str(response.request.url),
        detail_of(response.content),
        retry_after_of(response.headers),
    )


def raise_for_response(response: httpx.Response) -> None:
    """Raise the matching ForgeHTTPError when `response` (already read) is an error."""
    if response.status_code >= 400:
        raise error_from_response(response)
