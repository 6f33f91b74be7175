"""The Stripe webhook against an adversary: bad signatures, duplicates (also concurrent),
out-of-order events, events for another society's account.  Stripe is the project's fake server."""

import json
import time
from decimal import Decimal

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from billing import stripe_client
from billing.models import StripeEvent
from deploy.fakestripe import sign
from dues.models import Invoice, Payment, Refund
from dues.services import refund_payment, start_stripe_payment
from tests.conftest import committed
from tests.dues.fixtures import YEAR

PAID_CALLS: list[tuple[str, str]] = []


def record_paid(invoice, *, actor):
    """Stands in for members.billing.invoice_paid: the contract is one call per invoice."""
    PAID_CALLS.append((invoice.number, invoice.status))


@pytest.fixture(autouse=True)
def paid_handler(monkeypatch):
    from dues import purposes

    PAID_CALLS.clear()
    monkeypatch.setitem(purposes.PAYMENT_HANDLERS, "membership.", "tests.dues.test_webhooks.record_paid")
    yield PAID_CALLS


def _checkout(society, user, issue, in_schema, amount="500.00"):
    invoice = issue(society, user, amount)
    with in_schema(society):
        payment = start_stripe_payment(
            invoice=invoice, success_url="http://x.example/ok", cancel_url="http://x.example/back", actor=user
        )
    return invoice, payment


@pytest.mark.django_db
def test_checkout_paid_webhook_confirms_once_with_one_email(
    society_a, society_b, make_user, in_schema, issue, fake_stripe, connect_society, django_capture_on_commit_callbacks
):
    account = connect_society(society_a)
    member = make_user("wang@example.cn", "王芳")
    invoice, payment = _checkout(society_a, member, issue, in_schema)
    assert payment.checkout_url == f"{fake_stripe.url}/checkout/{payment.stripe_checkout_session_id}"
    fake_stripe.pay_checkout_session(payment.stripe_checkout_session_id, "alipay")
    completed = fake_stripe.event_ids("checkout.session.completed", account)
    succeeded = fake_stripe.event_ids("payment_intent.succeeded", account)
    with django_capture_on_commit_callbacks(execute=True):
        responses = [fake_stripe.post_event(event_id) for event_id in completed + succeeded + completed]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r.json() for r in responses][2] == {"status": "processed", "duplicate": True}
    with in_schema(society_a):
        payment = Payment.objects.get(pk=payment.pk)
        invoice = Invoice.objects.get(pk=invoice.pk)
        assert (payment.state, payment.method_detail, invoice.status, invoice.amount_due) == (
            "confirmed",
            "alipay",
            "paid",
            Decimal("0.00"),
        )
        assert payment.stripe_payment_intent_id.startswith("pi_")
    assert PAID_CALLS == [(invoice.number, "paid")]
    assert [m.to for m in mail.outbox] == [["wang@example.cn"]]
    assert sorted(StripeEvent.objects.values_list("status", flat=True)) == ["processed", "processed"]
    with in_schema(society_b):
        assert Payment.objects.count() == 0 and Invoice.objects.count() == 0


@pytest.mark.django_db
def test_double_click_and_retry_reuse_one_checkout_session(
    society_a, make_user, in_schema, issue, fake_stripe, connect_society
):
    account = connect_society(society_a)
    member = make_user("wang@example.cn")
    invoice, first = _checkout(society_a, member, issue, in_schema)
    with in_schema(society_a):
        again = start_stripe_payment(
            invoice=invoice, success_url="http://x.example/ok", cancel_url="http://x.example/back", actor=member
        )
        # A restart between creating the session and storing it: the row has no session yet.
        Payment.objects.filter(pk=first.pk).update(stripe_checkout_session_id="", checkout_url="", state="created")
        after_restart = start_stripe_payment(
            invoice=invoice, success_url="http://x.example/ok", cancel_url="http://x.example/back", actor=member
        )
        assert Payment.objects.count() == 1
    assert again.pk == first.pk == after_restart.pk
    assert after_restart.stripe_checkout_session_id == first.stripe_checkout_session_id
    sessions = [e["data"]["object"]["id"] for e in fake_stripe.events("checkout.session.created", account)] or None
    listed = stripe_client.client().v1.checkout.sessions.list({}, {"stripe_account": account})
    assert [s.id for s in listed.data] == [first.stripe_checkout_session_id]
    assert sessions in (None, [first.stripe_checkout_session_id])


