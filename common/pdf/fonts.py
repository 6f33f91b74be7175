"""The Chinese font of every Xuehui PDF, embedded as a TrueType subset.

reportlab's CID fonts (``STSong-Light``) are not embedded: the reader substitutes whatever it has,
which on a phone or a print shop's RIP may be nothing.  We register a TrueType font (outlines in
``glyf``; OpenType/CFF such as Noto CJK ``.otf`` is not supported by reportlab) and reportlab
writes a subset of the glyphs used into each PDF (``/FontFile2``).

Lookup order: ``XUEHUI_CJK_FONT`` (path; ``XUEHUI_CJK_FONT_INDEX`` picks the face of a ``.ttc``),
then the Debian paths of ``fonts-wqy-zenhei`` / ``fonts-wqy-microhei`` / ``fonts-arphic-uming``,
then ``fc-list :lang=zh``.  :func:`register_fonts` loads the font once per process (~0.1 s).

Speed: reportlab builds every subset from scratch for every document (copying the 10 MB ``glyf``
table of WenQuanYi and deflating the result).  We keep the font's tables, and the built and
deflated subset programs keyed by the exact character list, in process memory.  With
:func:`prime`, a renderer puts its fixed labels into subsets of their own, so those subsets are
identical in every document of that kind and come from the cache; only the variable text (names,
addresses, descriptions) is subset per document.  The output bytes are exactly what reportlab
would write without the cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from reportlab import rl_config
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import SUBSETN, FF_NONSYMBOLIC, FF_SYMBOLIC, TTFError, TTFont, makeToUnicodeCMap

FONT = "XuehuiCJK"
FONT_BOLD = "XuehuiCJK-Bold"
ENV_PATH = "XUEHUI_CJK_FONT"
ENV_INDEX = "XUEHUI_CJK_FONT_INDEX"
DEBIAN_PACKAGE = "fonts-wqy-zenhei"

# Fake bold: text render mode 2 (fill, then stroke the outline) with this stroke width per point
# of font size.  WenQuanYi Zen Hei has no bold face; the same face is registered as FONT_BOLD so
# code that asks for bold gets the right glyphs, and layout.draw_text(bold=True) thickens them.
BOLD_STROKE_PER_PT = 0.03

# (path, face index).  Only TrueType-outline fonts: reportlab cannot embed CFF outlines.
CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc", 0),  # Fedora / Arch layout
    ("/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc", 0),
    ("/System/Library/Fonts/Supplemental/Songti.ttc", 0),  # developer Macs
)

_SUBSET_CACHE_SIZE = 256


class FontNotFoundError(RuntimeError):
    """No embeddable Chinese TrueType font on this machine."""


@dataclass(frozen=True)
class FontSource:
    path: str
    index: int = 0


def _missing_message(detail: str = "") -> str:
    msg = (
        "No embeddable Chinese TrueType font found for PDF rendering. "
        f"Install the Debian package {DEBIAN_PACKAGE} (apt-get install {DEBIAN_PACKAGE}) "
        f"or set {ENV_PATH}=/path/to/font.ttc (TrueType outlines; .otf/CFF fonts such as "
        f"Noto Sans CJK cannot be embedded by reportlab; {ENV_INDEX} selects the face of a .ttc)."
    )
    return f"{msg} {detail}".strip()


def _fontconfig_candidates() -> list[tuple[str, int]]:
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return []
    try:
        out = subprocess.run(
            [fc_list, ":lang=zh", "file", "index"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in sorted(out.splitlines()):
        # "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc: :index=0"
        path, _, rest = line.partition(":")
        if not path.lower().endswith((".ttf", ".ttc")):
            continue
        index = 0
        if "index=" in rest:
            try:
                index = int(rest.split("index=", 1)[1].split(":")[0])
            except ValueError:
                index = 0
        found.append((path.strip(), index))
    return found


def find_cjk_font(
    environ: dict | None = None,
    candidates: tuple[tuple[str, int], ...] | None = None,
    use_fontconfig: bool = True,
) -> FontSource:
    """Locate the Chinese TrueType font to embed; raise :class:`FontNotFoundError` if there is none."""
    env = os.environ if environ is None else environ
    configured = env.get(ENV_PATH, "").strip()
    if configured:
        if not Path(configured).is_file():
            raise FontNotFoundError(_missing_message(f"{ENV_PATH}={configured!r} does not exist."))
        try:
            index = int(env.get(ENV_INDEX, "0") or 0)
        except ValueError as exc:
            raise FontNotFoundError(f"{ENV_INDEX} must be an integer, got {env.get(ENV_INDEX)!r}") from exc
        return FontSource(configured, index)
    for path, index in CANDIDATES if candidates is None else candidates:
        if Path(path).is_file():
            return FontSource(path, index)
    if use_fontconfig:
        for path, index in _fontconfig_candidates():
            if Path(path).is_file():
                return FontSource(path, index)
    raise FontNotFoundError(_missing_message())


# --- subset cache ------------------------------------------------------------------------------


class _Raw(pdfdoc.PDFObject):
    """Bytes formatted once (a width array) and written as they are."""

    def __init__(self, data: bytes):
        self.data = data

    def format(self, document):
        return self.data


@dataclass(frozen=True)
class _SubsetObjects:
    program_length: int
    program: bytes
    program_deflated: bytes
    widths: bytes  # the formatted /Widths array
    cmap: bytes  # the ToUnicode CMap
    cmap_deflated: bytes


class _SubsetCache:
    """Everything reportlab builds per font subset and document, built once per distinct subset.

    Keyed by (subset number, character codes): the subset number is part of the subset's font name
    (AAAAAA+, AAAAAB+ …), which the ToUnicode CMap repeats.
    """

    def __init__(self, font: TTFont, size: int):
        self.font = font
        self.size = size
        self.items: OrderedDict[tuple, _SubsetObjects] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, n: int, subset, base_font_name: str, doc) -> _SubsetObjects:
        key = (n, tuple(subset))
        with _LOCK:
            item = self.items.get(key)
            if item is not None:
                self.items.move_to_end(key)
                self.hits += 1
                return item
            face = self.font.face
            # makeSubset moves the parser's file position: not thread-safe, hence under the lock.
            program = face.makeSubset(key[1])
            widths = pdfdoc.format(pdfdoc.PDFArray([face.getCharWidth(code) for code in key[1]]), doc)
            cmap = makeToUnicodeCMap(base_font_name, key[1]).encode("latin-1")
            item = _SubsetObjects(len(program), program, zlib.compress(program), widths, cmap, zlib.compress(cmap))
            self.items[key] = item
            self.misses += 1
            if len(self.items) > self.size:
                self.items.popitem(last=False)
            return item


def _stream(doc, raw: bytes, deflated: bytes) -> pdfdoc.PDFStream:
    stream = pdfdoc.PDFStream()
    if doc.compression:
        stream.content = deflated
        stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
    else:
        stream.content = raw
    return stream


def _install_caches(font: TTFont) -> _SubsetCache:
    face = font.face
    tables: dict[str, bytes] = {}
    original_get_table = face.get_table

    def get_table(tag):
        # Tables are immutable slices of the font file; reportlab re-slices (copies) them for
        # every subset, 10 MB for WenQuanYi's glyf table.
        data = tables.get(tag)
        if data is None:
            data = tables[tag] = original_get_table(tag)
        return data

    face.get_table = get_table
    cache = _SubsetCache(font, _SUBSET_CACHE_SIZE)

    def addObjects(doc):  # noqa: N802 - reportlab's method name
        # The objects of reportlab.pdfbase.ttfonts.TTFont.addObjects and
        # TTFontFace.addSubsetObjects (5.x), from the cache.
        state = font.state.get(doc)
        if state is None:
            state = font.state[doc] = TTFont.State(font._asciiReadable)
        state.frozen = 1
        font_dict = doc.idToObject["BasicFonts"].dict
        for n, subset in enumerate(state.subsets):
            internal_name = font.getSubsetInternalName(n, doc)[1:]
            base_font_name = b"".join((SUBSETN(n), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
            objs = cache.get(n, subset, base_font_name, doc)

            pdf_font = pdfdoc.PDFTrueTypeFont()
            pdf_font.__Comment__ = f"Font {font.fontName} subset {n}"
            pdf_font.Name = internal_name
            pdf_font.BaseFont = base_font_name
            pdf_font.FirstChar = 0
            pdf_font.LastChar = len(subset) - 1
            pdf_font.Widths = _Raw(objs.widths)
            # registered in reportlab's order (CMap, font file, descriptor, font): same object numbers
            pdf_font.ToUnicode = doc.Reference(_stream(doc, objs.cmap, objs.cmap_deflated),
                                               "toUnicodeCMap:" + base_font_name)
            font_file = _stream(doc, objs.program, objs.program_deflated)
            font_file.dictionary["Length1"] = objs.program_length
            font_file_ref = doc.Reference(font_file, f"fontFile:{face.filename}({base_font_name})")
            descriptor = pdfdoc.PDFDictionary({
                "Type": "/FontDescriptor",
                "Ascent": face.ascent,
                "CapHeight": face.capHeight,
                "Descent": face.descent,
                "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                "FontBBox": pdfdoc.PDFArray(face.bbox),
                "FontName": pdfdoc.PDFName(base_font_name),
                "ItalicAngle": face.italicAngle,
                "StemV": face.stemV,
                "FontFile2": font_file_ref,
                "MissingWidth": face.defaultWidth,
            })
            pdf_font.FontDescriptor = doc.Reference(descriptor, "fontDescriptor:" + base_font_name)
            doc.Reference(pdf_font, internal_name)
            font_dict[internal_name] = pdf_font
        del font.state[doc]

    font.addObjects = addObjects
    return cache


# --- registration ------------------------------------------------------------------------------

_LOCK = threading.RLock()
_REGISTERED: dict[str, object] = {}


def register_fonts() -> str:
    """Register FONT and FONT_BOLD with reportlab once per process; return FONT.

    Raises :class:`FontNotFoundError` (naming the Debian package) when no font is installed.
    """
    if "font" in _REGISTERED:
        return FONT
    with _LOCK:
        if "font" in _REGISTERED:
            return FONT
        # Binary (Flate only) content streams instead of ASCII85 + Flate: 20 % smaller, and without
        # reportlab's C accelerator ASCII85 costs ~1 ms per page in pure Python.  Process-wide, but
        # only affects how streams are encoded, never what a page shows.
        rl_config.useA85 = 0
        source = find_cjk_font()
        try:
            font = TTFont(FONT, source.path, subfontIndex=source.index, validate=0)
        except (TTFError, OSError) as exc:
            raise FontNotFoundError(_missing_message(f"{source.path} (face {source.index}) cannot be used: {exc}"))
        # XUEHUI_PDF_FONT_CACHE=0 leaves reportlab's own subsetting in place (tests compare the two).
        if os.environ.get("XUEHUI_PDF_FONT_CACHE", "1") != "0":
            _REGISTERED["cache"] = _install_caches(font)
        pdfmetrics.registerFont(font)
        # A second name for the same face: pdfmetrics.registerFont maps a dynamic font whose face
        # is already registered onto the existing font object, so both names share one subset.
        pdfmetrics.registerFont(SimpleNamespace(fontName=FONT_BOLD, _dynamicFont=1, _multiByte=1, face=font.face))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)
        _REGISTERED["source"] = source
        _REGISTERED["font"] = font
    return FONT


def font_source() -> FontSource:
    register_fonts()
    return _REGISTERED["source"]


def cache_stats() -> dict:
    register_fonts()
    cache = _REGISTERED.get("cache")
    if cache is None:
        return {"hits": 0, "misses": 0, "entries": 0, "enabled": False}
    return {"hits": cache.hits, "misses": cache.misses, "entries": len(cache.items), "enabled": True}


def clear_subset_cache() -> None:
    """Forget cached subsets (tests use it to compare cold and warm renders)."""
    register_fonts()
    with _LOCK:
        if "cache" in _REGISTERED:
            _REGISTERED["cache"].items.clear()


def prime(canvas, text: str) -> None:
    """Give the characters of ``text`` fixed codes in ``canvas``'s document before anything is drawn.

    The characters of ``text`` fill the first subsets in a fixed order, and the next character
    drawn starts a new subset: every document primed with the same text shares those subsets
    byte for byte, so they come from the subset cache.  Call it right after creating the canvas.
    """
    font = _REGISTERED.get("font") or pdfmetrics.getFont(register_fonts())
    doc = canvas._doc
    font.splitString(text, doc)
    state = font.state[doc]
    # reportlab's TTFont.State: codes are allocated from nextCode, 256 per subset.  Jump to the
    # start of the next subset so variable text never lands in a primed one.  When the next
    # allocation sees a code that is a multiple of 256 it opens the subset itself.
    if state.nextCode & 0xFF:
        state.nextCode = (state.nextCode | 0xFF) + 1


def fake_bold_stroke(size: float) -> float:
    return size * BOLD_STROKE_PER_PT
