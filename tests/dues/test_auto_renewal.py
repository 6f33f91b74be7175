"""Saved cards and automatic renewal: opting in at Checkout, the renewal job charging off-session
once, declines with their e-mail and retry schedule, turning off, removing the card, wallets that
never save, and nobody touching another member's card.  Stripe is the project's fake server
driven by the real stripe library; tasks run eagerly in the test's thread."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from billing import stripe_client
from common.models import AuditEntry
from dues.models import AutoRenewal, Invoice, Payment
from dues.providers import StripeProvider
from dues.services.payments import _open_attempt
from dues.tasks import charge_saved_card
from members.models import Member, MembershipCharge, MemberTerm
from members.renewal import run_renewals
from tests.conftest import client_for
from tests.dues.fixtures import make_active_member
from tests.meetings.conftest import eager_tasks  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]

TODAY = timezone.localdate()
TERM_END = TODAY + datetime.timedelta(days=10)


@pytest.fixture
def member_a(society_a, make_user, in_schema):
    """王芳, an active regular member (200.00 CNY a year) of society A whose term ends in 10 days."""
    user = make_user("wang.fang@example.cn", "王芳")
    with in_schema(society_a):
        make_active_member(user, term_end=TERM_END)
    return user


def _client(society, user):
    client = client_for(society)
    client.force_login(user)
    return client


def _stripe(account):
    return stripe_client.client(), {"stripe_account": account}


def _pay_by_card_and_save(society, user, issue, fake_stripe, *, card=None, method="card"):
    """The member pays a membership invoice at Checkout with "save this card" ticked."""
    invoice = issue(society, user, "80.00", purpose="membership.dues")
    client = _client(society, user)
    response = client.post(f"/dues/invoices/{invoice.pk}/pay/", {"method": "stripe", "save_card": "on"})
    session_id = response["Location"].rsplit("/", 1)[1]
    fake_stripe.pay_checkout_session(session_id, method, card=card)
    client.get(f"/dues/invoices/{invoice.pk}/paid/")  # the return page records it at once
    return invoice, session_id


def _renew(society, in_schema, django_capture_on_commit_callbacks, today=TODAY):
    with in_schema(society), django_capture_on_commit_callbacks(execute=True):
        return run_renewals(today=today)


def _renewal_invoice(member_user):
    charge = MembershipCharge.objects.get(member__user=member_user, purpose="membership.renewal")
    return Invoice.objects.get(pk=charge.invoice_id)


def test_opting_in_at_checkout_saves_the_card_and_turns_renewal_on(
    society_a, society_b, member_a, in_schema, issue, fake_stripe, connect_society
):
    account = connect_society(society_a)
    client = _client(society_a, member_a)
    invoice = issue(society_a, member_a, "80.00", purpose="membership.dues")
    page = client.get(f"/dues/invoices/{invoice.pk}/pay/").content.decode()
    assert 'data-testid="save-card"' in page and "自动" in page
    response = client.post(f"/dues/invoices/{invoice.pk}/pay/", {"method": "stripe", "save_card": "on"})
    session_id = response["Location"].rsplit("/", 1)[1]
    client_, options = _stripe(account)
    session = client_.v1.checkout.sessions.retrieve(session_id, None, options)
    with in_schema(society_a):
        plan = AutoRenewal.objects.get()
        assert (plan.user_id, plan.stripe_payment_method_id, plan.enabled) == (member_a.pk, "", False)
    assert (session.payment_method_types, session.customer, session.customer_email) == (
        ["card"],
        plan.stripe_customer_id,
        None,
    )
    fake_stripe.pay_checkout_session(session_id, "card")
    back = client.get(f"/dues/invoices/{invoice.pk}/paid/", follow=True).content.decode()
    assert "自动续费已开启" in back or "automatic renewal is on" in back
    with in_schema(society_a):
        plan.refresh_from_db()
        payment = Payment.objects.get(invoice=invoice)
        assert (payment.state, payment.save_card, payment.method_detail) == ("confirmed", True, "card")
        assert (plan.card_brand, plan.card_last4, plan.card_exp_month, plan.card_exp_year, plan.enabled) == (
            "visa",
            "4242",
            8,
            2030,
            True,
        )
        assert (plan.saved_by_payment_id, plan.consented_at) == (payment.pk, payment.created_at)
        consent = AuditEntry.objects.get(action="dues.consent_auto_renewal")
        assert consent.actor_id == member_a.pk and "自动" in consent.after["consent"]
        assert AuditEntry.objects.filter(action="dues.save_card").count() == 1
    intent = client_.v1.payment_intents.retrieve(payment.stripe_payment_intent_id, None, options)
    assert (intent.setup_future_usage, intent.customer, intent.payment_method) == (
        "off_session",
        plan.stripe_customer_id,
        plan.stripe_payment_method_id,
    )
    saved = client_.v1.payment_methods.list({"customer": plan.stripe_customer_id}, options)
    assert [pm.id for pm in saved.data] == [plan.stripe_payment_method_id]
    # Webhooks for the same payment afterwards save nothing twice.
    for event_id in fake_stripe.event_ids("checkout.session.completed", account):
        assert fake_stripe.post_event(event_id).status_code == 200
    with in_schema(society_a):
        assert AuditEntry.objects.filter(action="dues.save_card").count() == 1
    page = client.get("/members/me/auto-renewal/").content.decode()
    for text in ('data-testid="card-last4">4242<', 'data-testid="card-expiry">08/2030<', "VISA"):
        assert text in page
    assert f'data-testid="next-renewal-date">{(TERM_END + datetime.timedelta(days=1)):%Y-%m-%d}<' in page
    assert 'data-testid="next-renewal-amount">200.00 CNY<' in page
    assert f'data-testid="charge-date">{TODAY:%Y-%m-%d}<' in page  # the renewal invoice is due now
    with in_schema(society_b):
        assert AutoRenewal.objects.count() == 0 and Payment.objects.count() == 0


def test_renewal_job_charges_the_saved_card_once_and_extends_once(
    society_a, society_b, member_a, in_schema, issue, fake_stripe, connect_society, django_capture_on_commit_callbacks
):
    account = connect_society(society_a)
    _pay_by_card_and_save(society_a, member_a, issue, fake_stripe)
    mail.outbox.clear()
    first = _renew(society_a, in_schema, django_capture_on_commit_callbacks)
    second = _renew(society_a, in_schema, django_capture_on_commit_callbacks)
    assert (first["charges"], first["card_charges_queued"]) == (1, 1)
    assert (second["charges"], second["card_charges_queued"]) == (0, 0)  # the invoice is paid
    with in_schema(society_a):
        invoice = _renewal_invoice(member_a)
        # The task itself, run again by hand (a redelivery), finds nothing to do.
        assert charge_saved_card.apply(
            kwargs={"invoice_id": invoice.pk, "schema_name": society_a.schema_name}
        ).get() == ("not_payable")
        plan = AutoRenewal.objects.get()
        attempt = invoice.payments.get()
        assert (attempt.off_session, attempt.state, attempt.amount, attempt.method_detail, invoice.status) == (
            True,
            "confirmed",
            Decimal("200.00"),
            "card",
            "paid",
        )
        member = Member.objects.get(user=member_a)
        assert (member.status, member.term_end) == ("active", TERM_END.replace(year=TERM_END.year + 1))
        assert MemberTerm.objects.filter(member=member, kind="renewal").count() == 1
    client_, options = _stripe(account)
    intents = client_.v1.payment_intents.list({"customer": plan.stripe_customer_id}, options).data
    off_session = [i for i in intents if i.id == attempt.stripe_payment_intent_id]
    assert (len(intents), off_session[0].amount, off_session[0].payment_method) == (
        2,
        20000,
        plan.stripe_payment_method_id,
    )
    assert off_session[0].metadata["xuehui_payment_id"] == str(attempt.pk)
    # Stripe's events for it, delivered late, twice and out of order, change nothing.
    events = (
        fake_stripe.event_ids("payment_intent.succeeded", account)[-1:]
        + fake_stripe.event_ids("charge.succeeded", account)[-1:]
    )
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [fake_stripe.post_event(e).status_code for e in events[::-1] + events]
    assert statuses == [200, 200, 200, 200]
    with in_schema(society_a):
        assert Member.objects.get(user=member_a).term_end == TERM_END.replace(year=TERM_END.year + 1)
        assert MemberTerm.objects.filter(kind="renewal").count() == 1
    assert [m.to for m in mail.outbox] == [["wang.fang@example.cn"]]  # "payment received", once
    with in_schema(society_b):
        assert Payment.objects.count() == 0 and Member.objects.count() == 0


def test_an_attempt_interrupted_after_stripe_charged_is_resumed_with_the_same_key(
    society_a, member_a, in_schema, issue, fake_stripe, connect_society, django_capture_on_commit_callbacks
):
    account = connect_society(society_a)
    _pay_by_card_and_save(society_a, member_a, issue, fake_stripe)
    with in_schema(society_a):
        plan = AutoRenewal.objects.get()
        plan.enabled = False  # the job must not charge before we have staged the "crash"
        plan.save()
    _renew(society_a, in_schema, django_capture_on_commit_callbacks)
    with in_schema(society_a):
        invoice = _renewal_invoice(member_a)
        AutoRenewal.objects.filter(pk=plan.pk).update(enabled=True)
        # The worker created the attempt and Stripe charged the card, then the worker died.
        attempt = _open_attempt(invoice, Payment.Provider.STRIPE, None, off_session=True)
        charged = StripeProvider(account).charge_saved_card(
            attempt, customer=plan.stripe_customer_id, payment_method=plan.stripe_payment_method_id
        )
    _renew(society_a, in_schema, django_capture_on_commit_callbacks)
    with in_schema(society_a):
        attempt.refresh_from_db()
        assert (attempt.state, attempt.stripe_payment_intent_id) == ("confirmed", charged.id)
        assert invoice.payments.count() == 1 and Invoice.objects.get(pk=invoice.pk).status == "paid"
    client_, options = _stripe(account)
    assert len(client_.v1.payment_intents.list({"customer": plan.stripe_customer_id}, options).data) == 2


def test_declined_card_fails_the_attempt_emails_once_and_retries_after_3_and_7_days(
    society_a, member_a, in_schema, issue, fake_stripe, connect_society, django_capture_on_commit_callbacks
):
    connect_society(society_a)
    _pay_by_card_and_save(society_a, member_a, issue, fake_stripe)
    with in_schema(society_a):
        plan = AutoRenewal.objects.get()
    fake_stripe.decline_future_charges(plan.stripe_payment_method_id, "insufficient_funds")
    mail.outbox.clear()
    _renew(society_a, in_schema, django_capture_on_commit_callbacks)
    _renew(society_a, in_schema, django_capture_on_commit_callbacks)  # same day: nothing new
    with in_schema(society_a):
        invoice = _renewal_invoice(member_a)
        attempt = invoice.payments.get()
        assert (attempt.off_session, attempt.state, attempt.failure_code) == (True, "failed", "insufficient_funds")
        assert attempt.stripe_payment_intent_id.startswith("pi_")
        invoice = Invoice.objects.get(pk=invoice.pk)
        assert (invoice.status, invoice.amount_due) == ("issued", Decimal("200.00"))
        assert AuditEntry.objects.get(action="dues.auto_charge_failed").after["retry_on"] == (
            (TODAY + datetime.timedelta(days=3)).isoformat()
        )
    assert [m.to for m in mail.outbox] == [["wang.fang@example.cn"]]
    assert f"/dues/invoices/{invoice.pk}/pay/" in mail.outbox[0].body
    assert (TODAY + datetime.timedelta(days=3)).isoformat() in mail.outbox[0].body
    # The invoice can still be paid by hand.
    client = _client(society_a, member_a)
    assert 'data-testid="amount-due">200.00 CNY<' in client.get(f"/dues/invoices/{invoice.pk}/pay/").content.decode()
    detail = client.get(f"/dues/invoices/{invoice.pk}/").content.decode()
    assert "已保存银行卡自动扣款" in detail and "失败 (insufficient_funds)" in detail
    for day, tries in ((2, 1), (3, 2), (4, 2), (7, 3), (8, 3), (30, 3)):
        _renew(society_a, in_schema, django_capture_on_commit_callbacks, TODAY + datetime.timedelta(days=day))
        with in_schema(society_a):
            assert invoice.payments.filter(off_session=True, state="failed").count() == tries, day
    assert len(mail.outbox) == 3
    assert "不会再" in mail.outbox[2].body or "will not try" in mail.outbox[2].body
    with in_schema(society_a):
        assert Member.objects.get(user=member_a).term_end == TERM_END


def test_card_needing_authentication_fails_off_session_without_retries(
    society_a, member_a, in_schema, issue, fake_stripe, connect_society, django_capture_on_commit_callbacks
):
    connect_society(society_a)
    # 4000 0027 6000 3184: the member authenticates at Checkout, but the bank wants it every time.
    _pay_by_card_and_save(society_a, member_a, issue, fake_stripe, card="pm_card_authenticationRequired")
    with in_schema(society_a):
        assert (AutoRenewal.objects.get().card_last4, AutoRenewal.objects.get().enabled) == ("3184", True)
    mail.outbox.clear()
    _renew(society_a, in_schema, django_capture_on_commit_callbacks)
    _renew(society_a, in_schema, django_capture_on_commit_callbacks, TODAY + datetime.timedelta(days=3))
    with in_schema(society_a):
        invoice = _renewal_invoice(member_a)
        assert list(invoice.payments.values_list("state", "failure_code")) == [("failed", "authentication_required")]
    assert len(mail.outbox) == 1


def test_turning_off_stops_charging_and_removing_detaches_the_card(
    society_a, member_a, in_schema, issue, fake_stripe, connect_society, django_capture_on_commit_callbacks
):
    account = connect_society(society_a)
    _pay_by_card_and_save(society_a, member_a, issue, fake_stripe)
    client = _client(society_a, member_a)
    with in_schema(society_a):
        plan = AutoRenewal.objects.get()
    assert client.post(f"/members/me/auto-renewal/{plan.pk}/off/").status_code == 302
    done = _renew(society_a, in_schema, django_capture_on_commit_callbacks)
    assert (done["charges"], done["card_charges_queued"]) == (1, 0)
    with in_schema(society_a):
        assert _renewal_invoice(member_a).payments.count() == 0
        plan.refresh_from_db()
        assert (plan.enabled, plan.card_last4) == (False, "4242")
    page = client.get("/members/me/auto-renewal/").content.decode()
    assert 'data-testid="turn-on"' in page and 'data-testid="consent"' in page
    client.post(f"/members/me/auto-renewal/{plan.pk}/on/")
    with in_schema(society_a):
        plan.refresh_from_db()
        assert plan.enabled is True
        assert (
            "自动" in AuditEntry.objects.filter(action="dues.set_auto_renewal").order_by("id").last().after["consent"]
        )
    pm_id = plan.stripe_payment_method_id
    client.post(f"/members/me/auto-renewal/{plan.pk}/remove/")
    with in_schema(society_a):
        plan.refresh_from_db()
        assert (plan.enabled, plan.stripe_payment_method_id, plan.card_last4, plan.card_exp_year) == (
            False,
            "",
            "",
            None,
        )
    client_, options = _stripe(account)
    assert client_.v1.payment_methods.retrieve(pm_id, None, options).customer is None
    # Without a card, turning on is refused with a message.
    follow = client.post(f"/members/me/auto-renewal/{plan.pk}/on/", follow=True).content.decode()
    assert 'data-testid="no-card"' in follow and ("请先保存" in follow or "Save a card first" in follow)
    assert _renew(society_a, in_schema, django_capture_on_commit_callbacks)["card_charges_queued"] == 0


@pytest.mark.parametrize("method", ["alipay", "wechat_pay"])
def test_wallet_payments_never_save_a_card(society_a, member_a, in_schema, issue, fake_stripe, connect_society, method):
    account = connect_society(society_a)
    invoice = issue(society_a, member_a, "80.00", purpose="membership.dues")
    client = _client(society_a, member_a)
    plain = client.post(f"/dues/invoices/{invoice.pk}/pay/", {"method": "stripe"})
    session_id = plain["Location"].rsplit("/", 1)[1]
    fake_stripe.pay_checkout_session(session_id, method)
    client.get(f"/dues/invoices/{invoice.pk}/paid/")
    client_, options = _stripe(account)
    session = client_.v1.checkout.sessions.retrieve(session_id, {"expand": ["payment_intent"]}, options)
    assert (session.payment_intent.setup_future_usage, session.payment_intent.status) == (None, "succeeded")
    with in_schema(society_a):
        assert Payment.objects.get().method_detail == method
        assert not AutoRenewal.objects.exclude(stripe_payment_method_id="").exists()
    # Ticking "save this card" makes a card-only Checkout: a wallet cannot even be chosen there.
    second = issue(society_a, member_a, "80.00", purpose="membership.dues")
    saving = client.post(f"/dues/invoices/{second.pk}/pay/", {"method": "stripe", "save_card": "on"})
    saving_id = saving["Location"].rsplit("/", 1)[1]
    assert client_.v1.checkout.sessions.retrieve(saving_id, None, options).payment_method_types == ["card"]
    with pytest.raises(Exception, match="does not accept"):
        fake_stripe.pay_checkout_session(saving_id, method)


def test_a_member_cannot_see_or_change_another_members_card(
    society_a, society_b, member_a, make_user, in_schema, issue, fake_stripe, connect_society
):
    connect_society(society_a)
    _pay_by_card_and_save(society_a, member_a, issue, fake_stripe)
    other = make_user("li.lei@example.cn", "李雷")
    with in_schema(society_a):
        plan = AutoRenewal.objects.get()
        make_active_member(other, term_end=TODAY + datetime.timedelta(days=364), number="CS202600002")
    intruder = _client(society_a, other)
    for action in ("off", "remove", "on"):
        assert intruder.post(f"/members/me/auto-renewal/{plan.pk}/{action}/").status_code == 404
    page = intruder.get("/members/me/auto-renewal/").content.decode()
    assert 'data-testid="no-card"' in page and "4242" not in page
    # Paying someone else's invoice with "save this card" is not possible either.
    invoice = issue(society_a, member_a, "80.00", purpose="membership.dues")
    assert (
        intruder.post(f"/dues/invoices/{invoice.pk}/pay/", {"method": "stripe", "save_card": "on"}).status_code == 404
    )
    with in_schema(society_a):
        plan.refresh_from_db()
        assert (plan.enabled, plan.card_last4) == (True, "4242")
    # The same person in society B has no card there.
    assert _client(society_b, member_a).get("/members/me/auto-renewal/").status_code == 302
    with in_schema(society_b):
        assert AutoRenewal.objects.count() == 0
