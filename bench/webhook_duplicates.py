"""Stripe webhook throughput on duplicate deliveries, against a real server.

gunicorn (2 workers x 4 threads, the project's settings, database ``xuehui_bench``) on a free local
port; the project's fake Stripe in this process plays Stripe.  One society has a paid Checkout
Session; its ``checkout.session.completed`` event is then

* first delivered as a burst of 8 concurrent copies (the first delivery race), and
* re-delivered, already processed, by 8 concurrent senders for a fixed time (duplicates),

each copy signed like Stripe's.  Figures: deliveries/second and latency percentiles of the
duplicates; and, checked after both, that the payment changed state exactly once (one
``dues.confirm_payment`` audit row, one processed event row with one handler attempt).

Goal: >= 150 duplicate deliveries/s with 8 concurrent senders on 2 cores, state changed once.
"""

import http.client
import os
import threading
import time
from decimal import Decimal

from bench.common import free_port, percentile, start_gunicorn

SLUG = "bench-dues"
SENDERS = 8
GOAL = ">= 150 duplicate deliveries/s with 8 concurrent senders on 2 cores; state changed exactly once"


def _post(port: int, body: bytes, signature: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "POST",
        "/stripe/webhook/",
        body=body,
        headers={"Host": "localhost", "Content-Type": "application/json", "Stripe-Signature": signature},
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def _serve(port: int, env: dict):
    return start_gunicorn(port=port, env=env, workers=2, threads=4, ready_path="/healthz", host="localhost")


def _prepare(fake):
    """A society connected to the fake Stripe, one dues invoice paid on the hosted page."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    from dues.models import InvoiceSettings
    from dues.services import create_invoice, start_stripe_payment
    from dues.services.connect import start_onboarding
    from tenants.models import Society
    from tenants.services import create_society

    settings.STRIPE_API_BASE = fake.url
    society = (
        Society.objects.filter(slug=SLUG).first()
        or create_society(slug=SLUG, name_zh="基准会费学会", admin_email="bench@dues.example.cn").society
    )
    User = get_user_model()
    member = User.objects.filter(email="member@dues.example.cn").first() or User.objects.create_user(
        "member@dues.example.cn", "pw-Bench-2026", name="基准会员"
    )
    with schema_context(society.schema_name):
        InvoiceSettings.objects.update(stripe_account_id="", stripe_charges_enabled=False)
        start_onboarding(return_url="http://x/ok", refresh_url="http://x/again", actor=None)
        account = InvoiceSettings.objects.get().stripe_account_id
        fake.complete_onboarding(account)
        invoice = create_invoice(
            buyer_user=member,
            buyer={"name": "基准会员"},
            lines=[{"description": "年度会费", "quantity": 1, "unit_price": Decimal("300"), "tax_rate": Decimal("0")}],
            purpose="membership.dues",
            subject_id="bench",
            actor=None,
        )
        payment = start_stripe_payment(invoice=invoice, success_url="http://x/ok", cancel_url="http://x/no", actor=None)
    fake.pay_checkout_session(payment.stripe_checkout_session_id, "card")
    event_id = [e["id"] for e in fake.events("checkout.session.completed", account=account)][-1]
    return society, payment, event_id


def _burst(port, fake, event_id, count):
    statuses = []
    lock = threading.Lock()

    def one():
        body, signature = fake.signed_payload(event_id)
        status = _post(port, body, signature)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def _hammer(port, fake, event_id, seconds):
    latencies, statuses = [], []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    body, signature = fake.signed_payload(event_id)  # valid for Stripe's 5-minute tolerance

    def work():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, codes = [], []
        headers = {"Host": "localhost", "Content-Type": "application/json", "Stripe-Signature": signature}
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            conn.request("POST", "/stripe/webhook/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            codes.append(response.status)
        conn.close()
        with lock:
            latencies.extend(mine)
            statuses.extend(codes)

    threads = [threading.Thread(target=work) for _ in range(SENDERS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, statuses, time.perf_counter() - started


def run(scale: float) -> dict:
    from bench.django_setup import setup

    setup("xuehui_bench_dues")  # its own database: other benchmarks migrate theirs while this runs
    from django.conf import settings
    from django.db import connection
    from django_tenants.utils import schema_context

    from billing.models import StripeEvent
    from common.models import AuditEntry
    from deploy.fakestripe import FakeStripe
    from dues.models import Payment

    fake = FakeStripe(port=0, delivery="manual", webhook_secret=settings.STRIPE_WEBHOOK_SECRET).start()
    port = free_port()
    env = {**os.environ, "STRIPE_API_BASE": fake.url, "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    server = None
    try:
        society, payment, event_id = _prepare(fake)
        connection.close()
        server = _serve(port, env)
        first = _burst(port, fake, event_id, SENDERS)
        latencies, statuses, elapsed = _hammer(port, fake, event_id, max(2.0, 8.0 * scale))
        with schema_context(society.schema_name):
            state = Payment.objects.get(pk=payment.pk).state
            confirmations = AuditEntry.objects.filter(action="dues.confirm_payment", object_id=str(payment.pk)).count()
        event = StripeEvent.objects.get(stripe_id=event_id)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        fake.stop()
    rate = len(statuses) / elapsed
    figures = {
        "server": "gunicorn 2 workers x 4 threads (gthread), real HTTP on 127.0.0.1",
        "senders": SENDERS,
        "first_burst_statuses": sorted(first),
        "duplicate_deliveries": len(statuses),
        "duplicate_deliveries_per_second": round(rate, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 95) * 1000, 2),
        "non_200": sum(1 for s in statuses if s != 200),
        "payment_state": state,
        "confirm_payment_audit_rows": confirmations,
        "event_status": event.status,
        "event_handler_attempts": event.attempts,
    }
    once = state == "confirmed" and confirmations == 1 and event.attempts == 1 and event.status == "processed"
    met = once and rate >= 150 and figures["non_200"] == 0 and all(s == 200 for s in first)
    return {"figures": figures, "goal": GOAL, "met": met}
