"""A webhook receiver for the harness tests: a real HTTP server on 127.0.0.1 that records every delivery."""

from __future__ import annotations

import json
import threading
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

# The line pytest prints for the sample repository's off_by_one bug.
PYTEST_FAILURE = "FAILED tests/test_pricing.py::test_bulk_discount_starts_at_the_threshold"


class Receiver:
    """Answers 202 to everything and keeps (headers, body) of each request, in order."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def app(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        self.received.append((dict(request.headers), request.get_data()))
        return Response(b"", 202)(environ, start_response)

    def events(self) -> list[tuple[str, dict[str, Any]]]:
        """(event name, payload) of each delivery."""
        return [(h["X-Gitea-Event"], json.loads(body)) for h, body in self.received]

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
