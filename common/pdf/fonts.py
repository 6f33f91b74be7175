"""The Chinese font of every Xuehui PDF, embedded as a TrueType subset.

reportlab's CID fonts (``STSong-Light``) are not embedded: the reader substitutes whatever it has,
which on a phone or a print shop's RIP may be nothing.  We register a TrueType font (outlines in
``glyf``; OpenType/CFF such as Noto CJK ``.otf`` is not supported by reportlab) and reportlab
writes a subset of the glyphs used into each PDF (``/FontFile2``).

Lookup order: ``XUEHUI_CJK_FONT`` (path; ``XUEHUI_CJK_FONT_INDEX`` picks the face of a ``.ttc``),
then the Debian paths of ``fonts-wqy-zenhei`` / ``fonts-wqy-microhei`` / ``fonts-arphic-uming``,
then ``fc-list :lang=zh``.  :func:`register_fonts` loads the font once per process (~0.1 s).

Speed (an invoice renders in a few milliseconds): reportlab builds every subset from scratch
for every document, copying the 10 MB ``glyf`` table of WenQuanYi, deflating the program and
formatting its width array number by number.  Here the font's tables are kept, and the four PDF
objects of a subset (program, ToUnicode CMap, descriptor, font dictionary) are built and
formatted once per distinct subset (:mod:`common.pdf.objects`).  With :func:`prime`, a renderer
gives its fixed labels (and e.g. the issuer's texts) subsets of their own, identical in every
document of that kind, so they come from the cache; only the variable text (names, addresses,
descriptions) is subset per document.  The bytes are exactly what reportlab writes without the
cache (a test compares them); ``XUEHUI_PDF_FONT_CACHE=0`` switches the cache off.  Memory: the
font (~17 MB, mapped by reportlab) plus ~11 MB of tables and up to 256 cached subsets.
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
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, SUBSETN, TTFError, TTFont, makeToUnicodeCMap

from common.pdf.objects import Formatted, Hole, Preformatted, array, preformat

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
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
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


@dataclass(frozen=True)
class _SubsetObjects:
    """The four PDF objects of a font subset, formatted (see common.pdf.objects)."""

    cmap: Formatted  # ToUnicode CMap stream
    program: Formatted  # /FontFile2 stream: the subset TrueType program
    descriptor: Formatted  # hole: FontFile2 reference
    font: Formatted  # holes: Name, ToUnicode reference, FontDescriptor reference


def _stream(content: bytes, compress: bool, **entries) -> pdfdoc.PDFStream:
    stream = pdfdoc.PDFStream()
    if compress:
        stream.content = zlib.compress(content)
        stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
    else:
        stream.content = content
    for key, value in entries.items():
        stream.dictionary[key] = value
    return stream


_WIDTHS: dict[float, bytes] = {}


def _width_bytes(width: float) -> bytes:
    """A glyph width as reportlab formats it (fp_str); a font has a few hundred distinct widths."""
    out = _WIDTHS.get(width)
    if out is None:
        out = _WIDTHS[width] = pdfdoc.format(width, None)
    return out


def _build_subset(font: TTFont, n: int, subset: tuple[int, ...], compress: bool) -> _SubsetObjects:
    """What reportlab's TTFont.addObjects and TTFontFace.addSubsetObjects (5.x) write for subset
    ``n``, byte for byte, with the document-specific values left as holes."""
    face = font.face
    base_font_name = b"".join((SUBSETN(n), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
    program = face.makeSubset(subset)
    cmap = makeToUnicodeCMap(base_font_name, subset).encode("latin-1")
    descriptor = pdfdoc.PDFDictionary(
        {
            "Type": "/FontDescriptor",
            "Ascent": face.ascent,
            "CapHeight": face.capHeight,
            "Descent": face.descent,
            "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
            "FontBBox": pdfdoc.PDFArray(face.bbox),
            "FontName": pdfdoc.PDFName(base_font_name),
            "ItalicAngle": face.italicAngle,
            "StemV": face.stemV,
            "FontFile2": Hole(0),
            "MissingWidth": face.defaultWidth,
        }
    )
    # the entries of pdfdoc.PDFTrueTypeFont.format
    font_dict = pdfdoc.PDFDictionary(
        {
            "Type": pdfdoc.PDFName("Font"),
            "Subtype": pdfdoc.PDFName("TrueType"),
            "BaseFont": pdfdoc.PDFName(base_font_name),
            "Name": Hole(0),
            "FirstChar": 0,
            "LastChar": len(subset) - 1,
            "Widths": array([_width_bytes(face.getCharWidth(code)) for code in subset]),
            "ToUnicode": Hole(1),
            "FontDescriptor": Hole(2),
        }
    )
    return _SubsetObjects(
        cmap=preformat(_stream(cmap, compress)),
        program=preformat(_stream(program, compress, Length1=len(program))),
        descriptor=preformat(descriptor),
        font=preformat(font_dict),
    )


class _SubsetCache:
    """The PDF objects of font subsets, built once per distinct subset.

    Keyed by (subset number, character codes, compression): the subset number is part of the
    subset's font name (AAAAAA+, AAAAAB+ …), which the ToUnicode CMap repeats.
    """

    def __init__(self, font: TTFont, size: int):
        self.font = font
        self.size = size
        self.items: OrderedDict[tuple, _SubsetObjects] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, n: int, subset, compress: bool) -> _SubsetObjects:
        key = (n, tuple(subset), bool(compress))
        with _LOCK:
            item = self.items.get(key)
            if item is not None:
                self.items.move_to_end(key)
                self.hits += 1
                return item
            # makeSubset moves the parser's file position: not thread-safe, hence under the lock.
            item = _build_subset(self.font, n, key[1], key[2])
            self.items[key] = item
            self.misses += 1
            if len(self.items) > self.size:
                self.items.popitem(last=False)
            return item


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
        # reportlab.pdfbase.ttfonts.TTFont.addObjects (5.x), with the objects from the cache.
        state = font.state.get(doc)
        if state is None:
            state = font.state[doc] = TTFont.State(font._asciiReadable)
        state.frozen = 1
        font_dict = doc.idToObject["BasicFonts"].dict
        for n, subset in enumerate(state.subsets):
            internal_name = font.getSubsetInternalName(n, doc)[1:]
            base_font_name = b"".join((SUBSETN(n), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
            objs = cache.get(n, subset, doc.compression)
            # registered in reportlab's order (CMap, font file, descriptor, font): same object numbers
            cmap_ref = doc.Reference(Preformatted(objs.cmap), "toUnicodeCMap:" + base_font_name)
            file_ref = doc.Reference(Preformatted(objs.program), f"fontFile:{face.filename}({base_font_name})")
            descriptor_ref = doc.Reference(
                Preformatted(objs.descriptor, (file_ref,)), "fontDescriptor:" + base_font_name
            )
            pdf_font = Preformatted(objs.font, (pdfdoc.PDFName(internal_name), cmap_ref, descriptor_ref))
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
            detail = f"{source.path} (face {source.index}) cannot be used: {exc}"
            raise FontNotFoundError(_missing_message(detail)) from exc
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


class _PrimeKey:
    """Stands for a document while a primer is assigned its codes (TTFont.state is keyed weakly)."""


_PRIMED: OrderedDict[str, tuple] = OrderedDict()


def _primed_state(font: TTFont, text: str) -> tuple:
    with _LOCK:
        item = _PRIMED.get(text)
        if item is not None:
            _PRIMED.move_to_end(text)
            return item
        key = _PrimeKey()
        font.splitString(text, key)
        state = font.state.pop(key)
        # reportlab's TTFont.State: codes are allocated from nextCode, 256 per subset.  Jump to the
        # start of the next subset so variable text never lands in a primed one.  When the next
        # allocation sees a code that is a multiple of 256 it opens the subset itself.
        next_code = state.nextCode
        if next_code & 0xFF:
            next_code = (next_code | 0xFF) + 1
        item = _PRIMED[text] = (dict(state.assignments), tuple(tuple(s) for s in state.subsets), next_code)
        if len(_PRIMED) > 64:
            _PRIMED.popitem(last=False)
        return item


def prime(canvas, text: str) -> None:
    """Give the characters of ``text`` fixed codes in ``canvas``'s document before anything is drawn.

    The characters of ``text`` fill the first subsets in a fixed order, and the next character
    drawn starts a new subset: every document primed with the same text shares those subsets
    byte for byte, so they come from the subset cache.  Call it right after creating the canvas,
    once.  The resulting code assignment is computed once per text and copied.
    """
    register_fonts()
    font = _REGISTERED["font"]
    doc = canvas._doc
    if doc in font.state:
        raise RuntimeError("prime() must be called before any text is drawn, and only once")
    assignments, subsets, next_code = _primed_state(font, text)
    state = TTFont.State.__new__(TTFont.State)  # the attributes TTFont.State.__init__ sets
    state.assignments = dict(assignments)
    state.subsets = [list(s) for s in subsets]
    state.nextCode = next_code
    state.internalName = None
    state.frozen = 0
    font.state[doc] = state


def fake_bold_stroke(size: float) -> float:
    return size * BOLD_STROKE_PER_PT
