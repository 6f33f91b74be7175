"""Payments through the dues capability: one invoice per registration, the paid callback,
automatic refunds for late payments and for cancellations by policy."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from dues import services as dues
from dues.models import Invoice, Payment, Refund
from meetings import billing
from meetings.models import Quota, Registration
from meetings.services import organise
from meetings.services import registration as services
from tests.meetings.conftest import attendee

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


def pay_by_transfer(invoice, payer, finance):
    transfer = dues.start_bank_transfer(invoice=invoice, actor=payer)
    transfer = dues.submit_transfer_slip(
        transfer=transfer,
        content=PNG,
        filename="slip.png",
        mimetype="image/png",
        payer_name=payer.name,
        transferred_on=timezone.localdate(),
        actor=payer,
    )
    return dues.confirm_bank_transfer(transfer=transfer, actor=finance)


@pytest.fixture
def people(make_user):
    return {
        "buyer": make_user("buyer@example.cn", "王五"),
        "other": make_user("other@example.cn", "赵六"),
        "third": make_user("third@example.cn", "孙七"),
        "finance": make_user("finance@example.cn", "财务"),
    }


def test_invoice_then_transfer_confirms(
    open_meeting, society_a, society_b, in_schema, people, django_capture_on_commit_callbacks, mailoutbox, eager_tasks
):
    buyer = people["buyer"]
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        reg = services.register(
            meeting=meeting,
            registration_type=other,
            user=buyer,
            attendee=attendee(name="王五", email=buyer.email),
            actor=buyer,
        )
        invoice = billing.start_payment(registration=reg, actor=buyer)
        assert (invoice.purpose, invoice.subject_id, invoice.total, invoice.currency) == (
            "meeting.registration",
            str(reg.pk),
            Decimal("1500.00"),
            "CNY",
        )
        assert billing.start_payment(registration=reg, actor=buyer).pk == invoice.pk  # reused, not a second invoice
        assert [(line.description, line.gross) for line in invoice.lines.all()] == [
            ("2026年学术年会 · 非会员 · 王五", Decimal("1500.00"))
        ]
        with django_capture_on_commit_callbacks(execute=True):
            pay_by_transfer(invoice, buyer, people["finance"])
        reg.refresh_from_db()
        assert reg.status == "confirmed" and reg.invoice_id == invoice.pk
        q = Quota.objects.get(registration_type=other)
        assert (q.sold, q.held) == (1, 0)
    assert any(reg.ticket_code in m.body for m in mailoutbox)
    with in_schema(society_b):
        assert Invoice.objects.count() == 0 and Registration.objects.count() == 0


def test_late_transfer_when_full_is_refunded(open_meeting, society_a, in_schema, people):
    buyer = people["buyer"]
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        reg = services.register(
            meeting=meeting, registration_type=other, user=buyer, attendee=attendee(email=buyer.email), actor=buyer
        )
        invoice = billing.start_payment(registration=reg, actor=buyer)
        later = timezone.now() + datetime.timedelta(hours=2)
        services.release_expired_holds(meeting=meeting, now=later)
        for person in (people["other"], people["third"]):
            services.register(
                meeting=meeting,
                registration_type=other,
                user=person,
                attendee=attendee(email=person.email),
                actor=person,
            )
        payment = pay_by_transfer(invoice, buyer, people["finance"])
        reg.refresh_from_db()
        assert (reg.status, reg.refund_amount) == ("expired", Decimal("1500.00"))
        refund = Refund.objects.get(payment=payment)
        assert refund.amount == Decimal("1500.00")
        q = Quota.objects.get(registration_type=other)
        assert (q.sold, q.held) == (0, 2)


def test_cancel_paid_registration_refunds_by_policy(open_meeting, society_a, in_schema, people, organiser):
    buyer = people["buyer"]
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        today = timezone.localdate()
        organise.set_refund_rules(meeting=meeting, rules=[(today, 50)], actor=organiser)
        reg = services.register(
            meeting=meeting, registration_type=other, user=buyer, attendee=attendee(email=buyer.email), actor=buyer
        )
        payment = pay_by_transfer(billing.start_payment(registration=reg, actor=buyer), buyer, people["finance"])
        reg = services.cancel_registration(registration=reg, actor=buyer)
        assert (reg.status, reg.refund_amount) == ("cancelled", Decimal("750.00"))
        assert [r.amount for r in Refund.objects.filter(payment=payment)] == [Decimal("750.00")]
        assert Payment.objects.get(pk=payment.pk).state == "confirmed"


def test_cancel_unpaid_cancels_invoice(open_meeting, society_a, in_schema, people):
    buyer = people["buyer"]
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        reg = services.register(
            meeting=meeting, registration_type=other, user=buyer, attendee=attendee(email=buyer.email), actor=buyer
        )
        invoice = billing.start_payment(registration=reg, actor=buyer)
        services.cancel_registration(registration=reg, actor=buyer)
        invoice.refresh_from_db()
        assert invoice.cancelled_at is not None


def test_start_payment_after_expiry_refused(open_meeting, society_a, in_schema, people):
    buyer = people["buyer"]
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        reg = services.register(
            meeting=meeting,
            registration_type=other,
            user=buyer,
            attendee=attendee(email=buyer.email),
            actor=buyer,
            now=timezone.now() - datetime.timedelta(hours=1),
        )
        with pytest.raises(ValueError, match="hold has expired"):
            billing.start_payment(registration=reg, actor=buyer)
        assert Invoice.objects.count() == 0
