"""Stripe's form encoding: ``a[b][0][c]=x`` pairs to nested dicts and lists, and back.

The real ``stripe`` library sends every v1 request this way (indexed arrays, ``expand[0]=...``),
and curl users write ``expand[]=...``; both must decode to the same structure.
"""

import re
from urllib.parse import parse_qsl, urlencode

from .errors import invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
_APPEND = object()  # marker for "[]": append to a list


def decode(query: str) -> dict:
    """Decode a urlencoded string into nested dicts; dicts keyed only by indices become lists."""
    root: dict = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        match = _KEY.match(key)
        if not match:
            raise invalid(f"Invalid parameter name: {key}", param=key)
        parts = [match.group(1)] + [p if p != "" else _APPEND for p in _PART.findall(match.group(2))]
        _assign(root, parts, value, key)
    return _listify(root)


def _assign(node: dict, parts: list, value: str, key: str) -> None:
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part is _APPEND:
            # Appends become fresh numeric keys so that listify() treats "[]" and "[0]" alike.
            part = str(sum(1 for k in node if k.isdigit()))
        if last:
            if isinstance(node.get(part), dict):
                raise invalid(f"Invalid parameter: {key} conflicts with a nested value", param=key)
            node[part] = value
            return
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise invalid(f"Invalid parameter: {key} conflicts with a plain value", param=key)
        node = child


def _listify(node):
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def encode(params: dict) -> str:
    """Encode nested dicts and lists the way the stripe library does (used by tests and redirects)."""
    return urlencode(list(_flatten("", params)))


def _flatten(prefix: str, value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(f"{prefix}[{k}]" if prefix else str(k), v)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _flatten(f"{prefix}[{i}]", v)
    elif isinstance(value, bool):
        yield prefix, "true" if value else "false"
    elif value is not None:
        yield prefix, str(value)
