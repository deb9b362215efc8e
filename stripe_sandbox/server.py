"""The sandbox as an HTTP server (the demo, `make run`): a threaded wsgiref server.

`make_wsgi_app()` is a plain WSGI app; under this module's server a "lost response" or timeout
fault closes the connection without an answer, which is what a client sees when the network
drops after Stripe did the work.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

from .core import Sandbox
from .hosted.app import handle_page
from .http import STATUS_TEXT, Headers

DROP = "stripe_sandbox.drop_connection"


def make_wsgi_app(sandbox: Sandbox) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO") or "/"
        query = environ.get("QUERY_STRING", "")
        headers = Headers(
            {
                key[5:].replace("_", "-").title(): value
                for key, value in environ.items()
                if key.startswith("HTTP_")
            }
        )
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if path.startswith("/_sandbox"):
            response = handle_page(
                sandbox, method, path, query, headers, body, environ.get("REMOTE_ADDR", "")
            )
        else:
            response = sandbox.handle(method, path, query, headers, body)
        if response.drop_connection:
            environ[DROP] = True
            return []
        status = f"{response.status} {STATUS_TEXT.get(response.status, 'Status')}"
        hdrs = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        start_response(status, [*hdrs, ("Content-Length", str(len(response.body)))])
        return [response.body]

    return app


class _DroppingServerHandler(ServerHandler):
    def finish_response(self) -> None:
        if self.environ.get(DROP):
            self.request_handler.close_connection = True  # type: ignore[attr-defined]
            return  # say nothing: the client sees the connection close, as on a lost response
        super().finish_response()


class _RequestHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"
    quiet = True

    def log_message(self, format: str, *args: Any) -> None:
        if not self.quiet:
            super().log_message(format, *args)

    def handle_one_request(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline:
            self.close_connection = True
            return
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _DroppingServerHandler(
            self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True
        )
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(self.server.get_app())  # type: ignore[attr-defined]

    def handle(self) -> None:
        self.close_connection = True
        self.handle_one_request()
        while not self.close_connection:
            self.handle_one_request()


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class SandboxServer:
    """A running server: `url`, `stop()`. Webhooks are delivered from a background thread."""

    def __init__(
        self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 12111, *, verbose: bool = False
    ):
        self.sandbox = sandbox
        _RequestHandler.quiet = not verbose
        self.httpd = make_server(
            host,
            port,
            make_wsgi_app(sandbox),
            server_class=ThreadingWSGIServer,
            handler_class=_RequestHandler,
        )
        self.host, self.port = self.httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        self.sandbox.webhooks.start()
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> SandboxServer:
        """Serve from a daemon thread (tests); returns self."""
        self._thread = threading.Thread(target=self.serve_forever, name="stripe-sandbox-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.sandbox.webhooks.stop()
        self.sandbox.persist()
        if self._thread is not None:
            self._thread.join(timeout=5)


def print_banner(server: SandboxServer, state_path: str | None) -> None:
    endpoints = len(server.sandbox.webhooks.endpoints)
    print(
        f"Stripe sandbox listening on {server.url} (state: {state_path or 'memory'}; "
        f"webhook endpoints: {endpoints}; dashboard: {server.url}/_sandbox/)",
        file=sys.stdout,
        flush=True,
    )
