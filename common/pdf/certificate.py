"""Attendance certificates (参会证明), A4 landscape, Chinese with an English rendering."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm

from common.pdf.base import (
    PDF_MIMETYPE,
    RenderResult,
    coerce,
    finish,
    format_date_en,
    format_date_zh,
    format_range_en,
    format_range_zh,
    new_canvas,
    safe_filename,
)
from common.pdf.images import draw_image
from common.pdf.layout import INK, MUTED, accent_color, draw_lines, draw_text, fit_size, tint, wrap
from common.pdf.qr import draw_qr

PAGE_W, PAGE_H = landscape(A4)
LABELS = {
    "certify": "兹证明",
    "certify_en": "This is to certify that",
    "number": "证书编号 Certificate No.",
    "issued": "颁发日期 Date of issue",
    "verify": "扫码验证 Scan to verify",
    "credits_zh": "获继续教育学时 {credits} 学时。",
    "credits_en": "Continuing education credits: {credits} hours.",
    "body_zh": "于{dates}{venue}参加{meeting}。",
    "special": "特发此证。",
}
PRIMER = "".join(dict.fromkeys(ch for ch in "".join(LABELS.values()) + "参会证明在年月日至" if ord(ch) > 127))


@dataclass
class AttendanceCertificate:
    society_name_zh: str
    name_zh: str  # the attendee's name as printed
    meeting_title_zh: str
    certificate_number: str
    start_date: date | str
    end_date: date | str | None = None
    society_name_en: str = ""
    name_en: str = ""
    meeting_title_en: str = ""
    venue_zh: str = ""
    venue_en: str = ""
    issue_date: date | str | None = None  # defaults to the last meeting day
    credits: str = ""  # continuing-education hours, if the meeting grants them
    verify_url: str = ""  # QR target; no QR when empty
    signatory_name: str = ""
    signatory_title: str = ""
    title_zh: str = "参会证明"
    title_en: str = "CERTIFICATE OF ATTENDANCE"
    accent: str | None = None
    logo: bytes | None = None
    seal: bytes | None = None


def _spaced(text: str) -> str:
    """Letter-spaced display text: 参 会 证 明."""
    return " ".join(text)


def draw_certificate(c, cert: AttendanceCertificate) -> None:
    accent = accent_color(cert.accent)
    light = tint(accent, 0.82)
    w, h = PAGE_W, PAGE_H
    cx = w / 2

    # frame: a heavy outer rule, a hairline inner rule, corner squares
    c.setStrokeColor(accent)
    c.setLineWidth(3)
    c.rect(10 * mm, 10 * mm, w - 20 * mm, h - 20 * mm, stroke=1, fill=0)
    c.setStrokeColor(light)
    c.setLineWidth(0.8)
    c.rect(13 * mm, 13 * mm, w - 26 * mm, h - 26 * mm, stroke=1, fill=0)
    c.setFillColor(accent)
    for x, y in ((10 * mm, 10 * mm), (w - 10 * mm, 10 * mm), (10 * mm, h - 10 * mm), (w - 10 * mm, h - 10 * mm)):
        c.rect(x - 2.5 * mm, y - 2.5 * mm, 5 * mm, 5 * mm, stroke=0, fill=1)

    inner_w = w - 70 * mm
    y = h - 27 * mm
    if cert.logo:
        draw_image(c, cert.logo, cx - 7 * mm, y - 14 * mm, 14 * mm, 14 * mm)
        y -= 19 * mm
    size = fit_size(cert.society_name_zh, inner_w, 15, 10)
    draw_text(c, cx, y - 4, cert.society_name_zh, size, color=INK, bold=True, align="center")
    y -= 4 + 14
    if cert.society_name_en:
        draw_text(c, cx, y, cert.society_name_en, 9, color=MUTED, align="center")
        y -= 10

    # title
    y -= 36
    draw_text(c, cx, y, _spaced(cert.title_zh), 34, color=accent, bold=True, align="center")
    y -= 22
    draw_text(c, cx, y, " ".join(cert.title_en.split()), 11.5, color=accent, align="center")
    c.setStrokeColor(light)
    c.setLineWidth(1)
    y -= 12
    c.line(cx - 40 * mm, y, cx + 40 * mm, y)

    # who
    y -= 34
    draw_text(c, cx, y, LABELS["certify"], 12, color=MUTED, align="center")
    y -= 36
    name_size = fit_size(cert.name_zh, inner_w, 30, 16)
    draw_text(c, cx, y, cert.name_zh, name_size, color=INK, bold=True, align="center")
    if cert.name_en and cert.name_en != cert.name_zh:
        y -= 20
        draw_text(c, cx, y, cert.name_en, 12, color=MUTED, align="center")

    # what
    dates_zh = format_range_zh(cert.start_date, cert.end_date)
    venue_zh = f"在{cert.venue_zh}" if cert.venue_zh else ""
    body_zh = LABELS["body_zh"].format(dates=dates_zh, venue=venue_zh, meeting=cert.meeting_title_zh)
    if cert.credits:
        body_zh += LABELS["credits_zh"].format(credits=cert.credits)
    body_zh += LABELS["special"]
    y -= 36
    y = draw_lines(c, cx, y, wrap(body_zh, inner_w, 13, max_lines=3), 13, 19, color=INK, align="center")
    if cert.meeting_title_en:
        where = f", {cert.venue_en}," if cert.venue_en else ""
        body_en = (
            f"{LABELS['certify_en']} {cert.name_en or cert.name_zh} attended {cert.meeting_title_en}"
            f"{where} on {format_range_en(cert.start_date, cert.end_date)}."
        )
        if cert.credits:
            body_en += " " + LABELS["credits_en"].format(credits=cert.credits)
        y -= 2
        draw_lines(c, cx, y, wrap(body_en, inner_w, 9.5, max_lines=3), 9.5, 13, color=MUTED, align="center")

    # bottom left: QR and number; bottom right: signature, date, seal
    base = 24 * mm
    left = 24 * mm
    if cert.verify_url:
        qr = 24 * mm
        draw_qr(c, cert.verify_url, left, base, qr, color=INK)
        tx = left + qr + 5 * mm
        draw_text(c, tx, base + qr - 8, LABELS["number"], 7.5, color=MUTED)
        draw_text(c, tx, base + qr - 20, cert.certificate_number, 10, color=INK, bold=True)
        draw_text(c, tx, base + 4, LABELS["verify"], 7.5, color=MUTED)
    else:
        draw_text(c, left, base + 14, LABELS["number"], 7.5, color=MUTED)
        draw_text(c, left, base + 2, cert.certificate_number, 10, color=INK, bold=True)

    right = w - 24 * mm
    block_w = 80 * mm
    sx = right - block_w / 2
    issued = cert.issue_date or cert.end_date or cert.start_date
    draw_text(c, sx, base + 48, cert.society_name_zh, 12, color=INK, bold=True, align="center")
    if cert.signatory_name:
        c.setStrokeColor(MUTED)
        c.setLineWidth(0.6)
        c.line(sx - 30 * mm, base + 24, sx + 30 * mm, base + 24)
        who = " ".join(x for x in (cert.signatory_name, cert.signatory_title) if x)
        draw_text(c, sx, base + 12, who, 9, color=INK, align="center")
    draw_text(c, sx, base, f"{format_date_zh(issued)}  {format_date_en(issued)}", 9, color=MUTED, align="center")
    if cert.seal:
        size = 36 * mm
        c.saveState()
        c.setBlendMode("Multiply")
        # over the society name and the date, as stamped on paper
        draw_image(c, cert.seal, sx - size / 2 + 8 * mm, base + 26 - size / 2, size, size)
        c.restoreState()


def render(certificate) -> bytes:
    cert = coerce(AttendanceCertificate, certificate)
    primer = PRIMER + cert.society_name_zh + cert.meeting_title_zh + (cert.venue_zh or "")
    c, buffer = new_canvas(
        (PAGE_W, PAGE_H),
        title=f"{cert.title_zh} {cert.certificate_number}",
        author=cert.society_name_zh,
        subject=cert.meeting_title_zh,
        primer=primer,
    )
    draw_certificate(c, cert)
    return finish(c, buffer)


def generate(certificate) -> RenderResult:
    """``(certificate-<number>.pdf, application/pdf, bytes)``."""
    cert = coerce(AttendanceCertificate, certificate)
    return safe_filename(f"certificate-{cert.certificate_number}"), PDF_MIMETYPE, render(cert)
