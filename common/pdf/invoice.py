"""Invoice (账单), credit note (红冲) and receipt (收据 / 会费收据) PDFs from an issued snapshot.

``generate(document) -> (filename, "application/pdf", bytes)``; ``document`` is an
:class:`InvoiceDocument` or the same as a plain dict (see :mod:`common.pdf.invoice_model`).
Amounts are formatted "1,234.50" with the CNY 大写金额; A4, one page, continued on further pages
(repeating the table header) when the lines do not fit (:mod:`common.pdf.invoice_layout`).
Same input, same bytes.
"""

from __future__ import annotations

from reportlab.lib.pagesizes import A4

from common.pdf.base import PDF_MIMETYPE, RenderResult, finish, new_canvas, safe_filename
from common.pdf.fonts import register_fonts
from common.pdf.invoice_layout import PRIMER, Renderer, draw
from common.pdf.invoice_model import (
    FAPIAO_KINDS,
    KINDS,
    TITLES,
    BuyerSnapshot,
    InvoiceDocument,
    InvoiceLine,
    IssuerSnapshot,
    PaymentInfo,
    Totals,
    line_values,
    normalise,
    totals,
)

__all__ = [
    "FAPIAO_KINDS",
    "KINDS",
    "TITLES",
    "BuyerSnapshot",
    "InvoiceDocument",
    "InvoiceLine",
    "IssuerSnapshot",
    "PaymentInfo",
    "Totals",
    "filename_for",
    "generate",
    "line_values",
    "normalise",
    "render",
    "totals",
]


def render(document) -> bytes:
    """The PDF bytes of an invoice, credit note or receipt."""
    doc = normalise(document)
    register_fonts()  # the Renderer measures text before new_canvas() would register the font
    r = Renderer(doc)
    issuer = doc.issuer
    title = f"{r.title_zh} {r.title_en} {doc.number}"
    # The labels, then the issuer's texts (the same on every document of a society), get the first
    # font subset(s): identical for all of a society's invoices, so they come from the cache.
    primer = PRIMER + "".join((issuer.name_zh, issuer.name_en, issuer.address, issuer.bank_name))
    c, buffer = new_canvas(
        A4, title=title, author=issuer.name_en or issuer.name_zh, subject=doc.buyer.title, primer=primer
    )
    draw(c, r)
    return finish(c, buffer)


def filename_for(document) -> str:
    doc = document if isinstance(document, InvoiceDocument) else normalise(document)
    return safe_filename(doc.number, fallback=doc.kind)


def generate(document) -> RenderResult:
    """``(filename, mimetype, bytes)`` of an invoice, credit note or receipt."""
    doc = normalise(document)
    return filename_for(doc), PDF_MIMETYPE, render(doc)
