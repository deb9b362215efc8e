"""Stripe's form encoding: `a[b][c]=v`, `list[]=v`, `list[0][k]=v`, decoded to nested dicts/lists.

Indexed keys (`expand[0]`) stay dicts with digit keys here; `params.py` turns them into lists when the
schema says the field is a list (so `metadata[0]=x` remains a dict key, as Stripe treats it).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from . import errors

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


def split_key(key: str) -> list[str]:
    match = _KEY.match(key)
    if not match:
        raise errors.invalid_request(f"Invalid parameter name: {key}", param=key)
    return [match.group(1), *_PART.findall(match.group(2))]


def decode(qs: str) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in parse_qsl(qs, keep_blank_values=True):
        _insert(root, split_key(key), value, key)
    return root


def _insert(root: dict[str, Any], parts: list[str], value: str, raw_key: str) -> None:
    node: Any = root
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        nxt = None if last else parts[i + 1]
        if isinstance(node, list):
            # `a[][b]=…` forms are ambiguous; Stripe's clients never send them, so each starts a new item.
            if last:
                node.append(value)
                return
            child: Any = [] if nxt == "" else {}
            node.append(child)
            node = child
            continue
        if part == "":
            raise errors.invalid_request(f"Invalid array parameter: {raw_key}", param=raw_key)
        if last:
            if isinstance(node.get(part), (dict, list)):
                raise errors.invalid_request(f"Invalid hash: {raw_key}", param=raw_key)
            node[part] = value
            return
        existing = node.get(part)
        want_list = nxt == ""
        if existing is None or existing == "":
            # `metadata=` followed by `metadata[a]=b` is legal: the empty string only meant "unset".
            existing = [] if want_list else {}
            node[part] = existing
        elif (want_list and not isinstance(existing, list)) or (
            not want_list and not isinstance(existing, dict)
        ):
            raise errors.invalid_request(f"Invalid parameter structure: {raw_key}", param=raw_key)
        node = existing


def listify(value: Any) -> Any:
    """Turn digit-keyed dicts into lists everywhere (used when no schema is known)."""
    if isinstance(value, dict):
        if value and all(k.isdigit() for k in value):
            return [listify(value[k]) for k in sorted(value, key=int)]
        return {k: listify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [listify(v) for v in value]
    return value


def encode(params: dict[str, Any]) -> str:
    """The inverse of `decode`, as Stripe's clients encode: `a[b]=`, `list[0]=`, booleans as true/false."""
    from urllib.parse import urlencode

    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}[{key}]" if prefix else str(key), sub)
        elif isinstance(value, (list, tuple)):
            for index, sub in enumerate(value):
                walk(f"{prefix}[{index}]", sub)
        elif isinstance(value, bool):
            pairs.append((prefix, "true" if value else "false"))
        else:
            pairs.append((prefix, str(value)))

    walk("", params)
    return urlencode(pairs)
