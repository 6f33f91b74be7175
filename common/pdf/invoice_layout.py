"""Page layout of invoices, credit notes and receipts (A4; continued pages repeat the table header)."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from common.pdf.base import format_date
from common.pdf.images import draw_image
from common.pdf.invoice_model import (
    FAPIAO_KINDS,
    TITLES,
    InvoiceDocument,
    line_values,
    totals,
)
from common.pdf.layout import (
    INK,
    MUTED,
    RULE,
    ZEBRA,
    accent_color,
    draw_lines,
    draw_text,
    fill_rect,
    rule,
    text_width,
    tint,
    wrap,
)
from common.pdf.money import CURRENCY_NAMES_ZH, cny_uppercase, format_amount, format_quantity, format_rate, to_decimal
from common.pdf.qr import draw_qr

# --- page geometry -------------------------------------------------------------------------------

PAGE_W, PAGE_H = A4
MARGIN_X = 16 * mm
MARGIN_TOP = 14 * mm
MARGIN_BOTTOM = 14 * mm
CONTENT_W = PAGE_W - 2 * MARGIN_X
LEFT, RIGHT = MARGIN_X, PAGE_W - MARGIN_X
FOOTER_H = 26.0  # space reserved above the bottom margin for the footer
BODY = 8.5
LEAD = 11.2
SMALL = 7.0
ROW_PAD = 4.0
DESCRIPTION_MAX_LINES = 12

L = {
    "no": "编号 No.",
    "issue_date": "开具日期 Issue date",
    "due_date": "付款期限 Due date",
    "original": "原账单编号 Original invoice",
    "original_date": "原开具日期 Original date",
    "fapiao": "税务发票号码 Fapiao No.",
    "currency": "币种 Currency",
    "issuer": "开具方 ISSUER",
    "buyer": "购买方 BUYER",
    "address": "地址 Address",
    "phone": "电话 Phone",
    "email": "邮箱 Email",
    "tax_id": "纳税人识别号 Tax ID",
    "bank": "开户行 Bank",
    "account": "账号 Account",
    "buyer_name": "名称（抬头）Name",
    "person_name": "姓名 Name",
    "address_phone": "地址、电话 Address, phone",
    "bank_account": "开户行及账号 Bank, account",
    "fapiao_kind": "发票类型 Fapiao type",
    "net_total": "金额合计 Net total",
    "tax_total": "税额合计 Tax total",
    "gross_total": "价税合计 Total",
    "total": "合计 Total",
    "words": "人民币（大写）Amount in words",
    "payment": "收款信息 PAYMENT",
    "paid_on": "收款日期 Paid on",
    "method": "付款方式 Method",
    "reference": "交易参考号 Reference",
    "received": "实收金额 Amount received",
    "paid_badge": "已收讫 PAID",
    "note": "备注 NOTE",
    "verify": "扫码验真 Scan to verify",
    "continued": "续 continued",
    "credit_for": "冲销原账单 Credit note for",
}
COLUMNS_TAX = (
    # key, zh, en, width (None = the rest), align
    ("idx", "序号", "#", 20, "center"),
    ("description", "项目", "Description", None, "left"),
    ("quantity", "数量", "Qty", 40, "right"),
    ("unit_price", "单价", "Unit price", 62, "right"),
    ("tax_rate", "税率", "Tax rate", 40, "right"),
    ("net", "金额", "Net", 64, "right"),
    ("tax", "税额", "Tax", 56, "right"),
    ("gross", "价税合计", "Gross", 68, "right"),
)
COLUMNS_PLAIN = (
    ("idx", "序号", "#", 20, "center"),
    ("description", "项目", "Description", None, "left"),
    ("quantity", "数量", "Qty", 48, "right"),
    ("unit_price", "单价", "Unit price", 80, "right"),
    ("gross", "金额", "Amount", 88, "right"),
)
CELL_PAD = 4.0


def _primer() -> str:
    """Every fixed label, in a fixed order: these glyphs go into the first, cached font subset."""
    texts = list(L.values()) + [zh + en for zh, en in TITLES.values()] + list(FAPIAO_KINDS.values())
    texts += [zh + en for _, zh, en, _, _ in COLUMNS_TAX + COLUMNS_PLAIN]
    texts += ["零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整负", "第页共", "个人 Individual", "¥€£₩–—…（）：，。、"]
    seen: dict[str, None] = {}
    for ch in "".join(texts):
        if ord(ch) > 127:
            seen.setdefault(ch, None)
    return "".join(seen)


PRIMER = _primer()


@dataclass
class _Row:
    idx: str
    description: list[str]
    quantity: str
    unit_price: str
    tax_rate: str
    net: str
    tax: str
    gross: str
    height: float


class InvoiceLayout:
    """Columns, wrapped rows and totals of a document: everything measured before drawing."""

    def __init__(self, doc: InvoiceDocument):
        self.doc = doc
        self.accent = accent_color(doc.accent)
        self.accent_light = tint(self.accent, 0.9)
        self.currency = doc.currency
        values = [line_values(line, doc.currency) for line in doc.lines]
        self.totals = totals(doc, values)
        self.show_tax = any(v[1] != 0 for v in values) or any(to_decimal(x.tax_rate or "0") != 0 for x in doc.lines)
        self.columns = self._columns()
        desc_w = self.col_w["description"] - 2 * CELL_PAD
        self.rows = []
        for i, (line, (net, tax, gross)) in enumerate(zip(doc.lines, values, strict=True), start=1):
            desc = wrap(line.description, desc_w, BODY, max_lines=DESCRIPTION_MAX_LINES)
            qty = format_quantity(line.quantity) + (f" {line.unit}" if line.unit else "")
            self.rows.append(
                _Row(
                    idx=str(i),
                    description=desc,
                    quantity=qty,
                    unit_price=format_amount(line.unit_price, self.currency),
                    tax_rate=format_rate(line.tax_rate or "0"),
                    net=format_amount(net, self.currency),
                    tax=format_amount(tax, self.currency),
                    gross=format_amount(gross, self.currency),
                    height=len(desc) * LEAD + 2 * ROW_PAD,
                )
            )

    def _columns(self):
        cols = COLUMNS_TAX if self.show_tax else COLUMNS_PLAIN
        fixed = sum(c[3] for c in cols if c[3])
        self.col_w, self.col_x = {}, {}
        x = LEFT
        for key, _zh, _en, width, _align in cols:
            w = width or (CONTENT_W - fixed)
            self.col_w[key], self.col_x[key] = w, x
            x += w
        return cols


def _label_w(rows) -> float:
    return max((text_width(label, SMALL) for label, value in rows if value), default=0.0) + 8


def _kv_block(c, x, y, width, rows, *, label_w=None, size=BODY):
    """Label/value rows (label muted, value wrapped to the rest); return the next baseline."""
    label_w = _label_w(rows) if label_w is None else label_w
    for label, value in rows:
        if not value:
            continue
        lines = wrap(value, width - label_w, size)
        draw_text(c, x, y, label, SMALL, color=MUTED)
        y = draw_lines(c, x + label_w, y, lines, size, LEAD, color=INK)
    return y


def _kv_height(width, rows, *, label_w=None, size=BODY) -> float:
    label_w = _label_w(rows) if label_w is None else label_w
    return sum(len(wrap(v, width - label_w, size)) * LEAD for _, v in rows if v)


class Renderer:
    def __init__(self, doc: InvoiceDocument):
        self.doc = doc
        self.lay = InvoiceLayout(doc)
        zh, en = TITLES[doc.kind]
        self.title_zh = doc.title_zh or zh
        self.title_en = doc.title_en or en

    # -- pieces shared by all pages

    def meta_rows(self):
        d = self.doc
        rows = [(L["no"], d.number), (L["issue_date"], format_date(d.issue_date))]
        if d.kind == "invoice" and d.due_date:
            rows.append((L["due_date"], format_date(d.due_date)))
        if d.kind == "credit_note":
            rows.append((L["original"], d.original_number))
            if d.original_issue_date:
                rows.append((L["original_date"], format_date(d.original_issue_date)))
        if d.fapiao_number:
            rows.append((L["fapiao"], d.fapiao_number))
        name = CURRENCY_NAMES_ZH.get(d.currency, "")
        rows.append((L["currency"], f"{name} {d.currency}".strip()))
        return rows

    def issuer_rows(self):
        i = self.doc.issuer
        return [
            (L["address"], i.address),
            (L["phone"], i.phone),
            (L["email"], i.email),
            (L["tax_id"], i.tax_id),
            (L["bank"], i.bank_name),
            (L["account"], i.bank_account),
        ]

    def buyer_rows(self):
        b = self.doc.buyer
        if b.is_person:
            return [(L["address_phone"], " ".join(x for x in (b.address, b.phone) if x)), (L["email"], b.email)]
        return [
            (L["tax_id"], b.taxpayer_id),
            (L["address_phone"], " ".join(x for x in (b.address, b.phone) if x)),
            (L["bank_account"], " ".join(x for x in (b.bank_name, b.bank_account) if x)),
            (L["fapiao_kind"], FAPIAO_KINDS[b.fapiao_kind]),
            (L["email"], b.email),
        ]

    def buyer_name_label(self) -> str:
        return L["person_name"] if self.doc.buyer.is_person else L["buyer_name"]

    def buyer_label_w(self) -> float:
        return _label_w(self.buyer_rows() + [(self.buyer_name_label(), "x")])

    # -- page 1 header

    def draw_header(self, c, y_top) -> float:
        d, lay = self.doc, self.lay
        issuer = d.issuer
        text_x = LEFT
        logo_h = 40.0
        if issuer.logo:
            draw_image(c, issuer.logo, LEFT, y_top - logo_h, logo_h, logo_h, anchor="nw")
            text_x = LEFT + logo_h + 8
        left_w = 300 - (text_x - LEFT)
        y = y_top - 14
        for line in wrap(issuer.name_zh, left_w, 14, max_lines=2):
            draw_text(c, text_x, y, line, 14, color=INK, bold=True)
            y -= 17
        if issuer.name_en:
            y = draw_lines(c, text_x, y + 2, wrap(issuer.name_en, left_w, 8, max_lines=2), 8, 10, color=MUTED)
        left_bottom = min(y, y_top - logo_h if issuer.logo else y)

        # title block on the right
        y = y_top - 20
        draw_text(c, RIGHT, y, self.title_zh, 20, color=lay.accent, bold=True, align="right")
        y -= 15
        draw_text(c, RIGHT, y, self.title_en, 10, color=lay.accent, align="right")
        if d.kind == "receipt" and d.payment:
            w = text_width(L["paid_badge"], 8) + 12
            bx = RIGHT - text_width(self.title_en, 10) - w - 8
            c.setFillColor(lay.accent)
            c.roundRect(bx, y - 3.5, w, 13, 3, stroke=0, fill=1)
            draw_text(c, bx + 6, y, L["paid_badge"], 8, color=colors.white)
        y -= 8
        for label, value in self.meta_rows():
            y -= LEAD
            draw_text(c, RIGHT, y, value, BODY, color=INK, align="right")
            draw_text(c, RIGHT - 118, y, label, SMALL, color=MUTED, align="right")
        bottom = min(left_bottom, y) - 10
        rule(c, LEFT, bottom, RIGHT, bottom, 1.6, lay.accent)
        return bottom

    def draw_parties(self, c, y_top) -> float:
        d, lay = self.doc, self.lay
        col_w = (CONTENT_W - 18) / 2
        xs = (LEFT, LEFT + col_w + 18)
        ends = []
        # issuer
        x = xs[0]
        y = y_top - 14
        draw_text(c, x, y, L["issuer"], SMALL, color=lay.accent, bold=True)
        rule(c, x, y - 4, x + col_w, y - 4, 0.5, RULE)
        y -= 17
        for line in wrap(d.issuer.name_zh, col_w, 9.5):
            draw_text(c, x, y, line, 9.5, color=INK, bold=True)
            y -= 12
        if d.issuer.name_en:
            y = draw_lines(c, x, y + 1, wrap(d.issuer.name_en, col_w, SMALL), SMALL, 9, color=MUTED) - 1
        y = _kv_block(c, x, y, col_w, self.issuer_rows())
        ends.append(y)
        issuer_bottom = y
        # buyer
        x = xs[1]
        y = y_top - 14
        draw_text(c, x, y, L["buyer"], SMALL, color=lay.accent, bold=True)
        rule(c, x, y - 4, x + col_w, y - 4, 0.5, RULE)
        y -= 17
        label_w = self.buyer_label_w()
        draw_text(c, x, y, self.buyer_name_label(), SMALL, color=MUTED)
        for line in wrap(d.buyer.title, col_w - label_w, 9.5):
            draw_text(c, x + label_w, y, line, 9.5, color=INK, bold=True)
            y -= 12
        y = _kv_block(c, x, y, col_w, self.buyer_rows(), label_w=label_w)
        ends.append(y)
        bottom = min(ends) - 6
        if d.issuer.seal:
            # stamped over the lower right of the issuer block, as on paper
            # Multiply blend: the text under the seal stays legible, like ink on paper.
            size = 32 * mm
            cy = (y_top + issuer_bottom) / 2 - 6
            c.saveState()
            c.setBlendMode("Multiply")
            draw_image(c, d.issuer.seal, xs[0] + col_w - size - 2, cy - size / 2, size, size)
            c.restoreState()
        return bottom

    # -- the table

    def table_header_height(self) -> float:
        return 26.0

    def draw_table_header(self, c, y_top) -> float:
        lay = self.lay
        h = self.table_header_height()
        fill_rect(c, LEFT, y_top - h, CONTENT_W, h, lay.accent)
        for key, zh, en, _w, align in lay.columns:
            x0, w = lay.col_x[key], lay.col_w[key]
            if align == "right":
                x, a = x0 + w - CELL_PAD, "right"
            elif align == "center":
                x, a = x0 + w / 2, "center"
            else:
                x, a = x0 + CELL_PAD, "left"
            draw_text(c, x, y_top - 11, zh, 7.8, color=colors.white, bold=True, align=a)
            draw_text(c, x, y_top - 21, en, 6.5, color=tint(lay.accent, 0.75), align=a)
        return y_top - h

    def draw_row(self, c, y_top, row: _Row, zebra: bool) -> float:
        lay = self.lay
        if zebra:
            fill_rect(c, LEFT, y_top - row.height, CONTENT_W, row.height, ZEBRA)
        base = y_top - ROW_PAD - BODY + 0.5
        for key, _zh, _en, _w, align in lay.columns:
            x0, w = lay.col_x[key], lay.col_w[key]
            if key == "description":
                draw_lines(c, x0 + CELL_PAD, base, row.description, BODY, LEAD, color=INK)
                continue
            value = getattr(row, key)
            if align == "right":
                draw_text(c, x0 + w - CELL_PAD, base, value, BODY, color=INK, align="right")
            else:
                draw_text(c, x0 + w / 2, base, value, BODY, color=MUTED, align="center")
        rule(c, LEFT, y_top - row.height, RIGHT, y_top - row.height, 0.4, RULE)
        return y_top - row.height

    # -- totals, amount in words, payment, note, QR

    def summary_parts(self):
        d, lay = self.doc, self.lay
        t = lay.totals
        rows = []
        if lay.show_tax:
            rows.append((L["net_total"], format_amount(t.net, d.currency)))
            rows.append((L["tax_total"], format_amount(t.tax, d.currency)))
        words = cny_uppercase(t.gross) if d.currency == "CNY" else ""
        payment = []
        if d.payment:
            p = d.payment
            amount = p.amount if p.amount is not None else t.gross
            payment = [
                (L["paid_on"], format_date(p.paid_on)),
                (L["method"], p.method),
                (L["reference"], p.reference),
                (L["received"], format_amount(amount, d.currency, symbol=True)),
            ]
        return rows, words, payment

    def summary_height(self) -> float:
        d = self.doc
        rows, words, payment = self.summary_parts()
        h = 10 + len(rows) * 15 + 26  # totals + the total bar
        if words:
            h += 24
        left_w = CONTENT_W - (90 if d.verify_url else 0)
        if d.kind == "credit_note":
            h += 16
        if payment:
            h += 20 + _kv_height(CONTENT_W / 2, payment)
        note_h = (20 + len(wrap(d.note, left_w, BODY)) * LEAD) if d.note else 0
        qr_h = 96 if d.verify_url else 0
        return h + max(note_h, qr_h) + 8

    def draw_summary(self, c, y_top) -> float:
        d, lay = self.doc, self.lay
        t = lay.totals
        rows, words, payment = self.summary_parts()
        box_w = 230.0
        x_label = RIGHT - box_w
        y = y_top - 10
        for label, value in rows:
            y -= 11
            draw_text(c, x_label + 8, y, label, SMALL + 0.5, color=MUTED)
            draw_text(c, RIGHT - CELL_PAD, y, value, BODY, color=INK, align="right")
            y -= 4
        # total bar
        y -= 4
        fill_rect(c, x_label, y - 20, box_w, 22, lay.accent_light)
        fill_rect(c, x_label, y - 20, 2.5, 22, lay.accent)
        label = L["gross_total"] if lay.show_tax else L["total"]
        draw_text(c, x_label + 10, y - 12.5, f"{label} ({d.currency})", 8, color=lay.accent, bold=True)
        draw_text(
            c,
            RIGHT - CELL_PAD,
            y - 13,
            format_amount(t.gross, d.currency, symbol=True),
            12.5,
            color=INK,
            bold=True,
            align="right",
        )
        y -= 22
        if words:
            y -= 14
            draw_text(c, RIGHT - CELL_PAD, y, words, 9.5, color=INK, bold=True, align="right")
            draw_text(
                c, RIGHT - CELL_PAD - text_width(words, 9.5) - 8, y, L["words"], SMALL, color=MUTED, align="right"
            )
            y -= 10
        if d.kind == "credit_note":
            y -= 12
            draw_text(c, LEFT, y, f"{L['credit_for']} {d.original_number}", BODY, color=lay.accent, bold=True)
            y -= 4
        if payment:
            y -= 16
            draw_text(c, LEFT, y, L["payment"], SMALL, color=lay.accent, bold=True)
            rule(c, LEFT, y - 4, RIGHT, y - 4, 0.5, RULE)
            y -= 16
            y = _kv_block(c, LEFT, y, CONTENT_W / 2, payment)
        y -= 6
        block_top = y
        left_w = CONTENT_W - (90 if d.verify_url else 0)
        if d.note:
            yy = block_top - 12
            draw_text(c, LEFT, yy, L["note"], SMALL, color=lay.accent, bold=True)
            yy -= 14
            yy = draw_lines(c, LEFT, yy, wrap(d.note, left_w - 10, BODY), BODY, LEAD, color=INK)
            y = min(y, yy)
        if d.verify_url:
            size = 64.0
            qx = RIGHT - size
            qy = block_top - 6 - size
            draw_qr(c, d.verify_url, qx, qy, size, color=INK)
            draw_text(c, qx + size / 2, qy - 10, L["verify"], 6.5, color=MUTED, align="center")
            y = min(y, qy - 14)
        return y

    # -- page furniture

    def draw_continuation_header(self, c, y_top) -> float:
        lay = self.lay
        y = y_top - 12
        draw_text(c, LEFT, y, self.doc.issuer.name_zh, 10, color=INK, bold=True)
        draw_text(
            c,
            RIGHT,
            y,
            f"{self.title_zh} {self.title_en} · {self.doc.number}",
            10,
            color=lay.accent,
            bold=True,
            align="right",
        )
        y -= 13
        draw_text(c, RIGHT, y, L["continued"], SMALL, color=MUTED, align="right")
        y -= 8
        rule(c, LEFT, y, RIGHT, y, 1.2, lay.accent)
        return y - 6

    def draw_footer(self, c, page: int, pages: int) -> None:
        d = self.doc
        y = MARGIN_BOTTOM + FOOTER_H - 8
        rule(c, LEFT, y, RIGHT, y, 0.5, RULE)
        pager = f"第 {page} / {pages} 页 Page {page} of {pages}"
        draw_text(c, RIGHT, y - 10, pager, 6.8, color=MUTED, align="right")
        draw_text(c, RIGHT, y - 19, d.number, 6.8, color=MUTED, align="right")
        if d.footer:
            width = CONTENT_W - text_width(pager, 6.8) - 24
            draw_lines(c, LEFT, y - 10, wrap(d.footer, width, 6.8, max_lines=2), 6.8, 9, color=MUTED)

    # -- pagination

    def plan(self, first_top: float, next_top: float) -> list[tuple[list[_Row], bool]]:
        """Rows per page and whether the summary goes on that page."""
        bottom = MARGIN_BOTTOM + FOOTER_H
        head = self.table_header_height()
        summary_h = self.summary_height()
        pages: list[tuple[list[_Row], bool]] = []
        rows = list(self.lay.rows)
        top = first_top
        while True:
            avail = top - bottom - head
            page_rows = []
            while rows and rows[0].height <= avail:
                avail -= rows[0].height
                page_rows.append(rows.pop(0))
            if not page_rows and rows:
                page_rows.append(rows.pop(0))  # taller than a page: let it overflow rather than loop
                avail = 0
            if not rows:
                if avail >= summary_h:
                    pages.append((page_rows, True))
                    return pages
                # The totals go on a new page; take the last line along so that page continues the
                # table rather than starting with a lone total.
                carry = []
                if len(page_rows) >= 2 and page_rows[-1].height + summary_h <= next_top - bottom - head:
                    carry = [page_rows.pop()]
                pages.append((page_rows, False))
                pages.append((carry, True))
                return pages
            pages.append((page_rows, False))
            top = next_top


def draw(c, r: Renderer) -> None:
    """Draw all pages of ``r``'s document on canvas ``c``."""
    top = PAGE_H - MARGIN_TOP
    # first page: header and parties are drawn to know where the table starts
    y = r.draw_header(c, top)
    y = r.draw_parties(c, y - 2)
    first_top = y - 6
    next_top = top - 47  # continuation header height
    plan = r.plan(first_top, next_top)
    pages = len(plan)
    for page_no, (rows, with_summary) in enumerate(plan, start=1):
        if page_no == 1:
            y = first_top
        else:
            c.showPage()
            y = r.draw_continuation_header(c, top)
        if rows or page_no == 1:
            y = r.draw_table_header(c, y)
            for row in rows:
                y = r.draw_row(c, y, row, zebra=(int(row.idx) % 2 == 0))
        if with_summary:
            r.draw_summary(c, y)
        r.draw_footer(c, page_no, pages)
