"""Demo data: the society's invoice settings, and a few dues invoices (one paid by bank transfer,
one transfer awaiting finance's confirmation, the rest open).  Called by ``seed_demo``; idempotent."""

import datetime
import json
import urllib.request
from decimal import Decimal

from django.conf import settings as django_settings

from common.files import store_file
from common.models import Role
from common.pdf.samples import sample_logo, sample_seal
from dues.models import BankTransfer, Invoice, InvoiceSettings
from dues.selectors import invoice_settings
from dues.services import confirm_bank_transfer, create_invoice, start_bank_transfer, submit_transfer_slip
from dues.services.connect import refresh_account, start_onboarding
from tenants.services import society_url

DEMO_PURPOSE = "membership.demo"
FEES = [Decimal("300.00"), Decimal("500.00"), Decimal("200.00")]


def seed(*, society, people, stdout) -> None:
    if BankTransfer.objects.exists():
        return
    settings = invoice_settings()
    if not settings.bank_account:
        InvoiceSettings.objects.filter(pk=settings.pk).update(
            legal_name=society.legal_name or society.name_zh,
            legal_name_en=society.name_en,
            address="北京市海淀区中关村北一街2号",
            phone="010-62550000",
            tax_id="51100000500000123X",
            bank_name="中国工商银行北京海淀支行",
            bank_account="0200 0045 0900 1234 567",
            bank_account_name=society.legal_name or society.name_zh,
            transfer_instructions="请在转账附言中填写参考码；到账后 1–3 个工作日内确认。",
            logo=store_file(
                content=sample_logo(society.name_zh[:1]),
                filename="logo.png",
                mimetype="image/png",
                kind="dues.logo",
                staff_role=Role.FINANCE,
            ),
            seal=store_file(
                content=sample_seal(f"{society.name_zh}财务专用章"),
                filename="seal.png",
                mimetype="image/png",
                kind="dues.seal",
                staff_role=Role.FINANCE,
            ),
        )
    finance = people["finance"]
    invoices = list(
        Invoice.objects.filter(kind=Invoice.Kind.INVOICE, cancelled_at__isnull=True, payments__isnull=True)[:3]
    )
    for member, fee in zip(people["members"] * 2, FEES[len(invoices) :], strict=False):
        invoices.append(
            create_invoice(
                buyer_user=member,
                buyer={"name": member.name, "email": member.email, "kind": "ordinary"},
                lines=[
                    {"description": "2026 年度个人会员会费", "quantity": 1, "unit_price": fee, "tax_rate": Decimal("0")}
                ],
                purpose=DEMO_PURPOSE,
                subject_id=str(member.pk),
                actor=finance,
            )
        )
    for index, invoice in enumerate(invoices[:2]):
        transfer = start_bank_transfer(invoice=invoice, actor=invoice.buyer_user)
        submit_transfer_slip(
            transfer=transfer,
            content=sample_logo("凭"),
            filename="transfer-slip.png",
            mimetype="image/png",
            payer_name=invoice.buyer.get("name", ""),
            transferred_on=datetime.date.today(),
            actor=invoice.buyer_user,
        )
        if index == 0:
            confirm_bank_transfer(transfer=transfer, actor=finance)
    stdout.write(f"  dues: {len(invoices)} invoices, 1 paid by transfer, 1 transfer awaiting confirmation")


def fake_stripe_base() -> str | None:
    """The fake Stripe server's address when this installation talks to it (never real Stripe)."""
    base = django_settings.STRIPE_API_BASE
    if not django_settings.STRIPE_FAKE or not base:
        return None
    try:
        with urllib.request.urlopen(f"{base}/_fake/health", timeout=5) as response:
            return base if json.load(response).get("ok") else None
    except OSError:
        return None


def connect_fake_stripe(*, society, base: str, stdout) -> bool:
    """Connect the society (current schema) to the fake Stripe as an administrator would: create
    its account, "finish" the hosted onboarding, record that it can take payments.  Idempotent."""
    if invoice_settings().stripe_charges_enabled:
        return False
    console = society_url(society, "/dues/console/stripe/")
    start_onboarding(return_url=f"{console}?returned=1", refresh_url=console, actor=None)
    account = invoice_settings().stripe_account_id
    request = urllib.request.Request(f"{base}/_fake/accounts/{account}/onboard", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
    refresh_account(account_id=account, actor=None)
    stdout.write(f"  dues: {society.slug} connected to the fake Stripe ({account}): card, Alipay, WeChat Pay")
    return True
