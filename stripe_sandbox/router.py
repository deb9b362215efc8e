"""The route table: `(method, path pattern)` → handler plus the SDK Params class that validates it.

Resource modules register their handlers with the decorators below; naming the Params class by
its name in `stripe.params` (resolved on first use) keeps module import cheap and makes the
link between an endpoint and the SDK's own definition of its parameters explicit.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import Ctx

Handler = Callable[["Ctx"], Any]


@dataclass
class Route:
    method: str
    pattern: str
    params_name: str | None
    handler: Handler
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.pattern) + "$")

    @cached_property
    def params_class(self) -> type | None:
        """`"terminal.ReaderCreateParams"` → `stripe.params.terminal.ReaderCreateParams`."""
        if self.params_name is None:
            return None
        module_path, _, name = self.params_name.rpartition(".")
        module = importlib.import_module("stripe.params" + (f".{module_path}" if module_path else ""))
        return getattr(module, name)


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, pattern: str, params: str | None) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method.upper(), pattern, params, handler))
            return handler

        return register

    def get(self, pattern: str, params: str | None) -> Callable[[Handler], Handler]:
        return self.add("GET", pattern, params)

    def post(self, pattern: str, params: str | None) -> Callable[[Handler], Handler]:
        return self.add("POST", pattern, params)

    def delete(self, pattern: str, params: str | None) -> Callable[[Handler], Handler]:
        return self.add("DELETE", pattern, params)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method != method.upper():
                continue
            found = route.regex.match(path)
            if found:
                return route, found.groupdict()
        return None


router = Router()
