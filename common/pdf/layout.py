"""Text measuring, wrapping and drawing on a reportlab canvas, for mixed Chinese/Latin text.

Chinese text has no spaces: a line may break between any two Han characters, but not before a
closing punctuation mark (，。、）》…) nor after an opening one (（《“).  Latin words break at
spaces and are split only when a single word is wider than the line.  Widths come from
``pdfmetrics.stringWidth`` of the registered font, so a wrapped line never exceeds the width.
"""

from __future__ import annotations

import re
from functools import lru_cache

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth

from common.pdf.fonts import FONT, fake_bold_stroke, register_fonts

# A line must not start with these (they stick to the preceding character) ...
NO_LINE_START = set("，。、；：？！）》」』】〕〉”’,.;:?!)]}%‰·…—～–-°℃")
# ... nor end with these (they stick to the following character).
NO_LINE_END = set("（《「『【〔〈“‘([{¥$€£#")

# A Latin "word": a run of characters that are neither spaces nor wide (CJK) characters.
_TOKEN = re.compile(r"\s+|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+|.", re.S)


class _CharWidths(dict):
    """Advance widths (font units) of the registered font by character, filled on first use."""

    def __init__(self, face):
        super().__init__()
        self.char_widths = face.charWidths
        self.default = face.defaultWidth

    def __missing__(self, ch: str) -> float:
        width = self[ch] = self.char_widths.get(ord(ch), self.default)
        return width


_WIDTHS: list[_CharWidths] = []


def text_width(text: str, size: float, font: str = FONT) -> float:
    """Width in points; for the registered Chinese font the same number as
    ``pdfmetrics.stringWidth`` (same sum, same order), with the per-character lookups in C."""
    if font != FONT:
        return stringWidth(text, font, size)
    if not _WIDTHS:
        _WIDTHS.append(_CharWidths(_font(FONT).face))
    return 0.001 * size * sum(map(_WIDTHS[0].__getitem__, text))


def _units(paragraph: str) -> list[str]:
    """Split into unbreakable units: spaces, Latin words, single wide characters with their
    attached punctuation."""
    units: list[str] = []
    for token in _TOKEN.findall(paragraph):
        if units and token[0] in NO_LINE_START and not token[0].isspace():
            # attach the leading closing punctuation to the previous unit
            head = token[0]
            units[-1] += head
            token = token[1:]
            if not token:
                continue
        if units and units[-1] and units[-1][-1] in NO_LINE_END and not token.isspace():
            units[-1] += token
            continue
        units.append(token)
    return units


def _split_long(unit: str, width: float, size: float, font: str) -> list[str]:
    """Hard-split a unit that is wider than a whole line, character by character."""
    pieces, current = [], ""
    for ch in unit:
        if current and text_width(current + ch, size, font) > width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    if current:
        pieces.append(current)
    return pieces


def wrap(text: str, width: float, size: float, font: str = FONT, max_lines: int | None = None) -> tuple[str, ...]:
    """Break ``text`` into lines no wider than ``width`` points at ``size``.

    Explicit newlines are kept.  With ``max_lines``, the last line ends in "…" when text was cut.
    Memoised: layouts measure a block, then draw it, and issuer texts repeat on every document.
    """
    return _wrap(text or "", float(width), float(size), font, max_lines)


@lru_cache(maxsize=4096)
def _wrap(text: str, width: float, size: float, font: str, max_lines: int | None) -> tuple[str, ...]:
    if width <= 0:
        raise ValueError("width must be positive")
    lines: list[str] = []
    for paragraph in text.replace("\r\n", "\n").split("\n"):
        current = ""
        current_w = 0.0
        for unit in _units(paragraph):
            if unit.isspace():
                if current:
                    unit = " "
                else:
                    continue  # no leading spaces on a line
            w = text_width(unit, size, font)
            if current_w + w <= width:
                current += unit
                current_w += w
                continue
            if unit.isspace():
                lines.append(current.rstrip())
                current, current_w = "", 0.0
                continue
            if current.strip():
                lines.append(current.rstrip())
            current, current_w = "", 0.0
            if w > width:
                pieces = _split_long(unit, width, size, font)
                lines.extend(pieces[:-1])
                unit = pieces[-1]
                w = text_width(unit, size, font)
            current, current_w = unit, w
        lines.append(current.rstrip())
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and text_width(last + "…", size, font) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return tuple(lines)


def fit_size(text: str, width: float, max_size: float, min_size: float, font: str = FONT) -> float:
    """The largest size (max_size down to min_size, 0.5 pt steps) at which ``text`` fits on one line."""
    w = text_width(text, max_size, font)
    if w <= width:
        return max_size
    size = max_size * width / w  # widths scale linearly with the size
    size = int(size * 2) / 2.0
    return max(min_size, size)


# PDF string escapes, as reportlab's escapePDF: printable ASCII as is, \\ ( ) escaped, others octal
# (a str.translate table over the latin-1 decoded bytes).
_ESCAPES = {
    c: ("\\" + chr(c)) if chr(c) in "\\()" else f"\\{c:03o}"
    for c in range(256)
    if not 32 <= c < 127 or chr(c) in "\\()"
}
_RGB_OPS: dict[tuple, str] = {}


def _rgb(color, op: str) -> str:
    key = (color.red, color.green, color.blue, op)
    s = _RGB_OPS.get(key)
    if s is None:
        s = _RGB_OPS[key] = f"{color.red:.4g} {color.green:.4g} {color.blue:.4g} {op}"
    return s


