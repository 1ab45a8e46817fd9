"""The WSGI application of the fake Gitea test harness: routing, auth, scopes, recording, failures.

Behaves like Gitea's API (routers/api/v1/api.go @v1.25.4): tokens and basic auth as in `auth.py`;
writes need a signed-in caller (`reqToken`: 401 "token is required"); token scopes per route group
(`tokenRequiresScopes`); private repositories are invisible (404) without read access
(`repoAssignment`), missing write/admin access is 403; errors are `{"message", "url"}`
(services/context/api.go `APIError`); lists are paged with `page` and `limit` (default 30, at most
50: setting.API) and carry `Link` and `X-Total-Count` (`SetLinkHeader`, `SetTotalCountHeader`).
Routes a release lacks answer 404 like an unknown path (see `profiles.py`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from harness.fake_gitea.auth import credentials_of, has_scope, route_category
from harness.fake_gitea.profiles import Profile
from harness.fake_gitea.serialize_code import Shapes
from harness.fake_gitea.state import Repo, State, User

API = "/api/v1"
DEFAULT_LIMIT, MAX_LIMIT = 30, 50


class ApiError(Exception):
    """An error answer: raised by route handlers, rendered as Gitea's APIError JSON."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Route:
    """One route: method, werkzeug rule (under `prefix`), handler, and the `Profile` flag that serves it."""

    method: str
    rule: str
    handler: Callable[..., Response]
    needs: str | None = None  # a boolean field of Profile; the route is 404 where it is False
    prefix: str = API


@dataclass(frozen=True)
class Call:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    user: str | None
    status: int


@dataclass
class Failure:
    """An injected failure: answer `status` to the next `times` matching requests."""

    method: str
    pattern: str
    status: int  # 0: no failure, only the delay
    times: int
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a slow Gitea)


@dataclass(frozen=True)
class Trigger:
    """Something that would start CI in Gitea: a push, a pull request, a dispatch or a re-run (see `ci_runner`).

    A pull request trigger has event "pull_request", ref refs/pull/<n>/head, the head sha and its
    `action` ("opened", "reopened"); its synchronisation comes with the push of its head branch.
    """

    repo: str
    event: str
    ref: str
    sha: str
    workflow: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    run_id: int | None = None
    actor: str | None = None  # login of who pushed, dispatched or re-ran
    action: str = ""  # the pull request's action, for event "pull_request"


