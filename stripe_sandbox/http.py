"""Transport-neutral request/response values shared by the in-process transport and the WSGI app."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


class Headers(Mapping[str, str]):
    """Case-insensitive headers that keep the first spelling seen.

    The SDK reads `Request-Id` in one place and `request-id` in another, so the mapping it
    receives must answer both, as `requests`' CaseInsensitiveDict does.
    """

    def __init__(self, data: Mapping[str, str] | None = None):
        self._data: dict[str, tuple[str, str]] = {}
        for key, value in (data or {}).items():
            self[key] = value

    def __setitem__(self, key: str, value: str) -> None:
        self._data[key.lower()] = (key, value)

    def __getitem__(self, key: str) -> str:
        return self._data[key.lower()][1]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._data

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._data.values())

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


@dataclass
class Response:
    """What the sandbox answers. `drop_connection` asks the transport to fail as a network would."""

    status: int
    body: bytes
    headers: Headers = field(default_factory=Headers)
    drop_connection: bool = False

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
        hdrs = Headers({"Content-Type": "application/json"})
        for key, value in (headers or {}).items():
            hdrs[key] = value
        return cls(status, json.dumps(payload, indent=2).encode(), hdrs)

    @classmethod
    def html(cls, body: str, status: int = 200) -> Response:
        return cls(status, body.encode(), Headers({"Content-Type": "text/html; charset=utf-8"}))

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(303, b"", Headers({"Location": location}))

    def data(self) -> Any:
        return json.loads(self.body or b"null")


STATUS_TEXT = {
    200: "OK",
    204: "No Content",
    303: "See Other",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
}
