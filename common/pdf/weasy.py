"""WeasyPrint with a sandboxed URL fetcher, and the HTML rendering of an invoice.

The production invoice renderer is :mod:`common.pdf.invoice` (reportlab, ~20x faster); this
module exists for HTML-designed documents and as the reference in ``bench/invoice_pdf.py``.
Rules: plain values only (every value escaped here), no network or file access from the
document (``data:`` URLs only), fonts from fontconfig (Chinese: WenQuanYi Zen Hei, embedded).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from string import Template

from common.pdf.base import format_date
from common.pdf.invoice_layout import InvoiceLayout
from common.pdf.invoice_model import FAPIAO_KINDS, TITLES, normalise
from common.pdf.money import CURRENCY_NAMES_ZH, cny_uppercase, format_amount
from common.pdf.qr import qr_rows

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "pdf"


def sandboxed_fetcher():
    """A WeasyPrint URL fetcher that only resolves ``data:`` URLs."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


def html_to_pdf(document_html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=document_html, base_url=None, url_fetcher=sandboxed_fetcher()).write_pdf()


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _css_string(value: str) -> str:
    """Contents of a double-quoted CSS string inside <style>: no quote, backslash or "<" left raw."""
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return out.replace("<", "\\3c ").replace(">", "\\3e ")


def _img(data: bytes | None, css_class: str = "") -> str:
    if not data:
        return ""
    b64 = base64.b64encode(data).decode("ascii")
    cls = f' class="{css_class}"' if css_class else ""
    return f'<img{cls} alt="" src="data:image/png;base64,{b64}">'


def qr_svg(payload: str) -> str:
    rows = qr_rows(payload)
    n = len(rows)
    path = []
    for r, bits in enumerate(rows):
        line = format(bits, f"0{n}b")[::-1]
        c = 0
        while c < n:
            if line[c] == "1":
                start = c
                while c < n and line[c] == "1":
                    c += 1
                path.append(f"M{start} {r}h{c - start}v1h-{c - start}z")
            else:
                c += 1
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}"><path d="{"".join(path)}"/></svg>'


def invoice_html(document) -> str:
    doc = normalise(document)
    lay = InvoiceLayout(doc)
    zh, en = TITLES[doc.kind]
    title_zh, title_en = doc.title_zh or zh, doc.title_en or en
    i, b = doc.issuer, doc.buyer

    def rows(pairs):
        return "".join(f'<tr><td class="muted">{_e(k)}</td><td>{_e(v)}</td></tr>' for k, v in pairs if v)

    meta = [
        ("编号 No.", doc.number),
        ("开具日期 Issue date", format_date(doc.issue_date)),
        ("付款期限 Due date", format_date(doc.due_date)),
        ("币种 Currency", f"{CURRENCY_NAMES_ZH.get(doc.currency, '')} {doc.currency}"),
    ]
    issuer = [
        ("地址 Address", i.address),
        ("电话 Phone", i.phone),
        ("纳税人识别号 Tax ID", i.tax_id),
        ("开户行 Bank", i.bank_name),
        ("账号 Account", i.bank_account),
    ]
    buyer = [
        ("名称（抬头）Name", b.title),
        ("纳税人识别号 Tax ID", b.taxpayer_id),
        ("地址、电话 Address, phone", f"{b.address} {b.phone}".strip()),
        ("开户行及账号 Bank, account", f"{b.bank_name} {b.bank_account}".strip()),
        ("发票类型 Fapiao type", FAPIAO_KINDS[b.fapiao_kind]),
    ]
    head = "".join(
        f'<th class="{"desc" if key == "description" else ""}">{_e(czh)}<small>{_e(cen)}</small></th>'
        for key, czh, cen, _w, _a in lay.columns
    )
    body = []
    for row in lay.rows:
        cells = []
        for key, _zh, _en, _w, _a in lay.columns:
            if key == "description":
                cells.append(f'<td class="desc">{_e(" ".join(row.description))}</td>')
            else:
                cells.append(f"<td>{_e(getattr(row, key))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    t = lay.totals
    totals = ""
    if lay.show_tax:
        totals = "".join(
            f"<div><span class=muted>{label}</span><span>{format_amount(value, doc.currency)}</span></div>"
            for label, value in (("金额合计 Net total", t.net), ("税额合计 Tax total", t.tax))
        )
    template = Template((TEMPLATE_DIR / "invoice_weasy.html").read_text(encoding="utf-8"))
    return template.substitute(
        title=_e(title_zh),
        title_en=_e(title_en),
        number=_e(doc.number),
        accent="#" + lay.accent.hexval()[2:],
        footer=_css_string(doc.footer),
        logo=_img(i.logo),
        seal=_img(i.seal, "seal"),
        issuer_name=_e(i.name_zh),
        issuer_name_en=_e(i.name_en),
        meta_rows=rows(meta),
        issuer_rows=rows(issuer),
        buyer_rows=rows(buyer),
        head_cells=head,
        line_rows="".join(body),
        total_rows=totals,
        currency=_e(doc.currency),
        total=_e(format_amount(t.gross, doc.currency, symbol=True)),
        words=_e(f"人民币（大写）{cny_uppercase(t.gross)}" if doc.currency == "CNY" else ""),
        note=_e(doc.note),
        qr=qr_svg(doc.verify_url) if doc.verify_url else "",
    )


def generate_invoice(document) -> tuple[str, str, bytes]:
    from common.pdf.invoice import filename_for

    doc = normalise(document)
    return filename_for(doc), "application/pdf", html_to_pdf(invoice_html(doc))