@lru_cache(maxsize=8)
def _font(name: str):
    register_fonts()  # layout may measure text before any canvas exists
    return getFont(name)


def _split(font, text: str, doc) -> list[tuple[int, bytes]]:
    """``font.splitString(text, doc)``, without its per-character Python loop when every character
    already has its code in one subset (labels, digits, repeated names): the common case."""
    state = font.state.get(doc)
    if state is not None and "\xa0" not in text:
        assignments = state.assignments
        try:
            codes = [assignments[o] for o in map(ord, text)]
        except KeyError:  # a new character: reportlab assigns it
            return font.splitString(text, doc)
        high = max(codes)
        if high < 256:
            return [(0, bytes(codes))]
        base = min(codes) & ~0xFF
        if high - base < 256:
            return [(base >> 8, bytes([c - base for c in codes]))]
    return font.splitString(text, doc)


def draw_text(
    canvas,
    x: float,
    y: float,
    text: str,
    size: float,
    *,
    color=None,
    bold: bool = False,
    align: str = "left",
    font: str = FONT,
) -> float:
    """Draw one line; ``align`` is left/right/centre relative to ``x``.  Returns the width.

    Writes the text operators itself (one ``q BT … ET Q`` group) through the dynamic-font API
    reportlab documents for TrueType subsets (``splitString`` / ``getSubsetInternalName``):
    a quarter of the cost of ``canvas.drawString``'s text object, and it leaves the canvas's
    colour and line state untouched.  Fake bold: fill and stroke (render mode 2).
    """
    if not text:
        return 0.0
    f = _font(font)
    w = text_width(text, size, font)
    if align == "right":
        x -= w
    elif align in ("center", "centre"):
        x -= w / 2.0
    doc = canvas._doc
    fill = _rgb(INK_DEFAULT if color is None else color, "rg")
    if bold:
        stroke = _rgb(INK_DEFAULT if color is None else color, "RG")
        head = f"q {fill} {stroke} {fake_bold_stroke(size):.3f} w BT 1 0 0 1 {x:.2f} {y:.2f} Tm 2 Tr"
    else:
        head = f"q {fill} BT 1 0 0 1 {x:.2f} {y:.2f} Tm"
    runs = [
        f"{f.getSubsetInternalName(subset, doc)} {size:g} Tf ({chunk.decode('latin-1').translate(_ESCAPES)}) Tj"
        for subset, chunk in _split(f, text, doc)
    ]
    canvas.addLiteral(f"{head} {' '.join(runs)} ET Q")
    return w


def fill_rect(canvas, x: float, y: float, w: float, h: float, color) -> None:
    """A filled rectangle, written directly (canvas.rect formats numbers in pure Python)."""
    canvas.addLiteral(f"q {_rgb(color, 'rg')} {x:.2f} {y:.2f} {w:.2f} {h:.2f} re f Q")


def rule(canvas, x1: float, y1: float, x2: float, y2: float, width: float, color) -> None:
    """A straight line of ``width`` points."""
    canvas.addLiteral(f"q {_rgb(color, 'RG')} {width:.2f} w {x1:.2f} {y1:.2f} m {x2:.2f} {y2:.2f} l S Q")


def draw_lines(
    canvas,
    x: float,
    y: float,
    lines,
    size: float,
    leading: float,
    *,
    color=None,
    bold: bool = False,
    align: str = "left",
) -> float:
    """Draw lines downwards from baseline ``y``; return the baseline after the last line."""
    for line in lines:
        draw_text(canvas, x, y, line, size, color=color, bold=bold, align=align)
        y -= leading
    return y


def draw_wrapped(
    canvas,
    x: float,
    y: float,
    text: str,
    width: float,
    size: float,
    *,
    leading: float | None = None,
    color=None,
    bold: bool = False,
    align: str = "left",
    max_lines: int | None = None,
) -> float:
    """Wrap ``text`` to ``width`` and draw it from baseline ``y``; return the next baseline."""
    leading = leading or size * 1.35
    return draw_lines(
        canvas, x, y, wrap(text, width, size, max_lines=max_lines), size, leading, color=color, bold=bold, align=align
    )


# --- colours -----------------------------------------------------------------------------------

DEFAULT_ACCENT = "#1F4E79"


@lru_cache(maxsize=64)
def accent_color(value: str | None):
    """Parse a society's accent colour ("#1F4E79", "1F4E79", "#17a"); fall back to the default."""
    text = (value or DEFAULT_ACCENT).strip().lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    if not re.fullmatch(r"[0-9a-fA-F]{6}", text):
        text = DEFAULT_ACCENT.lstrip("#")
    return colors.HexColor("#" + text)


@lru_cache(maxsize=256)
def tint(color, amount: float):
    """Mix ``color`` with white; amount 0 = colour, 1 = white."""
    r, g, b = color.red, color.green, color.blue
    return colors.Color(r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def readable_on(color) -> object:
    """Black or white, whichever reads better on ``color``."""
    luminance = 0.2126 * color.red + 0.7152 * color.green + 0.0722 * color.blue
    return colors.white if luminance < 0.6 else colors.black


INK = colors.HexColor("#1A1A1A")
INK_DEFAULT = colors.black
MUTED = colors.HexColor("#5F6368")
RULE = colors.HexColor("#C8CDD2")
ZEBRA = colors.HexColor("#F4F6F8")