@pytest.mark.django_db
def test_bad_signatures_get_400_and_write_nothing(society_a, make_user, in_schema, issue, fake_stripe, connect_society):
    account = connect_society(society_a)
    _invoice, payment = _checkout(society_a, make_user("a@example.cn"), issue, in_schema)
    fake_stripe.pay_checkout_session(payment.stripe_checkout_session_id)
    event_id = fake_stripe.event_ids("checkout.session.completed", account)[0]
    payload, signature = fake_stripe.signed_payload(event_id)
    tampered = payload.replace(b'"complete"', b'"open"', 1)
    assert tampered != payload
    cases = {
        "unsigned": fake_stripe.post_event(event_id, signature=""),
        "wrong secret": fake_stripe.post_event(event_id, signature=sign(payload, "whsec_wrong")),
        "tampered": fake_stripe.post_event(event_id, body=tampered, signature=signature),
        "stale": fake_stripe.post_event(
            event_id, signature=sign(payload, fake_stripe.dispatcher.secret, int(time.time()) - 3600)
        ),
    }
    assert {name: r.status_code for name, r in cases.items()} == dict.fromkeys(cases, 400)
    assert StripeEvent.objects.count() == 0
    with in_schema(society_a):
        assert Payment.objects.get(pk=payment.pk).state == "pending"


@pytest.mark.django_db
def test_refund_before_succeeded_changes_state_once(
    society_a, make_user, in_schema, issue, fake_stripe, connect_society, django_capture_on_commit_callbacks
):
    account = connect_society(society_a)
    member = make_user("a@example.cn")
    invoice, payment = _checkout(society_a, member, issue, in_schema)
    fake_stripe.pay_checkout_session(payment.stripe_checkout_session_id, "card")
    intent_id = fake_stripe.get_object(payment.stripe_checkout_session_id)["payment_intent"]
    client = stripe_client.client()
    client.v1.refunds.create({"payment_intent": intent_id, "amount": 20000}, {"stripe_account": account})
    order = (
        fake_stripe.event_ids("charge.refunded", account)
        + fake_stripe.event_ids("refund.created", account)
        + fake_stripe.event_ids("payment_intent.succeeded", account)
        + fake_stripe.event_ids("checkout.session.completed", account)
    )
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [fake_stripe.post_event(event_id).status_code for event_id in order]
    assert statuses == [200] * len(order)
    with in_schema(society_a):
        payment = Payment.objects.get(pk=payment.pk)
        refund = Refund.objects.get()
        invoice = Invoice.objects.get(pk=invoice.pk)
        assert (payment.state, refund.state, refund.amount, refund.credit_note.total) == (
            "confirmed",
            "done",
            Decimal("200.00"),
            Decimal("-200.00"),
        )
        assert (invoice.amount_payable, invoice.amount_paid, invoice.status) == (
            Decimal("300.00"),
            Decimal("300.00"),
            "paid",
        )
    assert PAID_CALLS == [(invoice.number, "paid")]
    assert sorted(m.subject for m in mail.outbox) == sorted(
        [f"已收到账单 {invoice.number} 的付款", f"账单 {invoice.number} 退款"]
    )


@pytest.mark.django_db
def test_events_for_society_a_account_never_touch_society_b(
    society_a, society_b, make_user, in_schema, issue, fake_stripe, connect_society
):
    account_a = connect_society(society_a)
    connect_society(society_b)
    member = make_user("a@example.cn")
    _invoice_a, payment_a = _checkout(society_a, member, issue, in_schema)
    _invoice_b, payment_b = _checkout(society_b, member, issue, in_schema)
    assert payment_a.pk == payment_b.pk  # same local ids in both schemas: only the account tells them apart
    fake_stripe.pay_checkout_session(payment_a.stripe_checkout_session_id)
    for event_id in fake_stripe.event_ids("checkout.session.completed", account_a):
        assert fake_stripe.post_event(event_id).status_code == 200
    assert StripeEvent.objects.get(type="checkout.session.completed").society_id == society_a.pk
    with in_schema(society_a):
        assert Payment.objects.get(pk=payment_a.pk).state == "confirmed"
    with in_schema(society_b):
        assert Payment.objects.get(pk=payment_b.pk).state == "pending"