class Ctx:
    """What a route handler gets: the state, the caller, the request, and ways to answer."""

    def __init__(self, state: State, request: Request, user: User | None, basic: bool = False) -> None:
        self.state = state
        self.request = request
        self.user = user
        self.basic = basic  # signed in with user name and password (not a token)
        self.shapes = Shapes(state, user)
        self.events: list[tuple[str, Repo, dict[str, Any]]] = []
        self.triggers: list[Trigger] = []
        self.tests: list[tuple[Any, tuple[str, dict[str, Any]]]] = []  # (hook, event): test deliveries

    @property
    def body(self) -> Any:
        """The JSON body (None when absent or not JSON)."""
        return self.request.get_json(silent=True)

    def field(self, name: str, default: Any = None) -> Any:
        """One field of a JSON object body."""
        body = self.body
        return body.get(name, default) if isinstance(body, dict) else default

    def repo(self, owner: str, name: str, need: str = "read") -> Repo:
        """The repository, if the caller may see it (else 404) and has `need` access (else 403)."""
        repo = self.state.repos.get(f"{owner}/{name}")
        if repo is None or not self.state.can(repo, self.user, "read"):
            raise ApiError(404, "The target couldn't be found.")
        if not self.state.can(repo, self.user, need):
            raise ApiError(403, f"user does not have {need} access to {repo.full_name}")
        return repo

    @property
    def profile(self) -> Profile:
        """The Gitea release the fake plays."""
        return self.state.profile

    def owner(self, owner: str, name: str) -> Repo:
        """`reqOwner` (api.go): the repository owner or a site admin, else 403."""
        repo = self.repo(owner, name)
        if not self.state.is_owner(repo, self.user) and not (self.user and self.user.admin):
            raise ApiError(403, "user should be the owner of the repo")
        return repo

    def site_admin(self) -> User:
        """`reqSiteAdmin` (api.go): 403 "user should be the site admin" for anyone else."""
        user = self.signed_in()
        if not user.admin:
            raise ApiError(403, "user should be the site admin")
        return user

    def signed_in(self) -> User:
        """The caller, or 401 when anonymous."""
        if self.user is None:
            raise ApiError(401, "token is required")
        return self.user

    def emit(self, repo: Repo, event: tuple[str, dict[str, Any]]) -> None:
        """Queue a webhook event `(event_type, payload)`, delivered once the request succeeded."""
        self.events.append((event[0], repo, event[1]))

    def json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        """A JSON answer."""
        return Response(json.dumps(data), status, headers, content_type="application/json;charset=utf-8")

    def empty(self, status: int = 204) -> Response:
        """An answer without a body."""
        return Response(b"", status)

    def window(self) -> tuple[int, int]:
        """(page, limit) of a list request."""
        try:
            page = max(1, int(self.request.args.get("page", 1)))
            limit = int(self.request.args.get("limit", DEFAULT_LIMIT))
        except ValueError as exc:
            raise ApiError(422, f"invalid page or limit: {exc}") from exc
        return page, min(MAX_LIMIT, limit if limit > 0 else DEFAULT_LIMIT)

    def page(self, items: list[Any], *, headers: bool = True, link: bool = True, null_empty: bool = False) -> Response:
        """One page of `items` with Gitea's `Link` and `X-Total-Count` headers.

        `headers=False`: neither header; `link=False`: only `X-Total-Count` (handlers that call
        `SetTotalCountHeader` but not `SetLinkHeader`); `null_empty`: an empty page is JSON null (a nil
        Go slice, e.g. `var result []api.Reaction`).
        """
        page, limit = self.window()
        window = items[(page - 1) * limit: page * limit]
        body = None if null_empty and not window else window
        if not headers:
            return self.json(body)
        if not link:
            return self.json(body, headers=self.total_header(len(items)))
        last = max(1, -(-len(items) // limit))
        links = []
        for rel, number in (("next", page + 1), ("last", last), ("first", 1), ("prev", page - 1)):
            if (rel in ("next", "last") and page < last) or (rel in ("first", "prev") and page > 1):
                query = urlencode({**self.request.args.to_dict(), "page": number, "limit": limit})
                links.append(f'<{self.state.base_url}{self.request.path}?{query}>; rel="{rel}"')
        extra = {"X-Total-Count": str(len(items)), "Access-Control-Expose-Headers": "X-Total-Count, Link"}
        if links:
            extra["Link"] = ",".join(links)
        return self.json(body, headers=extra)

    @staticmethod
    def total_header(total: int) -> dict[str, str]:
        """services/context/api.go `SetTotalCountHeader` without `SetLinkHeader`."""
        return {"X-Total-Count": str(total), "Access-Control-Expose-Headers": "X-Total-Count"}


class FakeApp:
    """A WSGI app serving the routes of the fake over `state`."""

    def __init__(self, state: State, routes: Iterable[Route]) -> None:
        self.state = state
        self.routes = {f"{r.method} {r.rule}": r for r in routes}
        self.url_map = Map([Rule(r.prefix + r.rule, endpoint=key, methods=[r.method]) for key, r in self.routes.items()])
        self.requests: list[Call] = []
        self.failures: list[Failure] = []
        self.on_events: Callable[[list[tuple[str, Repo, dict[str, Any]]]], None] = lambda events: None
        self.on_triggers: Callable[[list[Trigger]], None] = lambda triggers: None
        self.on_tests: Callable[[list[Any]], None] = lambda tests: None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        with self.state.lock:
            response, user = self.dispatch(request)
            path = request.path.removeprefix(API)
            body = request.get_json(silent=True) if request.mimetype == "application/json" else None
            self.requests.append(Call(request.method, path, request.args.to_dict(), body,
                                      user.login if user else None, response.status_code))
        return response(environ, start_response)

    def dispatch(self, request: Request) -> tuple[Response, User | None]:
        """Authenticate, route and run the handler; every failure becomes an APIError answer."""
        user: User | None = None
        try:
            user, scopes, basic = self._authenticate(request)
            ctx = Ctx(self.state, request, user, basic)
            injected = self._injected(request)
            if injected is not None:
                return injected, user
            response = self._route(ctx, request, scopes)
        except ApiError as exc:
            return self._error(exc.status, exc.message), user
        if response.status_code < 400:
            self.on_events(ctx.events)
            self.on_triggers(ctx.triggers)
            self.on_tests(ctx.tests)
        return response, user

    def _authenticate(self, request: Request) -> tuple[User | None, tuple[str, ...], bool]:
        """(user, token scopes, signed in by password) — services/auth/basic.go and oauth2.go."""
        creds = credentials_of(request.headers.get("Authorization", ""))
        if creds.token:
            user, scopes = self.state.token_owner(creds.token)
            if user is None:
                raise ApiError(401, "user does not exist or the token is invalid")
            return user, scopes, False
        if creds.basic:
            # basic.go: a token given as the password (or as the user name) is token auth
            for candidate in (creds.password or "", creds.login or ""):
                user, scopes = self.state.token_owner(candidate) if candidate else (None, ())
                if user is not None:
                    return user, scopes, False
            user = self.state.users.get(creds.login or "")
            if user is None or not user.password or user.password != creds.password:
                raise ApiError(401, "user does not exist or password is incorrect")
            return user, ("all",), True
        return None, ("all",), False

    def _route(self, ctx: Ctx, request: Request, scopes: tuple[str, ...]) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            key, args = adapter.match()
        except MethodNotAllowed as exc:
            raise ApiError(405, "method not allowed") from exc
        except NotFound as exc:
            raise ApiError(404, "The target couldn't be found.") from exc
        route = self.routes[key]
        if route.needs and not getattr(self.state.profile, route.needs):
            raise ApiError(404, "The target couldn't be found.")
        if route.method != "GET" or route.rule == "/user":
            ctx.signed_in()
        if route.prefix == API and not has_scope(scopes, route_category(route.rule), route.method != "GET"):
            raise ApiError(403, f"token does not have at least one of required scope(s), "
                                f"required={route_category(route.rule)}, token scope={','.join(scopes)}")
        return route.handler(ctx, **args)

    def _injected(self, request: Request) -> Response | None:
        path = request.path.removeprefix(API)
        for failure in self.failures:
            if failure.times > 0 and failure.method in (request.method, "*") and re.fullmatch(failure.pattern, path):
                failure.times -= 1
                if failure.delay:
                    time.sleep(failure.delay)
                if not failure.status:
                    return None
                response = self._error(failure.status, f"injected failure {failure.status}")
                response.headers.update(failure.headers)
                return response
        return None

    def _error(self, status: int, message: str) -> Response:
        body = {"message": message, "url": f"{self.state.base_url}/api/swagger"}
        return Response(json.dumps(body), status, content_type="application/json;charset=utf-8")
