"""Request parameter checking against the installed SDK's own TypedDicts (`stripe.params`).

Each route names its Params class; the class is compiled lazily into a small validator tree that
rejects unknown names (`parameter_unknown`), reports missing required ones (`parameter_missing`),
and coerces form strings into ints/bools/lists so handlers see typed values. Compiling lazily matters:
some Params classes reference hundreds of nested TypedDicts that a request never touches.
"""

from __future__ import annotations

import abc
import sys
import types
import typing
from functools import cache
from typing import Any

import typing_extensions as te
from stripe._request_options import RequestOptions
from stripe._stripe_object import UntypedStripeObject

from . import errors
from .encoding import listify

_REQUEST_OPTION_KEYS = frozenset(RequestOptions.__annotations__)
_WRAPPERS = {te.NotRequired, te.Required, typing.NotRequired, typing.Required}


class Node(abc.ABC):
    @abc.abstractmethod
    def coerce(self, value: Any, path: str) -> Any:
        """The value as Stripe would read it, or a `parameter_invalid_*` error naming `path`."""


class Anything(Node):
    def coerce(self, value: Any, path: str) -> Any:
        return listify(value)


class Str(Node):
    def coerce(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise errors.invalid_value(path, f"Invalid string: {_show(value)}")
        return value


class Int(Node):
    def coerce(self, value: Any, path: str) -> Any:
        try:
            if not isinstance(value, str):
                raise ValueError
            return int(value)
        except ValueError:
            raise errors.invalid_value(
                path, f"Invalid integer: {_show(value)}", code="parameter_invalid_integer"
            ) from None


class Float(Node):
    """Stripe's few float parameters (coupon percentages, geolocation): never an amount of money,
    which Stripe always takes as an integer of minor units."""

    def coerce(self, value: Any, path: str) -> Any:
        try:
            if not isinstance(value, str):
                raise ValueError
            return float(value)
        except ValueError:
            raise errors.invalid_value(path, f"Invalid decimal: {_show(value)}") from None


class Bool(Node):
    def coerce(self, value: Any, path: str) -> Any:
        if value in ("true", "false"):
            return value == "true"
        raise errors.invalid_request(f"Invalid boolean: {_show(value)}", param=path)


class Enum(Node):
    def __init__(self, values: tuple[Any, ...]):
        self.values = values

    def coerce(self, value: Any, path: str) -> Any:
        for allowed in self.values:
            if isinstance(allowed, bool):
                if value == str(allowed).lower():
                    return allowed
            elif value == str(allowed):
                return allowed
        shown = [repr(v) if v == "" else str(v) for v in self.values]
        listed = ", ".join(shown[:-1]) + (f", or {shown[-1]}" if len(shown) > 1 else shown[-1])
        raise errors.invalid_request(f"Invalid {path}: must be one of {listed}", param=path)


class ListOf(Node):
    def __init__(self, item: Node):
        self.item = item

    def coerce(self, value: Any, path: str) -> Any:
        if isinstance(value, dict) and all(k.isdigit() for k in value):
            value = [value[k] for k in sorted(value, key=int)]
        if value == "":
            return []
        if not isinstance(value, list):
            raise errors.invalid_request(f"Invalid array: {_show(value)}", param=path)
        return [self.item.coerce(v, f"{path}[{i}]") for i, v in enumerate(value)]


class MapOf(Node):
    def __init__(self, item: Node):
        self.item = item

    def coerce(self, value: Any, path: str) -> Any:
        if value == "":
            return ""  # Stripe's "unset everything" for hashes such as metadata
        if not isinstance(value, dict):
            raise errors.invalid_request(f"Invalid hash: {_show(value)}", param=path)
        return {k: self.item.coerce(v, f"{path}[{k}]") for k, v in value.items()}


class Obj(Node):
    """A TypedDict; fields are resolved on first use."""

    def __init__(self, cls: type, top_level: bool = False):
        self.cls = cls
        self.top_level = top_level
        self._fields: dict[str, Node] | None = None
        self.required: frozenset[str] = frozenset(getattr(cls, "__required_keys__", ()))

    @property
    def fields(self) -> dict[str, Node]:
        if self._fields is None:
            self._fields = {
                name: compile_type(hint) for name, hint in _hints(self.cls, self.top_level).items()
            }
        return self._fields

    def coerce(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise errors.invalid_request(f"Invalid object: {_show(value)}", param=path or None)
        fields = self.fields
        out: dict[str, Any] = {}
        for key, raw in value.items():
            sub = f"{path}[{key}]" if path else key
            node = fields.get(key)
            if node is None:
                raise errors.unknown_parameter(sub)
            out[key] = node.coerce(raw, sub)
        for key in sorted(self.required):
            if key not in value:
                raise errors.missing_parameter(f"{path}[{key}]" if path else key)
        return out


class OneOf(Node):
    def __init__(self, options: list[Node]):
        self.options = options

    def coerce(self, value: Any, path: str) -> Any:
        # Try the options that suit the value's shape; report the first failure if none fit.
        shaped = [o for o in self.options if _fits(o, value)] or self.options
        first_error: errors.StripeError | None = None
        for option in shaped:
            try:
                return option.coerce(value, path)
            except errors.StripeError as exc:
                first_error = first_error or exc
        assert first_error is not None
        raise first_error


def _fits(node: Node, value: Any) -> bool:
    if isinstance(value, dict):
        return isinstance(node, (Obj, MapOf, ListOf, Anything))
    if isinstance(value, list):
        return isinstance(node, (ListOf, Anything))
    return not isinstance(node, (Obj, MapOf))


def _show(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def _unwrap(hint: Any) -> Any:
    while te.get_origin(hint) in _WRAPPERS:
        hint = te.get_args(hint)[0]
    return hint


def _hints(cls: type, top_level: bool) -> dict[str, Any]:
    # get_type_hints() on the Params class itself fails: RequestOptions has a TYPE_CHECKING-only
    # forward reference. Evaluate just the request's own fields in the module that declares them.
    annotations = {
        k: v for k, v in cls.__annotations__.items() if not (top_level and k in _REQUEST_OPTION_KEYS)
    }
    holder = type("Holder", (), {"__annotations__": annotations, "__module__": cls.__module__})
    module = sys.modules[cls.__module__]
    hints = te.get_type_hints(holder, globalns=vars(module), include_extras=True)
    return {k: _unwrap(v) for k, v in hints.items()}


def compile_type(hint: Any) -> Node:
    hint = _unwrap(hint)
    origin = te.get_origin(hint)
    if hint is str:
        return Str()
    if hint is bool:
        return Bool()
    if hint is int:
        return Int()
    if hint is float:
        return Float()
    if hint is Any or hint is object:
        return Anything()
    if te.is_typeddict(hint):
        return _compile_typeddict(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in te.get_args(hint) if a is not type(None)]
        literals = [a for a in args if te.get_origin(a) is typing.Literal]
        if literals and all(a is str or te.get_origin(a) is typing.Literal for a in args):
            values = tuple(v for lit in literals for v in te.get_args(lit))
            if str in args and all(v == "" for v in values):
                return Str()  # "Literal[''] | str": any string, "" meaning "unset"
            # "Literal[...] | str" is the SDK leaving room for future values; the server of this API
            # version accepts only the listed ones, so the sandbox checks against them.
            return Enum(values)
        return OneOf([compile_type(a) for a in args])
    if origin is typing.Literal:
        return Enum(te.get_args(hint))
    if origin in (list, list, tuple):
        args = te.get_args(hint)
        return ListOf(compile_type(args[0]) if args else Anything())
    if origin in (dict, dict) or (isinstance(origin, type) and issubclass(origin, UntypedStripeObject)):
        args = te.get_args(hint)
        return MapOf(compile_type(args[-1]) if args else Anything())
    if hint is UntypedStripeObject or hint is dict:
        return MapOf(Anything())
    return Anything()


@cache
def _compile_typeddict(cls: type) -> Obj:
    return Obj(cls)


@cache
def schema(cls: type) -> Obj:
    return Obj(cls, top_level=True)


def validate(cls: type | None, raw: dict[str, Any]) -> dict[str, Any]:
    """Check and coerce decoded form params; `cls=None` means "accept anything" (sandbox-only routes)."""
    if cls is None:
        return listify(raw)
    return schema(cls).coerce(raw, "")
