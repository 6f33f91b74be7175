"""Invoice, credit note and receipt PDFs: the snapshot turned into the renderer's document.

Only plain values go to the renderer (common/pdf/invoice.py); images come from the stored files
named in the issuer snapshot, which never change.
"""

from common.models import StoredFile
from common.pdf import invoice as renderer
from dues.models import Invoice

METHOD_LABELS = {
    "card": "银行卡 Card",
    "alipay": "支付宝 Alipay",
    "wechat_pay": "微信支付 WeChat Pay",
    "bank_transfer": "对公转账 Bank transfer",
}


def _image(file_id) -> bytes | None:
    if not file_id:
        return None
    stored = StoredFile.objects.filter(pk=file_id).first()
    if stored is None:
        return None
    with stored.file.open("rb") as handle:
        return handle.read()


def document_for(invoice: Invoice, *, receipt: bool = False) -> dict:
    issuer, buyer = invoice.issuer, invoice.buyer
    kind = "receipt" if receipt else invoice.kind
    doc = {
        "kind": kind,
        "number": invoice.number if not receipt else f"{invoice.number}-R",
        "issuer": {
            "name_zh": issuer.get("name", ""),
            "name_en": issuer.get("name_en", ""),
            "address": issuer.get("address", ""),
            "phone": issuer.get("phone", ""),
            "email": issuer.get("email", ""),
            "tax_id": issuer.get("tax_id", ""),
            "bank_name": issuer.get("bank_name", ""),
            "bank_account": issuer.get("bank_account", ""),
            "logo": _image(issuer.get("logo_file_id")),
            "seal": _image(issuer.get("seal_file_id")),
        },
        "buyer": {
            "title": buyer.get("name", ""),
            "taxpayer_id": buyer.get("taxpayer_id", ""),
            "address": buyer.get("address", ""),
            "phone": buyer.get("phone", ""),
            "bank_name": buyer.get("bank", ""),
            "bank_account": buyer.get("account", ""),
            "fapiao_kind": buyer.get("kind") or "none",
            "is_person": not buyer.get("taxpayer_id"),
            "email": buyer.get("email", ""),
        },
        "lines": [
            {
                "description": line.description,
                "quantity": str(line.quantity.normalize()),
                "unit_price": str(line.unit_price),
                "tax_rate": str(line.tax_rate.normalize()),
                "net": str(line.net),
                "tax": str(line.tax),
                "gross": str(line.gross),
            }
            for line in invoice.lines.all()
        ],
        "issue_date": invoice.issued_at.date(),
        "due_date": invoice.due_date if kind == "invoice" else None,
        "currency": invoice.currency,
        "total_net": str(invoice.total_net),
        "total_tax": str(invoice.total_tax),
        "total_gross": str(invoice.total),
        "note": invoice.note,
        "footer": "本账单由学会云系统开具，税务发票另行开具。This document is not a tax fapiao.",
    }
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        doc["original_number"] = invoice.refers_to.number
        doc["original_issue_date"] = invoice.refers_to.issued_at.date()
    if receipt:
        payment = invoice.payments.filter(state="confirmed").order_by("-confirmed_at").first()
        if invoice.purpose.startswith("membership."):
            doc.update(title_zh="会费收据", title_en="MEMBERSHIP DUES RECEIPT")
        if payment is not None:
            doc["payment"] = {
                "paid_on": payment.confirmed_at.date(),
                "method": METHOD_LABELS.get(payment.method_detail, payment.get_provider_display()),
                "reference": payment.stripe_payment_intent_id
                or getattr(getattr(payment, "bank_transfer", None), "reference", ""),
                "amount": str(invoice.amount_paid),
            }
    return doc


def render(invoice: Invoice, *, receipt: bool = False) -> tuple[str, str, bytes]:
    return renderer.generate(document_for(invoice, receipt=receipt))
