"""The v1 API route table, list pagination and ``expand[]``.

Resource modules register handlers with ``@route``; each declares the top-level parameters it
understands, and anything else is answered like Stripe does (``parameter_unknown``), so app code
that sends a misspelt or unsupported parameter fails here rather than in production.
"""

import copy
import re
from dataclasses import dataclass

from .errors import invalid, no_such
from .params import Params

LIST_PARAMS = frozenset({"limit", "starting_after", "ending_before", "created"})
MAX_EXPAND_DEPTH = 4


@dataclass(frozen=True)
class Route:
    method: str
    regex: re.Pattern
    handler: object
    params: frozenset
    listing: bool
    path: str


ROUTES: list[Route] = []
INCLUDABLE: dict[tuple[str, str], object] = {}


def route(method: str, path: str, params: str = "", *, listing: bool = False):
    """Register ``handler(ctx, p, **path_args)``; a listing handler returns objects newest first."""
    pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")
    allowed = frozenset(params.split()) | {"expand"} | (LIST_PARAMS if listing else frozenset())

    def register(handler):
        ROUTES.append(Route(method, pattern, handler, allowed, listing, path))
        return handler

    return register


def includable(kind: str, field: str):
    """Register a field Stripe leaves out unless expanded (checkout session line_items, ...)."""

    def register(fn):
        INCLUDABLE[(kind, field)] = fn
        return fn

    return register


def match(method: str, path: str) -> tuple[Route, dict] | tuple[None, None]:
    for candidate in ROUTES:
        if candidate.method == method:
            found = candidate.regex.match(path)
            if found:
                return candidate, found.groupdict()
    return None, None


def check_params(target: Route, data: dict) -> None:
    for name in data:
        if name not in target.params:
            raise invalid(f"Received unknown parameter: {name}", param=name, code="parameter_unknown")


def paginate(items: list[dict], p: Params, url: str, label: str) -> dict:
    """Stripe's cursor pagination over a newest-first list."""
    limit = p.int("limit", default=10)
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100", param="limit", code="parameter_invalid_integer")
    items = [obj for obj in items if _created_matches(obj, p)]
    ids = [obj["id"] for obj in items]
    after, before = p.str("starting_after"), p.str("ending_before")
    if after:
        if after not in ids:
            raise no_such(label, after, param="starting_after")
        page = items[ids.index(after) + 1 :]
        has_more = len(page) > limit
        page = page[:limit]
    elif before:
        if before not in ids:
            raise no_such(label, before, param="ending_before")
        earlier = items[: ids.index(before)]
        has_more = len(earlier) > limit
        page = earlier[-limit:]
    else:
        has_more = len(items) > limit
        page = items[:limit]
    return {"object": "list", "data": page, "has_more": has_more, "url": url}


def _created_matches(obj: dict, p: Params) -> bool:
    if "created" not in p:
        return True
    created = obj.get("created", 0)
    if isinstance(p.data["created"], str):
        return created == p.int("created")
    bounds = p.dict("created")
    checks = {
        "gt": lambda v: created > v,
        "gte": lambda v: created >= v,
        "lt": lambda v: created < v,
        "lte": lambda v: created <= v,
    }
    return all(check(bounds.int(op)) for op, check in checks.items() if op in bounds)


def expand(obj: dict, paths: list, ctx) -> dict:
    """A deep copy of ``obj`` with each dotted ``expand[]`` path replaced by the object it names."""
    result = copy.deepcopy(obj)
    for path in paths:
        parts = str(path).split(".")
        if len(parts) > MAX_EXPAND_DEPTH:
            raise invalid(
                f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property. Property: {path}",
                param="expand",
            )
        _expand(result, parts, ctx, path)
    return result


def _expand(node, parts: list, ctx, full: str) -> None:
    if not isinstance(node, dict) or not parts:
        return
    key, rest = parts[0], parts[1:]
    if node.get("object") == "list" and key == "data":
        for item in node["data"]:
            _expand(item, rest, ctx, full)
        return
    builder = INCLUDABLE.get((node.get("object"), key))
    if builder is not None:
        node[key] = builder(ctx, node)
    elif key not in node:
        raise invalid(f"This property cannot be expanded ({full}).", param="expand")
    elif isinstance(node[key], str):
        rec = ctx.store.record(node[key])
        if rec is None:
            raise invalid(f"This property cannot be expanded ({full}).", param="expand")
        node[key] = copy.deepcopy(rec["obj"])
    _expand(node[key], rest, ctx, full)
