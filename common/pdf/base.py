"""What every renderer shares: the deterministic canvas, dates, file names, dict → dataclass."""

from __future__ import annotations

import dataclasses
import io
import re
import types
import typing
from datetime import date, datetime
from functools import cache

from reportlab.pdfgen.canvas import Canvas

from common.pdf.fonts import FONT, prime, register_fonts

PDF_MIMETYPE = "application/pdf"
CREATOR = "Xuehui 学会云"

RenderResult = tuple[str, str, bytes]  # (filename, mimetype, bytes)

MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def new_canvas(
    pagesize, *, title: str, author: str = "", subject: str = "", primer: str = ""
) -> tuple[Canvas, io.BytesIO]:
    """A canvas whose output depends only on what is drawn: ``invariant=1`` fixes the creation
    date and the document id, so the same input gives the same bytes (the stored file's hash)."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=pagesize, invariant=1, pageCompression=1, initialFontName=FONT)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setSubject(subject)
    canvas.setCreator(CREATOR)
    if primer:
        prime(canvas, primer)
    return canvas, buffer


def finish(canvas: Canvas, buffer: io.BytesIO) -> bytes:
    canvas.save()
    return buffer.getvalue()


def safe_filename(stem: str, ext: str = "pdf", fallback: str = "document") -> str:
    """ASCII file name for storage and Content-Disposition: ``CCS-2026-000123.pdf``."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", stem or "").strip("-.")
    return f"{cleaned or fallback}.{ext}"


def to_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise ValueError(f"not an ISO date (YYYY-MM-DD): {value!r}") from exc


def format_date(value) -> str:
    """ISO ``2026-03-05``: unambiguous in Chinese and English alike (tables, invoices)."""
    d = to_date(value)
    return d.isoformat() if d else ""


def format_date_zh(value) -> str:
    d = to_date(value)
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def format_date_en(value) -> str:
    d = to_date(value)
    return f"{d.day} {MONTHS_EN[d.month - 1]} {d.year}" if d else ""


def format_range_zh(start, end=None) -> str:
    """2026年5月12日至14日, 2026年5月30日至6月2日, 2026年12月30日至2027年1月2日."""
    a, b = to_date(start), to_date(end)
    if not b or b == a:
        return format_date_zh(a)
    if a.year != b.year:
        return f"{format_date_zh(a)}至{format_date_zh(b)}"
    if a.month != b.month:
        return f"{format_date_zh(a)}至{b.month}月{b.day}日"
    return f"{format_date_zh(a)}至{b.day}日"


def format_range_en(start, end=None) -> str:
    """12–14 May 2026, 30 May – 2 June 2026, 30 December 2026 – 2 January 2027."""
    a, b = to_date(start), to_date(end)
    if not b or b == a:
        return format_date_en(a)
    if a.year != b.year:
        return f"{format_date_en(a)} – {format_date_en(b)}"
    if a.month != b.month:
        return f"{a.day} {MONTHS_EN[a.month - 1]} – {format_date_en(b)}"
    return f"{a.day}–{b.day} {MONTHS_EN[a.month - 1]} {a.year}"


# --- plain dicts → dataclasses -------------------------------------------------------------------


def _unwrap_optional(tp):
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _converter(tp):
    """How to convert a value for a field of type ``tp``: None (keep it), a dataclass to build,
    or ("list"/"tuple", item converter)."""
    tp = _unwrap_optional(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return tp
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        args = typing.get_args(tp)
        item = _converter(args[0]) if args else None
        return (origin, item) if item is not None else None
    return None


def _convert(conv, value):
    if conv is None or value is None:
        return value
    if isinstance(conv, tuple):
        if isinstance(value, (str, bytes)):
            return value
        origin, item = conv
        items = [_convert(item, v) for v in value]
        return tuple(items) if origin is tuple else items
    return coerce(conv, value)


@cache
def _fields(cls) -> tuple[dict, frozenset]:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    return {name: _converter(hints[name]) for name in names}, frozenset(names)


def coerce(cls, value):
    """Build dataclass ``cls`` from an instance of it or a (nested) mapping; unknown keys raise
    ``TypeError`` so a typo in a snapshot does not silently drop a field."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, typing.Mapping):
        raise TypeError(f"{cls.__name__} expects a mapping or {cls.__name__}, got {type(value).__name__}")
    converters, names = _fields(cls)
    unknown = value.keys() - names
    if unknown:
        raise TypeError(f"{cls.__name__}: unknown field(s) {', '.join(sorted(unknown))}")
    return cls(**{k: _convert(converters[k], v) if converters[k] is not None else v for k, v in value.items()})
