"""Fixtures for money tests: the project's fake Stripe server and a society connected to it.

``fake_stripe`` starts deploy.fakestripe.FakeStripe on a free port and points
``settings.STRIPE_API_BASE`` at it.  Without a live server it records events and sends none
(``delivery="manual"``); ``fake_stripe.post_event(event_id)`` then delivers one through Django's
test client to /stripe/webhook/ in the test's own transaction.  With ``live_server`` in the test
it delivers synchronously to the live server's webhook, as Stripe would.
"""

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from deploy.fakestripe import FakeStripe


class TestFakeStripe(FakeStripe):
    """FakeStripe plus delivery through the test client (no live server needed)."""

    def post_event(self, event_id: str, *, secret: str | None = None, body: bytes | None = None, signature=None):
        payload, signed = self.signed_payload(event_id)
        client = Client(HTTP_HOST=django_settings.BASE_DOMAIN)
        return client.post(
            "/stripe/webhook/",
            data=body if body is not None else payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature if signature is not None else signed,
        )

    def event_ids(self, event_type: str, account: str = "*") -> list[str]:
        return [event["id"] for event in self.events(event_type, account=account)]


@pytest.fixture
def fake_stripe(request, settings):
    live = "live_server" in request.fixturenames
    webhook_url = None
    if live:
        port = request.getfixturevalue("live_server").url.rsplit(":", 1)[1]
        webhook_url = f"http://{django_settings.BASE_DOMAIN}:{port}/stripe/webhook/"
    fake = TestFakeStripe(
        port=0,
        delivery="sync" if live else "manual",
        webhook_url=webhook_url,
        webhook_secret=django_settings.STRIPE_WEBHOOK_SECRET,
        retry_delays=(0.05, 0.1, 0.2),
    ).start()
    settings.STRIPE_API_BASE = fake.url
    yield fake
    fake.stop()


@pytest.fixture
def connect_society(fake_stripe, in_schema):
    """``connect_society(society)``: give the society an onboarded Stripe account; returns its id."""
    from dues.services.connect import start_onboarding

    def connect(society) -> str:
        with in_schema(society):
            from dues.selectors import invoice_settings

            start_onboarding(return_url="http://x.example/ok", refresh_url="http://x.example/again", actor=None)
            account = invoice_settings().stripe_account_id
            fake_stripe.complete_onboarding(account)
            from dues.models import InvoiceSettings

            InvoiceSettings.objects.filter(stripe_account_id=account).update(stripe_charges_enabled=True)
        return account

    return connect


# Numbers carry the issue year.
YEAR = timezone.localdate().year

BUYER = {
    "name": "北京大学化学与分子工程学院",
    "taxpayer_id": "12100000400000624D",
    "address": "北京市海淀区颐和园路5号",
    "phone": "010-62751234",
    "bank": "中国工商银行北京海淀支行",
    "account": "0200004509014412345",
    "kind": "special",
    "email": "finance@pku.example.cn",
}


@pytest.fixture
def issue(in_schema):
    """``issue(society, user, amount="500.00", **kw)``: a dues invoice issued by the contract service."""
    from decimal import Decimal

    from dues.services import create_invoice

    def make(society, user, amount="500.00", *, buyer=None, purpose="membership.dues", currency="CNY", **kwargs):
        with in_schema(society):
            return create_invoice(
                buyer_user=user,
                buyer=buyer or dict(BUYER, name="王芳", taxpayer_id="", kind="ordinary", email=user.email),
                lines=[
                    {
                        "description": "2026 年度个人会员会费",
                        "quantity": 1,
                        "unit_price": Decimal(amount),
                        "tax_rate": Decimal("0"),
                    }
                ],
                currency=currency,
                purpose=purpose,
                subject_id="17",
                actor=user,
                **kwargs,
            )

    return make


@pytest.fixture
def settled_tasks(society_a, society_b):
    """For committed tests that enqueue tasks: before the societies' schemas are dropped, forget
    queued tasks and let the in-process worker (if one runs) finish the ones it holds, so that no
    task is rendering inside a schema while it is being dropped."""
    yield
    import time

    from celery.worker import state

    from saas.celery import app

    app.control.purge()
    deadline = time.time() + 60
    while (state.active_requests or state.reserved_requests) and time.time() < deadline:
        time.sleep(0.1)


@pytest.fixture
def paused_worker():
    """Keep an in-process Celery worker (started by an earlier test) from consuming while a
    timing-sensitive test runs; its queued tasks are dropped afterwards."""
    from saas.celery import app

    app.control.cancel_consumer("celery", reply=True, timeout=0.5)
    yield
    app.control.purge()
    app.control.add_consumer("celery", reply=True, timeout=0.5)


def make_active_member(user, *, term_end, number="CS202600001"):
    """``user`` as an active regular member (200.00 CNY a year) whose term ends on ``term_end``
    (run inside the society's schema)."""
    import datetime

    from members.models import Member, MembershipCategory
    from tests.members.conftest import make_categories

    regular = MembershipCategory.objects.filter(code="regular").first() or make_categories()["regular"]
    return Member.objects.create(
        user=user,
        category=regular,
        status="active",
        name_zh=user.name,
        email=user.email,
        number=number,
        term_start=term_end - datetime.timedelta(days=364),
        term_end=term_end,
    )
