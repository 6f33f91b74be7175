"""Member pages and the finance console, through the society sites (and the other society's)."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from common.models import Role
from dues.models import BankTransfer, Invoice, Payment, Refund
from dues.selectors import invoice_settings
from tenants.services import grant_role
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def people(society_a, make_user, in_schema):
    member = make_user("wang@example.cn", "王芳")
    finance = make_user("fin@example.cn", "财务")
    second = make_user("fin2@example.cn", "财务二")
    with in_schema(society_a):
        grant_role(user=finance, role=Role.FINANCE)
        grant_role(user=second, role=Role.FINANCE)
        settings = invoice_settings()
        settings.bank_name, settings.bank_account = "中国工商银行北京分行", "0200001234567890"
        settings.save()
    return member, finance, second


def _member_client(society, member):
    client = client_for(society)
    client.force_login(member)
    return client


def test_member_sees_own_invoices_only(society_a, society_b, people, make_user, issue):
    member, _finance, _ = people
    other = make_user("other@example.cn")
    mine = issue(society_a, member)
    theirs = issue(society_a, other, "100.00")
    client = _member_client(society_a, member)
    page = client.get("/dues/")
    assert page.status_code == 200
    assert mine.number in page.content.decode() and theirs.number not in page.content.decode()
    assert client.get(f"/dues/invoices/{theirs.pk}/").status_code == 404
    detail = client.get(f"/dues/invoices/{mine.pk}/").content.decode()
    assert "500.00" in detail and "2026 年度个人会员会费" in detail
    in_b = _member_client(society_b, member)
    assert mine.number not in in_b.get("/dues/").content.decode()
    assert in_b.get(f"/dues/invoices/{mine.pk}/").status_code == 404


def test_bank_transfer_slip_then_finance_confirms(
    society_a, society_b, people, issue, in_schema, django_capture_on_commit_callbacks, mailoutbox
):
    member, finance, _ = people
    invoice = issue(society_a, member)
    client = _member_client(society_a, member)
    response = client.post(f"/dues/invoices/{invoice.pk}/pay/", {"method": "bank_transfer"})
    assert response.status_code == 302 and response["Location"] == f"/dues/invoices/{invoice.pk}/transfer/"
    again = client.post(f"/dues/invoices/{invoice.pk}/pay/", {"method": "bank_transfer"})  # double click
    assert again.status_code == 302
    page = client.get(f"/dues/invoices/{invoice.pk}/transfer/").content.decode()
    with in_schema(society_a):
        transfer = BankTransfer.objects.get()
    assert transfer.reference in page and "0200001234567890" in page
    bad = client.post(
        f"/dues/invoices/{invoice.pk}/transfer/",
        {
            "payer_name": "王芳",
            "transferred_on": "2026-03-01",
            "slip": SimpleUploadedFile("slip.txt", b"x", "text/plain"),
        },
    )
    assert (
        "Upload the transfer slip as a PDF, JPEG or PNG file." in bad.content.decode()
        or "PDF、JPEG" in bad.content.decode()
    )
    response = client.post(
        f"/dues/invoices/{invoice.pk}/transfer/",
        {
            "payer_name": "王芳",
            "transferred_on": "2026-03-01",
            "slip": SimpleUploadedFile("slip.png", PNG, "image/png"),
        },
    )
    assert response.status_code == 302
    console = _member_client(society_a, finance)
    assert transfer.reference in console.get("/dues/console/").content.decode()
    assert client.get("/dues/console/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert console.post(f"/dues/console/transfers/{transfer.pk}/confirm/").status_code == 302
    with in_schema(society_a):
        payment = Payment.objects.get()
        assert (payment.state, payment.amount, Invoice.objects.get(pk=invoice.pk).status) == (
            "confirmed",
            Decimal("500.00"),
            "paid",
        )
        assert BankTransfer.objects.get().reviewed_by_id == finance.pk
    assert [m.subject for m in mailoutbox] == [f"已收到账单 {invoice.number} 的付款"]
    assert console.post(f"/dues/console/transfers/{transfer.pk}/confirm/").status_code == 302  # twice: no change
    assert len(mailoutbox) == 1
    with in_schema(society_b):
        assert Payment.objects.count() == 0 and BankTransfer.objects.count() == 0
    assert _member_client(society_b, finance).post(f"/dues/console/transfers/{transfer.pk}/confirm/").status_code == 403


def test_finance_rejects_transfer_with_reason(
    society_a, people, issue, in_schema, django_capture_on_commit_callbacks, mailoutbox
):
    member, finance, _ = people
    invoice = issue(society_a, member)
    client = _member_client(society_a, member)
    client.post(f"/dues/invoices/{invoice.pk}/pay/", {"method": "bank_transfer"})
    client.post(
        f"/dues/invoices/{invoice.pk}/transfer/",
        {
            "payer_name": "王芳",
            "transferred_on": "2026-03-01",
            "slip": SimpleUploadedFile("slip.png", PNG, "image/png"),
        },
    )
    with in_schema(society_a):
        transfer = BankTransfer.objects.get()
    console = _member_client(society_a, finance)
    console.post(f"/dues/console/transfers/{transfer.pk}/reject/", {"reason": ""})
    with in_schema(society_a):
        assert Payment.objects.get().state == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        console.post(f"/dues/console/transfers/{transfer.pk}/reject/", {"reason": "未收到款项"})
    with in_schema(society_a):
        assert (Payment.objects.get().state, BankTransfer.objects.get().rejection_reason) == ("rejected", "未收到款项")
        assert Invoice.objects.get(pk=invoice.pk).status == "issued"
    assert "未收到款项" in mailoutbox[0].body


def test_refund_above_threshold_needs_second_person(
    society_a, people, issue, in_schema, django_capture_on_commit_callbacks, mailoutbox
):
    member, finance, second = people
    invoice = issue(society_a, member)
    with in_schema(society_a):
        settings = invoice_settings()
        settings.refund_approval_threshold = Decimal("100.00")
        settings.save()
    client = _member_client(society_a, member)
    client.post(f"/dues/invoices/{invoice.pk}/pay/", {"method": "bank_transfer"})
    client.post(
        f"/dues/invoices/{invoice.pk}/transfer/",
        {
            "payer_name": "王芳",
            "transferred_on": "2026-03-01",
            "slip": SimpleUploadedFile("slip.png", PNG, "image/png"),
        },
    )
    console = _member_client(society_a, finance)
    with in_schema(society_a):
        transfer = BankTransfer.objects.get()
        payment = transfer.payment
    console.post(f"/dues/console/transfers/{transfer.pk}/confirm/")
    console.post(f"/dues/console/payments/{payment.pk}/refund/", {"amount": "600", "reason": "多付"})
    with in_schema(society_a):
        assert Refund.objects.count() == 0
    console.post(f"/dues/console/payments/{payment.pk}/refund/", {"amount": "300", "reason": "会员退会"})
    with in_schema(society_a):
        refund = Refund.objects.get()
        assert refund.state == "awaiting_approval"
    console.post(f"/dues/console/refunds/{refund.pk}/decide/", {"decision": "approve"})  # same person: refused
    with in_schema(society_a):
        assert Refund.objects.get().state == "awaiting_approval"
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _member_client(society_a, second).post(f"/dues/console/refunds/{refund.pk}/decide/", {"decision": "approve"})
    with in_schema(society_a):
        refund = Refund.objects.get()
        invoice = Invoice.objects.get(pk=invoice.pk)
        assert (refund.state, refund.approved_by_id, refund.credit_note.total) == (
            "done",
            second.pk,
            Decimal("-300.00"),
        )
        assert (invoice.amount_payable, invoice.amount_paid, invoice.status) == (
            Decimal("200.00"),
            Decimal("200.00"),
            "paid",
        )
    assert [m.subject for m in mailoutbox] == [f"账单 {invoice.number} 退款"]
    detail = console.get(f"/dues/console/invoices/{invoice.pk}/").content.decode()
    assert refund.credit_note.number in detail


def test_console_filters_and_csv_export(society_a, society_b, people, issue, in_schema):
    member, finance, _ = people
    paid = issue(society_a, member)
    open_ = issue(society_a, member, "80.00")
    with in_schema(society_a):
        payment = Payment.objects.create(
            invoice=paid, provider="bank_transfer", amount=Decimal("500.00"), currency="CNY", state="confirmed"
        )
        assert payment.pk
    issue(society_b, member, "999.00")
    console = _member_client(society_a, finance)
    listed = console.get("/dues/console/", {"status": "paid"}).content.decode()
    assert paid.number in listed and open_.number not in listed
    listed = console.get("/dues/console/", {"status": "issued"}).content.decode()
    assert open_.number in listed and paid.number not in listed
    export = console.get("/dues/console/", {"method": "bank_transfer", "export": "csv"})
    rows = export.content.decode("utf-8-sig").strip().splitlines()
    assert rows[0].startswith("number,kind,issued") and len(rows) == 2 and rows[1].startswith(paid.number)
    assert "999.00" not in console.get("/dues/console/").content.decode()


def test_fapiao_request_and_attach(society_a, people, issue, in_schema):
    member, finance, _ = people
    invoice = issue(society_a, member)
    client = _member_client(society_a, member)
    client.post(
        f"/dues/invoices/{invoice.pk}/fapiao/",
        {"name": "北京大学", "taxpayer_id": "12100000400000624D", "kind": "special", "email": "f@pku.example.cn"},
    )
    console = _member_client(society_a, finance)
    console.post(f"/dues/console/invoices/{invoice.pk}/fapiao/", {"number": "24112000000012345678"})
    with in_schema(society_a):
        invoice = Invoice.objects.get(pk=invoice.pk)
        assert invoice.fapiao_request["taxpayer_id"] == "12100000400000624D"
        assert (invoice.fapiao_number, invoice.total) == ("24112000000012345678", Decimal("500.00"))


def test_api_lists_own_invoices_and_refuses_writes(society_a, society_b, people, make_user, issue):
    member, finance, _ = people
    mine = issue(society_a, member)
    issue(society_a, make_user("x@example.cn"), "10.00")
    client = _member_client(society_a, member)
    listed = client.get("/dues/api/invoices/").json()
    assert [(i["number"], i["amount_due"], i["status"]) for i in listed] == [(mine.number, "500.00", "issued")]
    assert client.get(f"/dues/api/invoices/{mine.pk}/").json()["lines"][0]["gross"] == "500.00"
    for method in ("put", "patch", "delete"):
        assert (
            getattr(client, method)(
                f"/dues/api/invoices/{mine.pk}/", data={}, content_type="application/json"
            ).status_code
            == 405
        )
    assert len(_member_client(society_a, finance).get("/dues/api/invoices/").json()) == 2
    assert _member_client(society_b, finance).get("/dues/api/invoices/").json() == []


def test_pages_query_count_does_not_grow_with_invoices(society_a, people, issue):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member, finance, _ = people
    client, console = _member_client(society_a, member), _member_client(society_a, finance)
    issue(society_a, member)
    client.get("/dues/"), console.get("/dues/console/")  # warm the host and session caches
    with CaptureQueriesContext(connection) as one_member:
        assert client.get("/dues/").status_code == 200
    with CaptureQueriesContext(connection) as one_console:
        assert console.get("/dues/console/").status_code == 200
    issue(society_a, member, "20.00")
    issue(society_a, member, "30.00")
    with CaptureQueriesContext(connection) as three_member:
        client.get("/dues/")
    with CaptureQueriesContext(connection) as three_console:
        console.get("/dues/console/")
    assert (len(one_member), len(one_console), len(three_member), len(three_console)) == (5, 8, 5, 8)


def test_member_pages_in_english(society_a, people, issue):
    member, _finance, _ = people
    invoice = issue(society_a, member)
    client = _member_client(society_a, member)
    client.cookies["django_language"] = "en"
    page = client.get(f"/dues/invoices/{invoice.pk}/pay/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "How would you like to pay?" in page and "Bank transfer" in page
    zh = _member_client(society_a, member).get(f"/dues/invoices/{invoice.pk}/pay/").content.decode()
    assert "请选择付款方式" in zh and "对公转账" in zh