@pytest.mark.django_db
def test_event_naming_a_foreign_payment_is_ignored(
    society_a, society_b, make_user, in_schema, issue, fake_stripe, connect_society
):
    """An event of A's account whose metadata names a payment id that exists only in B is ignored in A."""
    account_a = connect_society(society_a)
    connect_society(society_b)
    _invoice_b, payment_b = _checkout(society_b, make_user("b@example.cn"), issue, in_schema)
    fake_stripe.pay_checkout_session(payment_b.stripe_checkout_session_id)
    forged = fake_stripe.events("payment_intent.succeeded")[0]
    forged["account"] = account_a
    forged["id"] = "evt_forged_1"
    body = json.dumps(forged).encode()
    response = fake_stripe.post_event(
        fake_stripe.events()[0]["id"], body=body, signature=sign(body, fake_stripe.dispatcher.secret)
    )
    assert response.status_code == 200 and response.json() == {"status": "ignored"}
    with in_schema(society_b):
        assert Payment.objects.get(pk=payment_b.pk).state == "pending"


@committed
def test_five_concurrent_duplicates_change_state_once(
    live_server, society_a, society_b, make_user, in_schema, issue, fake_stripe, connect_society, settled_tasks
):
    account = connect_society(society_a)
    member = make_user("c@example.cn")
    fake_stripe.configure(delivery="manual")
    invoice, payment = _checkout(society_a, member, issue, in_schema)
    fake_stripe.pay_checkout_session(payment.stripe_checkout_session_id)
    mail.outbox.clear()
    event_id = fake_stripe.event_ids("checkout.session.completed", account)[0]
    results = fake_stripe.deliver_event(event_id, times=5, concurrent=True)
    assert sorted(r["status"] for r in results) == [200] * 5
    with schema_context(society_a.schema_name):
        assert Payment.objects.get(pk=payment.pk).state == "confirmed"
        assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert StripeEvent.objects.filter(stripe_id=event_id).values_list("status", "attempts").get() == ("processed", 1)
    assert PAID_CALLS == [(invoice.number, "paid")]
    assert len(mail.outbox) == 1
    with schema_context(society_b.schema_name):
        assert Payment.objects.count() == 0


@pytest.mark.django_db
def test_refund_through_stripe_issues_credit_note(
    society_a, make_user, in_schema, issue, fake_stripe, connect_society, django_capture_on_commit_callbacks
):
    account = connect_society(society_a)
    member = make_user("a@example.cn")
    finance = make_user("fin@example.cn")
    invoice, payment = _checkout(society_a, member, issue, in_schema)
    fake_stripe.pay_checkout_session(payment.stripe_checkout_session_id)
    for event_id in fake_stripe.event_ids("checkout.session.completed", account):
        fake_stripe.post_event(event_id)
    with in_schema(society_a), django_capture_on_commit_callbacks(execute=True):
        payment = Payment.objects.get(pk=payment.pk)
        refund = refund_payment(payment=payment, amount=Decimal("150"), reason="会员多付", actor=finance)
        assert (refund.state, refund.credit_note.number, refund.credit_note.total) == (
            "done",
            f"CN-{YEAR}-000001",
            Decimal("-150.00"),
        )
        assert refund.stripe_refund_id.startswith("re_")
    for event_id in fake_stripe.event_ids("charge.refunded", account) + fake_stripe.event_ids(
        "refund.created", account
    ):
        assert fake_stripe.post_event(event_id).status_code == 200
    with in_schema(society_a):
        assert Refund.objects.count() == 1
        assert Invoice.objects.filter(kind="credit_note").count() == 1
    assert [m.subject for m in mail.outbox] == [f"账单 {invoice.number} 退款"]


@committed
def test_locked_payment_answers_503_then_retry_confirms(
    live_server, society_a, society_b, make_user, in_schema, issue, fake_stripe, connect_society, settled_tasks
):
    from django.db import transaction

    account = connect_society(society_a)
    fake_stripe.configure(delivery="manual")
    invoice, payment = _checkout(society_a, make_user("d@example.cn"), issue, in_schema)
    fake_stripe.pay_checkout_session(payment.stripe_checkout_session_id)
    event_id = fake_stripe.event_ids("checkout.session.completed", account)[0]
    with schema_context(society_a.schema_name), transaction.atomic():
        Invoice.objects.select_for_update().get(pk=invoice.pk)  # finance is confirming something right now
        busy = fake_stripe.deliver_event(event_id)
    assert [d["status"] for d in busy] == [503]
    with schema_context(society_a.schema_name):
        assert Payment.objects.get(pk=payment.pk).state == "pending"
    assert [d["status"] for d in fake_stripe.deliver_event(event_id)] == [200]
    with schema_context(society_a.schema_name):
        assert Payment.objects.get(pk=payment.pk).state == "confirmed"
    assert PAID_CALLS == [(invoice.number, "paid")]
