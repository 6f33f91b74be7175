"""Text measuring, wrapping and drawing on a reportlab canvas, for mixed Chinese/Latin text.

Chinese text has no spaces: a line may break between any two Han characters, but not before a
closing punctuation mark (，。、）》…) nor after an opening one (（《“).  Latin words break at
spaces and are split only when a single word is wider than the line.  Widths come from
``pdfmetrics.stringWidth`` of the registered font, so a wrapped line never exceeds the width.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth

from common.pdf.fonts import FONT, FONT_BOLD, fake_bold_stroke

# A line must not start with these (they stick to the preceding character) ...
NO_LINE_START = set("，。、；：？！）》」』】〕〉”’,.;:?!)]}%‰·…—～–-°℃")
# ... nor end with these (they stick to the following character).
NO_LINE_END = set("（《「『【〔〈“‘([{¥$€£#")

# A Latin "word": a run of characters that are neither spaces nor wide (CJK) characters.
_TOKEN = re.compile(r"\s+|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+|.", re.S)


def is_wide(ch: str) -> bool:
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF  # CJK radicals, punctuation, kana, unified ideographs
        or 0xF900 <= o <= 0xFAFF
        or 0xFF00 <= o <= 0xFFEF  # full-width forms
        or 0x20000 <= o <= 0x2FFFF
    )


def text_width(text: str, size: float, font: str = FONT) -> float:
    return stringWidth(text, font, size)


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
        if current and stringWidth(current + ch, font, size) > width:
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
            w = stringWidth(unit, font, size)
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
                w = stringWidth(unit, font, size)
            current, current_w = unit, w
        lines.append(current.rstrip())
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and stringWidth(last + "…", font, size) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return tuple(lines)


def fit_size(text: str, width: float, max_size: float, min_size: float, font: str = FONT) -> float:
    """The largest size (max_size down to min_size, 0.5 pt steps) at which ``text`` fits on one line."""
    w = stringWidth(text, font, max_size)
    if w <= width:
        return max_size
    size = max_size * width / w  # widths scale linearly with the size
    size = int(size * 2) / 2.0
    return max(min_size, size)


# PDF string escapes, as reportlab's escapePDF: printable ASCII as is, \\ ( ) escaped, others octal.
_ESCAPES = tuple(
    ("\\" + chr(c)) if chr(c) in "\\()" else (chr(c) if 32 <= c < 127 else f"\\{c:03o}") for c in range(256)
)
_RGB_OPS: dict[tuple, str] = {}


def _rgb(color, op: str) -> str:
    key = (color.red, color.green, color.blue, op)
    s = _RGB_OPS.get(key)
    if s is None:
        s = _RGB_OPS[key] = f"{color.red:.4g} {color.green:.4g} {color.blue:.4g} {op}"
    return s


@lru_cache(maxsize=8)
def _font(name: str):
    return getFont(name)


def draw_text(canvas, x: float, y: float, text: str, size: float, *, color=None, bold: bool = False,
              align: str = "left", font: str = FONT) -> float:
    """Draw one line; ``align`` is left/right/centre relative to ``x``.  Returns the width.

    Writes the text operators itself (one ``q BT … ET Q`` group) through the dynamic-font API
    reportlab documents for TrueType subsets (``splitString`` / ``getSubsetInternalName``):
    a quarter of the cost of ``canvas.drawString``'s text object, and it leaves the canvas's
    colour and line state untouched.  Fake bold: fill and stroke (render mode 2).
    """
    if not text:
        return 0.0
    f = _font(font)
    w = f.stringWidth(text, size)
    if align == "right":
        x -= w
    elif align in ("center", "centre"):
        x -= w / 2.0
    doc = canvas._doc
    color = INK_DEFAULT if color is None else color
    ops = ["q", _rgb(color, "rg")]
    if bold:
        ops.append(f"{_rgb(color, 'RG')} {fake_bold_stroke(size):.3f} w")
    ops.append(f"BT 1 0 0 1 {x:.2f} {y:.2f} Tm")
    if bold:
        ops.append("2 Tr")
    for subset, chunk in f.splitString(text, doc):
        ops.append(f"{f.getSubsetInternalName(subset, doc)} {size:g} Tf ({''.join(map(_ESCAPES.__getitem__, chunk))}) Tj")
    ops.append("ET Q")
    canvas.addLiteral(" ".join(ops))
    return w


def draw_lines(canvas, x: float, y: float, lines, size: float, leading: float, *, color=None,
               bold: bool = False, align: str = "left") -> float:
    """Draw lines downwards from baseline ``y``; return the baseline after the last line."""
    for line in lines:
        draw_text(canvas, x, y, line, size, color=color, bold=bold, align=align)
        y -= leading
    return y


def draw_wrapped(canvas, x: float, y: float, text: str, width: float, size: float, *, leading: float | None = None,
                 color=None, bold: bool = False, align: str = "left", max_lines: int | None = None) -> float:
    """Wrap ``text`` to ``width`` and draw it from baseline ``y``; return the next baseline."""
    leading = leading or size * 1.35
    return draw_lines(canvas, x, y, wrap(text, width, size, max_lines=max_lines), size, leading,
                      color=color, bold=bold, align=align)


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


def digest(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()
