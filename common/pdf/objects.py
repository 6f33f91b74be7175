"""PDF objects formatted once and reused by every document (font subsets, images).

reportlab formats each object of each document from Python objects again (dictionaries, names,
numbers), which for the dozen font and image objects of an invoice costs as much as drawing the
page.  An object that is the same in every document is formatted once into bytes; references to
other objects of the document are left as holes and filled in per document, since object numbers
differ between documents.  The bytes are the ones reportlab would write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportlab import rl_config
from reportlab.pdfbase import pdfdoc

_HOLE = re.compile(rb"\x00HOLE(\d+)\x00")


class Hole(pdfdoc.PDFObject):
    """Stands for a per-document value while an object is formatted once."""

    def __init__(self, index: int):
        self.index = index

    def format(self, document):
        return b"\x00HOLE%d\x00" % self.index


class Raw(pdfdoc.PDFObject):
    """Bytes already in PDF syntax, written as they are."""

    def __init__(self, data: bytes):
        self.data = data

    def format(self, document):
        return self.data


def array(items: list[bytes]) -> Raw:
    """A PDF array of already formatted items, laid out as ``pdfdoc.PDFArray.format`` does."""
    if rl_config.pdfMultiLine:
        return Raw(b"[ " + b"\n ".join(items) + b" ]")
    items = list(items)
    for i in reversed(range(10, len(items), 10)):  # a line break every 10 items
        items.insert(i, b"\n ")
    return Raw(b"[ " + b" ".join(items) + b" ]")


class _FormatOnce(pdfdoc.DummyDoc):
    defaultStreamFilters = None
    compression = 1


@dataclass(frozen=True)
class Formatted:
    """An object's bytes between its holes, and which hole each gap is."""

    parts: tuple[bytes, ...]
    holes: tuple[int, ...]


def preformat(obj: pdfdoc.PDFObject) -> Formatted:
    """Format ``obj`` once; its per-document values are given as ``Hole(0)``, ``Hole(1)``, …"""
    pieces = _HOLE.split(obj.format(_FormatOnce()))
    holes = tuple(int(i) for i in pieces[1::2])
    if sorted(holes) != list(range(len(holes))):
        raise ValueError(f"each hole must appear exactly once; got {holes}")
    return Formatted(tuple(pieces[0::2]), holes)


class Preformatted(pdfdoc.PDFObject):
    """A top-level object from :func:`preformat` and this document's values for its holes.

    One instance per document (reportlab marks registered objects); the bytes are shared.
    """

    __RefOnly__ = 1  # always written as an indirect object and referenced

    def __init__(self, formatted: Formatted, values=()):
        if len(values) != len(formatted.holes):
            raise ValueError(f"{len(formatted.holes)} values needed, got {len(values)}")
        self.formatted = formatted
        self.values = values

    def format(self, document):
        if not isinstance(document.encrypt, pdfdoc.NoEncryption):
            raise RuntimeError("preformatted objects cannot be written into an encrypted PDF")
        parts = self.formatted.parts
        if not self.values:
            return parts[0]
        out = [parts[0]]
        for hole, part in zip(self.formatted.holes, parts[1:], strict=True):
            out.append(pdfdoc.format(self.values[hole], document))
            out.append(part)
        return b"".join(out)
