"""Membership cards (会员证): credit-card size (ISO/IEC 7810 ID-1, 85.6 × 54 mm), or on A4 with
crop marks for office printing (one card, or eight per sheet with ``generate_bulk``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from common.pdf.base import PDF_MIMETYPE, RenderResult, coerce, finish, format_date, new_canvas, safe_filename
from common.pdf.images import draw_image
from common.pdf.layout import (
    INK,
    MUTED,
    RULE,
    accent_color,
    draw_text,
    fit_size,
    readable_on,
    tint,
    wrap,
)
from common.pdf.qr import draw_qr

CARD_W, CARD_H = 85.6 * mm, 54 * mm
LAYOUTS = ("card", "a4")
PER_PAGE = 8  # cards per A4 sheet
LABELS = {
    "title": "会员证 MEMBERSHIP CARD",
    "number": "会员号 Member No.",
    "category": "会员类别 Category",
    "valid": "有效期至 Valid until",
    "verify": "扫码验证 Verify",
    "cut": "沿裁切标记裁下 Cut along the crop marks",
}
PRIMER = "".join(dict.fromkeys(ch for ch in "".join(LABELS.values()) if ord(ch) > 127))


@dataclass
class MembershipCard:
    society_name_zh: str
    name_zh: str  # the member's name as printed (Chinese, or the only name)
    member_number: str
    society_name_en: str = ""
    name_en: str = ""
    category: str = ""  # 会员类别, e.g. "高级会员 Senior member"
    valid_until: date | str | None = None
    verify_url: str = ""  # QR target; the member number when empty
    accent: str | None = None
    logo: bytes | None = None
    layout: str = "card"  # card | a4


def draw_card(c, card: MembershipCard, x: float, y: float) -> None:
    """Draw one card with its lower-left corner at (x, y)."""
    accent = accent_color(card.accent)
    on_accent = readable_on(accent)
    w, h = CARD_W, CARD_H
    pad = 4 * mm
    # white card with a thin outline (visible when printed on A4)
    c.setFillColorRGB(1, 1, 1)
    c.setStrokeColor(RULE)
    c.setLineWidth(0.3)
    c.roundRect(x, y, w, h, 3 * mm, stroke=1, fill=1)

    # header band
    band_h = 14 * mm
    c.saveState()
    clip = c.beginPath()
    clip.roundRect(x, y, w, h, 3 * mm)
    c.clipPath(clip, stroke=0, fill=0)
    c.setFillColor(accent)
    c.rect(x, y + h - band_h, w, band_h, stroke=0, fill=1)
    c.setFillColor(tint(accent, 0.85))
    c.rect(x, y, w, 1.6 * mm, stroke=0, fill=1)
    c.restoreState()

    text_x = x + pad
    if card.logo:
        draw_image(c, card.logo, x + pad, y + h - band_h + 2.5 * mm, 9 * mm, 9 * mm, anchor="w")
        text_x += 11 * mm
    name_w = x + w - pad - text_x
    soft = tint(accent, 0.6) if on_accent.red == 1 else MUTED
    size = fit_size(card.society_name_zh, name_w, 9.5, 6.5)
    draw_text(c, text_x, y + h - 6.2 * mm, card.society_name_zh, size, color=on_accent, bold=True)
    if card.society_name_en:
        en = wrap(card.society_name_en, name_w, 5.2, max_lines=1)[0]
        draw_text(c, text_x, y + h - 9.2 * mm, en, 5.2, color=soft)
    draw_text(c, text_x, y + h - 12.2 * mm, LABELS["title"], 5, color=soft)

    # QR on the right
    qr_size = 22 * mm
    qr_x = x + w - pad - qr_size
    qr_y = y + 6 * mm
    draw_qr(c, card.verify_url or card.member_number, qr_x, qr_y, qr_size, color=INK)
    draw_text(c, qr_x + qr_size / 2, qr_y - 2.6 * mm, LABELS["verify"], 4.6, color=MUTED, align="center")

    # member name and fields on the left
    left_w = qr_x - 3 * mm - (x + pad)
    yy = y + h - band_h - 7.2 * mm
    size = fit_size(card.name_zh, left_w, 15, 9)
    draw_text(c, x + pad, yy, card.name_zh, size, color=INK, bold=True)
    if card.name_en:
        yy -= 3.8 * mm
        draw_text(c, x + pad, yy, wrap(card.name_en, left_w, 7, max_lines=1)[0], 7, color=MUTED)
    yy -= 2.2 * mm
    rows = [
        (LABELS["number"], card.member_number),
        (LABELS["category"], card.category),
        (LABELS["valid"], format_date(card.valid_until)),
    ]
    for label, value in rows:
        if not value:
            continue
        draw_text(c, x + pad, yy - 2.6 * mm, label, 4.6, color=MUTED)
        value = wrap(value, left_w, 7, max_lines=1)[0]
        draw_text(c, x + pad, yy - 5.5 * mm, value, 7, color=INK, bold=(label == LABELS["number"]))
        yy -= 6.2 * mm


def _crop_marks(c, x: float, y: float, w: float, h: float, length: float = 4 * mm, gap: float = 1.5 * mm) -> None:
    c.setStrokeColorRGB(0, 0, 0)
    c.setLineWidth(0.25)
    for cx in (x, x + w):
        c.line(cx, y - gap, cx, y - gap - length)
        c.line(cx, y + h + gap, cx, y + h + gap + length)
    for cy in (y, y + h):
        c.line(x - gap, cy, x - gap - length, cy)
        c.line(x + w + gap, cy, x + w + gap + length, cy)


def _a4_slots():
    """Eight cards per A4 sheet: 2 columns × 4 rows, centred, 12 mm apart for the crop marks."""
    pw, ph = A4
    gap = 12 * mm
    cols, rows = 2, PER_PAGE // 2
    total_w = cols * CARD_W + (cols - 1) * gap
    total_h = rows * CARD_H + (rows - 1) * gap
    x0, y_top = (pw - total_w) / 2, (ph + total_h) / 2
    slots = []
    for i in range(PER_PAGE):
        r, col = divmod(i, cols)
        slots.append((x0 + col * (CARD_W + gap), y_top - (r + 1) * CARD_H - r * gap))
    return slots


def render_many(cards: Iterable, layout: str = "card") -> bytes:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    items = [coerce(MembershipCard, x) for x in cards]
    if not items:
        raise ValueError("no cards to render")
    first = items[0]
    pagesize = (CARD_W, CARD_H) if layout == "card" else A4
    primer = PRIMER + first.society_name_zh + first.society_name_en
    c, buffer = new_canvas(
        pagesize,
        title=f"会员证 Membership card · {first.name_zh}",
        author=first.society_name_zh,
        subject=first.member_number,
        primer=primer,
    )
    if layout == "card":
        for i, card in enumerate(items):
            if i:
                c.showPage()
            draw_card(c, card, 0, 0)
    else:
        slots = _a4_slots()
        for i, card in enumerate(items):
            if i and i % PER_PAGE == 0:
                c.showPage()
            if i % PER_PAGE == 0:
                draw_text(c, 15 * mm, 12 * mm, LABELS["cut"], 7, color=MUTED)
            x, y = slots[i % PER_PAGE]
            draw_card(c, card, x, y)
            _crop_marks(c, x, y, CARD_W, CARD_H)
    return finish(c, buffer)


def generate(card) -> RenderResult:
    """One card: ``(member-card-<number>.pdf, application/pdf, bytes)``; ``layout="a4"`` prints it on A4."""
    item = coerce(MembershipCard, card)
    return safe_filename(f"member-card-{item.member_number}"), PDF_MIMETYPE, render_many([item], item.layout)


def generate_bulk(cards: Iterable, layout: str = "a4", filename: str = "member-cards") -> RenderResult:
    return safe_filename(filename), PDF_MIMETYPE, render_many(cards, layout)
