"""Dues in a browser: a member pays through Checkout (the fake Stripe's hosted page) and downloads
the invoice and receipt; finance confirms a bank transfer; a refund produces a credit note."""

import datetime
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from common.models import Role
from tests.conftest import committed
from tests.dues import fixtures as dues_fixtures

pytestmark = [pytest.mark.browser, committed]

# The dues fixtures, shared with tests/dues (fake_stripe comes from tests/conftest.py).
connect_society = dues_fixtures.connect_society
issue = dues_fixtures.issue
settled_tasks = dues_fixtures.settled_tasks

PASSWORD = "pw-Test-2026"


def _log_in(page, url, email):
    page.goto(url)
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("[data-testid=login-submit]")


def test_member_pays_dues_through_checkout_and_downloads_pdfs(
    phone,
    site_url,
    society_a,
    society_b,
    make_user,
    issue,
    fake_stripe,
    connect_society,
    celery_worker_thread,
    screenshot,
    settled_tasks,
):
    connect_society(society_a)
    member = make_user("wang.fang@example.cn", "王芳", password=PASSWORD)
    invoice = issue(society_a, member, "300.00")
    _log_in(phone, site_url(society_a, "/accounts/login/?next=/dues/"), member.email)
    expect(phone.locator("[data-testid=invoice-card]")).to_contain_text(invoice.number)
    screenshot(phone, "dues-my-invoices-phone")
    phone.click(f"a[href='/dues/invoices/{invoice.pk}/pay/']")
    expect(phone.locator("[data-testid=amount-due]")).to_have_text("300.00 CNY")
    screenshot(phone, "dues-pay-choice-phone")
    phone.click("[data-testid=continue]")
    expect(phone.locator("button.alipay")).to_be_visible()
    screenshot(phone, "dues-fake-checkout-phone")
    phone.click("button.alipay")
    expect(phone.locator("[data-testid=status]").first).to_have_text("已付款")
    expect(phone.locator("[data-testid=amount-due]")).to_have_text("0.00")
    for _ in range(60):  # the worker renders the PDFs after commit
        if phone.locator("[data-testid=download-receipt]").count():
            break
        phone.wait_for_timeout(500)
        phone.reload()
    screenshot(phone, "dues-paid-invoice-phone")
    with phone.expect_download() as pdf:
        phone.click("[data-testid=download-invoice]")
    assert pdf.value.suggested_filename == f"{invoice.number}.pdf"
    with phone.expect_download() as receipt:
        phone.click("[data-testid=download-receipt]")
    assert receipt.value.suggested_filename == f"{invoice.number}-R.pdf"
    with schema_context(society_b.schema_name):
        from dues.models import Payment

        assert Payment.objects.count() == 0


def test_finance_confirms_transfer_then_refunds_with_credit_note(
    page, phone, site_url, society_a, make_user, issue, in_schema, screenshot, settled_tasks
):
    from dues.models import BankTransfer, Invoice
    from dues.services import start_bank_transfer, submit_transfer_slip
    from tenants.services import grant_role

    member = make_user("li.lei@example.cn", "李雷", password=PASSWORD)
    finance = make_user("finance@example.cn", "财务老师", password=PASSWORD)
    invoice = issue(society_a, member, "500.00")
    with in_schema(society_a):
        grant_role(user=finance, role=Role.FINANCE)
        transfer = start_bank_transfer(invoice=invoice, actor=member)
        submit_transfer_slip(
            transfer=transfer,
            content=b"%PDF-1.4 slip",
            filename="slip.pdf",
            mimetype="application/pdf",
            payer_name="李雷",
            transferred_on=datetime.date(2026, 3, 1),
            actor=member,
        )
    _log_in(page, site_url(society_a, "/accounts/login/?next=/dues/console/"), finance.email)
    expect(page.locator("[data-testid=transfer-row]")).to_contain_text(transfer.reference)
    screenshot(page, "dues-console-transfers")
    page.click("[data-testid=confirm-transfer]")
    expect(page.locator(".messages")).to_contain_text(transfer.reference)
    expect(page.locator("[data-testid=transfer-row]")).to_have_count(0)
    page.click(f"a[href='/dues/console/invoices/{invoice.pk}/']")
    expect(page.locator("h1 [data-testid=status]")).to_have_text("已付款")
    page.click("[data-testid=payment] details summary")
    page.fill("#id_amount", "120.00")
    page.fill("#id_reason", "会员多缴")
    page.click("[data-testid=refund]")
    expect(page.locator("[data-testid=credit-note]")).to_contain_text("-120.00")
    screenshot(page, "dues-console-refund-credit-note")
    with in_schema(society_a):
        assert BankTransfer.objects.get().payment.state == "confirmed"
        assert Invoice.objects.get(pk=invoice.pk).amount_paid == Decimal("380.00")
    _log_in(phone, site_url(society_a, f"/accounts/login/?next=/dues/console/invoices/{invoice.pk}/"), finance.email)
    expect(phone.locator("[data-testid=credit-note]")).to_contain_text("-120.00")
    screenshot(phone, "dues-console-invoice-phone")
    phone.goto(site_url(society_a, "/dues/console/"))
    expect(phone.locator("[data-testid=invoice-row]")).to_have_count(2)  # the invoice and its credit note
    screenshot(phone, "dues-console-list-phone")
