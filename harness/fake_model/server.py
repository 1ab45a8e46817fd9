"""The scripted model harness as a real HTTP server (werkzeug), for tests and demos. It is not a model.

Routes (OpenAI-compatible enough for the `openai` SDK; mount it with base_url `<url>/v1`):

    POST /v1/chat/completions   play the next scripted reply (non-streaming only)
    GET  /v1/models             the script's model names
    GET  /_fake/requests        every request received: {"requests": [...]}
    GET  /_fake/script          the current script and which replies are used
    POST /_fake/script          replace the script (body: a script) and forget what was used
    POST /_fake/reset           forget recorded requests and mark every reply unused

When no reply is left for a request (and no `default` is set) the answer is HTTP 500 whose error
message starts with "script exhausted", with `x-should-retry: false` so the SDK does not retry.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from harness.fake_model import answers
from harness.fake_model.script import Script, ScriptedReply, ScriptError, last_user_text

log = logging.getLogger(__name__)

TASK_HEADER = "X-Teabot-Task"
# Simulated 429/5xx answers ask the SDK to retry after 10 ms, so retry tests stay fast.
RETRY_AFTER_MS = "10"

_ROUTES = Map([
    Rule("/v1/chat/completions", methods=["POST"], endpoint="completions"),
    Rule("/chat/completions", methods=["POST"], endpoint="completions"),
    Rule("/v1/models", methods=["GET"], endpoint="models"),
    Rule("/models", methods=["GET"], endpoint="models"),
    Rule("/_fake/requests", methods=["GET"], endpoint="requests"),
    Rule("/_fake/script", methods=["GET"], endpoint="get_script"),
    Rule("/_fake/script", methods=["POST"], endpoint="set_script"),
    Rule("/_fake/reset", methods=["POST"], endpoint="reset"),
])


class FakeModelServer:
    """Scripted OpenAI-compatible test harness; records every request it gets."""

    def __init__(self, script: Script | Mapping[str, Any] | list[Any] | None = None, *,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self._lock = threading.Lock()
        self._script = script if isinstance(script, Script) else Script.from_data(script)
        self._used: set[int] = set()
        self._requests: list[dict[str, Any]] = []
        self._served = 0
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> str:
        """Serve on a background thread; return the base URL for the SDK (ending in /v1)."""
        self._bind()
        # A short poll interval makes stop() return quickly (serve_forever checks for shutdown between polls).
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-model", daemon=True)
        self._thread.start()
        return self.base_url

    def serve_forever(self) -> None:
        """Serve on the calling thread until interrupted."""
        self._bind()
        log.info("scripted model test harness (not a model) listening on %s", self.base_url)
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> FakeModelServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Root URL of the running server."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """URL to give the OpenAI SDK as `base_url`."""
        return self.url + "/v1"

    # -- state for tests ---------------------------------------------------------------------

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Copies of every request received, oldest first."""
        with self._lock:
            return copy.deepcopy(self._requests)

    @property
    def prompts(self) -> list[list[dict[str, Any]]]:
        """The `messages` of every chat completion request, oldest first."""
        return [r["messages"] for r in self.requests if r["path"].endswith("/chat/completions")]

    @property
    def remaining(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._script.replies) - len(self._used)

    def set_script(self, script: Script | Mapping[str, Any] | list[Any] | None) -> None:
        """Replace the script; every reply of the new one is unused."""
        parsed = script if isinstance(script, Script) else Script.from_data(script)
        with self._lock:
            self._script, self._used = parsed, set()

    def reset(self) -> None:
        """Forget recorded requests and mark every reply unused."""
        with self._lock:
            self._requests.clear()
            self._used = set()

    # -- HTTP --------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """The WSGI application."""
        request = Request(environ)
        try:
            endpoint, _ = _ROUTES.bind_to_environ(environ).match()
            response = getattr(self, f"_on_{endpoint}")(request)
        except HTTPException as exc:
            message = f"{exc.name} ({request.method} {request.path}): {exc.description}"
            response = _json(answers.error(message, "invalid_request_error"), exc.code or 500)
        return response(environ, start_response)

    def _on_completions(self, request: Request) -> Response:
        body = _body(request)
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body.get("model"):
            return _json(answers.error("the body must be JSON with 'model' and a 'messages' list",
                                       "invalid_request_error"), 400)
        record = self._record(request, body)
        if body.get("stream"):
            return _json(answers.error("the scripted model harness does not stream: call without stream=True",
                                       "invalid_request_error", "stream_unsupported"), 400)
        return self._answer(record)

    def _answer(self, record: dict[str, Any]) -> Response:
        with self._lock:
            reply, label = self._take(record)
            record["reply"] = label
            self._served += 1
            ident, used = f"fake{self._served:06d}", len(self._used)
        if reply is None:
            return _exhausted(record, used)
        if reply.delay:
            time.sleep(reply.delay)  # simulates a slow model, e.g. to exercise client timeouts
        if reply.status != 200:
            return _failure(reply)
        return _json(answers.completion(reply, record, ident=ident, created=int(time.time())))

    def _take(self, record: dict[str, Any]) -> tuple[ScriptedReply | None, int | str | None]:
        """The reply for this request and how the record names it (its index, "default" or None)."""
        index = self._script.pick(record, self._used)
        if index is not None:
            self._used.add(index)
            return self._script.replies[index], index
        if self._script.default is not None:
            return self._script.default, "default"
        return None, None

    def _record(self, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        record = {
            "path": request.path, "task": request.headers.get(TASK_HEADER), "model": body.get("model"),
            "messages": body.get("messages"), "tools": body.get("tools"), "tool_choice": body.get("tool_choice"),
            "response_format": body.get("response_format"), "max_tokens": body.get("max_tokens"),
            "temperature": body.get("temperature"), "stream": bool(body.get("stream")), "body": body, "reply": None,
        }
        with self._lock:
            self._requests.append(record)
        return record

    def _on_models(self, request: Request) -> Response:
        return _json(answers.models_list(self._script.models, int(time.time())))

    def _on_requests(self, request: Request) -> Response:
        return _json({"requests": self.requests})

    def _on_get_script(self, request: Request) -> Response:
        with self._lock:
            return _json({"script": self._script.source, "used": sorted(self._used),
                          "remaining": len(self._script.replies) - len(self._used)})

    def _on_set_script(self, request: Request) -> Response:
        try:
            self.set_script(_body(request))
        except (ScriptError, ValueError) as exc:
            return _json(answers.error(str(exc), "invalid_script"), 400)
        return _json({"ok": True, "replies": len(self._script.replies)})

    def _on_reset(self, request: Request) -> Response:
        self.reset()
        return _json({"ok": True})

    def _bind(self) -> None:
        self._server = make_server(self.host, self.port, self, threaded=True)
        self.port = self._server.server_port


def _body(request: Request) -> Any:
    """The request body parsed as JSON; ValueError when it is not JSON."""
    try:
        return json.loads(request.get_data(as_text=True) or "null")
    except json.JSONDecodeError as exc:
        raise _BadJSON(str(exc)) from None


class _BadJSON(HTTPException, ValueError):
    code = 400
    name = "Body is not JSON"


def _exhausted(record: Mapping[str, Any], used: int) -> Response:
    excerpt = last_user_text(record.get("messages") or [])[:120]
    message = (f"script exhausted: no scripted reply left for this request ({used} used; "
               f"model {record.get('model')!r}, task {record.get('task')!r}, last user message {excerpt!r})")
    log.warning("%s", message)
    return _json(answers.error(message, "script_exhausted", "script_exhausted"), 500, {"x-should-retry": "false"})


def _failure(reply: ScriptedReply) -> Response:
    kind = "rate_limit_error" if reply.status == 429 else "server_error" if reply.status >= 500 else "invalid_request_error"
    message = reply.error or f"scripted failure: HTTP {reply.status}"
    return _json(answers.error(message, kind), reply.status, {"retry-after-ms": RETRY_AFTER_MS})


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json.dumps(data), status=status, headers=dict(headers or {}), mimetype="application/json")
