"""Platform billing fixtures: the project's fake Stripe server (the platform's own account) and
helpers that post its signed events to our webhook like Stripe would."""

import pytest

from deploy.fakestripe import FakeStripe
from tests.conftest import client_for


@pytest.fixture
def fake_stripe(settings):
    """A fresh fake Stripe; events are only recorded (``manual``) until ``deliver`` posts them."""
    with FakeStripe(port=0, webhook_secret=settings.STRIPE_WEBHOOK_SECRET, delivery="manual") as fake:
        settings.STRIPE_API_BASE = fake.url
        settings.STRIPE_SECRET_KEY = "sk_test_xuehui_billing_suite"
        yield fake


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _fresh_read_only_cache():
    from billing import readonly

    readonly.forget()
    yield
    readonly.forget()


@pytest.fixture
def plans(db):
    from billing.plans import ensure_default_plans

    return {plan.code: plan for plan in ensure_default_plans()}


class Deliverer:
    """Posts every event the fake recorded since the last call, oldest first, to /stripe/webhook/."""

    def __init__(self, fake):
        self.fake = fake
        self.seen: set[str] = set()

    def post(self, event_id: str):
        body, signature = self.fake.signed_payload(event_id)
        return client_for(None).post(
            "/stripe/webhook/", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
        )

    def __call__(self) -> list[tuple[str, int]]:
        results = []
        for event in self.fake.events():
            if event["id"] in self.seen:
                continue
            self.seen.add(event["id"])
            response = self.post(event["id"])
            results.append((event["type"], response.status_code))
        return results


@pytest.fixture
def deliver(fake_stripe):
    return Deliverer(fake_stripe)


ADMIN_PASSWORD = "Xuehui-2026-admin"


@pytest.fixture
def signed_up(platform, plans, fake_stripe):
    """A society that signed up on the basic plan, billed monthly (its free trial running)."""
    from billing.services import sign_up_society

    return sign_up_society(
        slug="gamma",
        name_zh="测试数学会",
        name_en="Test Mathematical Society",
        discipline_group="理科",
        admin_email="admin@gamma.example.cn",
        admin_name="数学会秘书处",
        admin_password=ADMIN_PASSWORD,
        plan=plans["basic"],
        interval="month",
    )


@pytest.fixture
def admin_client(signed_up):
    society = signed_up.provisioned.society
    client = client_for(society)
    client.force_login(signed_up.provisioned.admin)
    return client


def checkout_session_id(response) -> str:
    assert response.status_code == 302, response
    return response["Location"].rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def subscribe(admin_client, fake_stripe, deliver):
    """Pay the society's plan through Stripe Checkout (card) and deliver Stripe's events."""

    def run():
        session_id = checkout_session_id(admin_client.post("/billing/checkout/"))
        fake_stripe.pay_checkout_session(session_id, "card")
        return deliver()

    return run
