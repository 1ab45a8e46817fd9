"""Model endpoints that misbehave at the socket: one never answers, one trickles a byte a second."""

from __future__ import annotations

import socketserver
import threading
import time
from typing import Literal

Mode = Literal["silent", "trickle"]


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: Endpoint = self.server.endpoint  # type: ignore[attr-defined]
        self.request.settimeout(1.0)
        try:
            self.request.recv(65536)  # the request (headers and a small body arrive together on loopback)
        except OSError:
            return
        server.requests += 1
        if server.mode == "trickle":
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            self._send(head)
        while not server.stopping.is_set():
            if server.mode == "trickle" and not self._send(b" "):
                return
            server.stopping.wait(1.0)

    def _send(self, data: bytes) -> bool:
        try:
            self.request.sendall(data)
        except OSError:
            return False
        return True


class Endpoint:
    """A TCP server on 127.0.0.1 that accepts a chat completion request and then misbehaves in `mode`."""

    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self.requests = 0
        self.stopping = threading.Event()
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.endpoint = self  # type: ignore[attr-defined]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Endpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def elapsed(start: float) -> float:
    """Seconds since `start` (time.monotonic)."""
    return time.monotonic() - start
