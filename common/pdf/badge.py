"""Meeting badges (胸卡): A6, or four A6 badges per A4 sheet with cut guides.

``generate(badge)`` renders one badge into its own PDF; ``generate_bulk(badges)`` renders many
into one PDF (the check-in desk's print run: one font subset and one file for all).  Each badge
carries the attendee's name, set as large as fits, unit, registration type on a coloured band,
and a QR code of the ticket code that check-in scans.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm

from common.pdf.base import PDF_MIMETYPE, RenderResult, coerce, finish, new_canvas, safe_filename
from common.pdf.images import draw_image
from common.pdf.layout import (
    INK,
    MUTED,
    RULE,
    accent_color,
    draw_lines,
    draw_text,
    fit_size,
    readable_on,
    tint,
    wrap,
)
from common.pdf.qr import draw_qr

LAYOUTS = ("a6", "a4")
BADGE_W, BADGE_H = A6  # 105 x 148 mm; four of them tile an A4 sheet exactly


@dataclass
class Badge:
    meeting_title: str
    name: str  # as printed, usually Chinese
    ticket_code: str  # what the QR code carries unless qr_payload is given
    name_en: str = ""
    unit: str = ""  # 单位 / affiliation
    registration_type: str = ""  # e.g. "正式代表 Delegate", "学生 Student", "嘉宾 Guest"
    society_name: str = ""
    dates: str = ""  # one line under the title, e.g. "2026年5月12日—14日 · 杭州"
    qr_payload: str = ""
    accent: str | None = None
    type_color: str | None = None  # band colour per registration type; defaults to accent
    logo: bytes | None = None
    layout: str = "a6"  # a6 | a4 (single-badge generate only)


def _primer(badge: Badge) -> str:
    # Shared by every badge of a meeting: goes into a font subset that is cached between badges.
    return "".join((badge.society_name, badge.meeting_title, badge.dates, badge.registration_type))


def draw_badge(c, badge: Badge, x: float, y: float, w: float = BADGE_W, h: float = BADGE_H) -> None:
    """Draw one badge with its lower-left corner at (x, y)."""
    accent = accent_color(badge.accent)
    pad = 8 * mm
    inner_w = w - 2 * pad
    cx = x + w / 2

    # header band: society, meeting title, dates
    band_h = 36 * mm
    top = y + h
    c.setFillColor(accent)
    c.rect(x, top - band_h, w, band_h, stroke=0, fill=1)
    on_accent = readable_on(accent)
    soft = tint(accent, 0.65) if on_accent == colors.white else MUTED
    yy = top - 8 * mm
    title_w = inner_w
    if badge.logo:  # top right corner of the band; the texts keep clear of it
        logo = 11 * mm
        draw_image(c, badge.logo, x + w - pad - logo, top - 5 * mm - logo, logo, logo, anchor="ne")
        title_w -= logo + 3 * mm
    if badge.society_name:
        draw_text(c, x + pad, yy, badge.society_name, 8, color=soft)
        yy -= 6 * mm
    title_lines = wrap(badge.meeting_title, title_w, 11.5, max_lines=3)
    yy = draw_lines(c, x + pad, yy, title_lines, 11.5, 14.5, color=on_accent, bold=True)
    if badge.dates:
        draw_text(c, x + pad, yy - 1, badge.dates, 8, color=soft)

    # registration type band at the bottom
    type_h = 13 * mm
    if badge.registration_type:
        band = accent_color(badge.type_color) if badge.type_color else accent
        c.setFillColor(band)
        c.rect(x, y, w, type_h, stroke=0, fill=1)
        size = fit_size(badge.registration_type, inner_w, 15, 9)
        draw_text(
            c,
            cx,
            y + type_h / 2 - size * 0.36,
            badge.registration_type,
            size,
            color=readable_on(band),
            bold=True,
            align="center",
        )
    else:
        type_h = 0

    # QR and ticket code above the band
    qr_size = 27 * mm
    qr_y = y + type_h + 9 * mm
    draw_qr(c, badge.qr_payload or badge.ticket_code, cx - qr_size / 2, qr_y, qr_size, color=INK)
    draw_text(c, cx, qr_y - 4.2 * mm, badge.ticket_code, 7.5, color=MUTED, align="center")

    # name, English name, unit: centred in the space between header band and QR code
    size = fit_size(badge.name, inner_w, 34, 18)
    name_lines = wrap(badge.name, inner_w, size, max_lines=2)
    lead = size * 1.18
    unit_lines = wrap(badge.unit, inner_w, 10, max_lines=2) if badge.unit else []
    block_h = len(name_lines) * lead + (16 if badge.name_en else 0) + (14 + len(unit_lines) * 13 if unit_lines else 0)
    space_top = top - band_h - 4 * mm
    space_bottom = qr_y + qr_size + 3 * mm
    cursor = space_top - max(0.0, (space_top - space_bottom - block_h) / 2)
    for line in name_lines:
        draw_text(c, cx, cursor - size * 0.9, line, size, color=INK, bold=True, align="center")
        cursor -= lead
    if badge.name_en:
        draw_text(c, cx, cursor - 11, badge.name_en, 11, color=MUTED, align="center")
        cursor -= 16
    if unit_lines:
        c.setStrokeColor(tint(accent, 0.5))
        c.setLineWidth(1)
        c.line(cx - 10 * mm, cursor - 4, cx + 10 * mm, cursor - 4)
        draw_lines(c, cx, cursor - 14 - 1, unit_lines, 10, 13, color=INK, align="center")


def _cut_guides(c) -> None:
    pw, ph = A4
    c.setStrokeColor(RULE)
    c.setLineWidth(0.3)
    c.setDash(3, 3)
    c.line(pw / 2, 0, pw / 2, ph)
    c.line(0, ph / 2, pw, ph / 2)
    c.setDash()


def _slots_a4():
    pw, ph = A4
    cell_h = ph / 2
    off = (cell_h - BADGE_H) / 2
    return [(0, cell_h + off), (pw / 2, cell_h + off), (0, off), (pw / 2, off)]


def render_many(badges: Iterable, layout: str = "a6") -> bytes:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    items = [coerce(Badge, b) for b in badges]
    if not items:
        raise ValueError("no badges to render")
    first = items[0]
    pagesize = A6 if layout == "a6" else A4
    c, buffer = new_canvas(
        pagesize,
        title=f"胸卡 Badges · {first.meeting_title}",
        author=first.society_name,
        subject=first.meeting_title,
        primer=_primer(first),
    )
    if layout == "a6":
        for i, badge in enumerate(items):
            if i:
                c.showPage()
            draw_badge(c, badge, 0, 0)
    else:
        slots = _slots_a4()
        for i, badge in enumerate(items):
            if i and i % 4 == 0:
                c.showPage()
            if i % 4 == 0:
                _cut_guides(c)
            draw_badge(c, badge, *slots[i % 4])
    return finish(c, buffer)


def generate(badge) -> RenderResult:
    """One badge: ``(badge-<ticket>.pdf, application/pdf, bytes)``."""
    item = coerce(Badge, badge)
    return safe_filename(f"badge-{item.ticket_code}"), PDF_MIMETYPE, render_many([item], item.layout)


def generate_bulk(badges: Iterable, layout: str = "a4", filename: str = "badges") -> RenderResult:
    """Many badges in one PDF (A6 pages, or four per A4 sheet)."""
    return safe_filename(filename), PDF_MIMETYPE, render_many(badges, layout)
