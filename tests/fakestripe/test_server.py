"""The fake Stripe server, driven only by the real ``stripe`` library and plain urllib.

No Django: run with ``pytest -p no:django tests/fakestripe``.
"""

import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import stripe

from deploy.fakestripe import FakeStripe, fixtures
from deploy.fakestripe.errors import StripeError
from deploy.fakestripe.formcodec import decode

API_KEY = "sk_test_xuehui_fakestripe"
SECRET = "whsec_test_fakestripe_suite"


# -- a tiny webhook endpoint that verifies every delivery with the stripe library -------------


class Receiver:
    def __init__(self, secret=SECRET):
        self.secret = secret
        self.events: list[stripe.Event] = []
        self.rejected: list[str] = []
        self.fail_next: list[int] = []  # status codes to answer before answering 200 again
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                payload = self.rfile.read(int(self.headers["Content-Length"]))
                status = 200
                try:
                    event = stripe.Webhook.construct_event(payload, self.headers["Stripe-Signature"], receiver.secret)
                except (ValueError, stripe.SignatureVerificationError) as exc:
                    status = 400
                    with receiver.lock:
                        receiver.rejected.append(str(exc))
                else:
                    with receiver.lock:
                        if receiver.fail_next:
                            status = receiver.fail_next.pop(0)
                        else:
                            receiver.events.append(event)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/stripe/webhook"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def types(self, account="*") -> list[str]:
        with self.lock:
            return [e.type for e in self.events if account == "*" or e.to_dict().get("account") == account]

    def of_type(self, event_type: str) -> list[stripe.Event]:
        with self.lock:
            return [e for e in self.events if e.type == event_type]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


@pytest.fixture(autouse=True)
def stripe_globals():
    saved = stripe.api_base, stripe.api_key, stripe.max_network_retries
    stripe.api_key, stripe.max_network_retries = API_KEY, 0
    yield
    stripe.api_base, stripe.api_key, stripe.max_network_retries = saved


def start_fake(receiver=None, **kwargs) -> FakeStripe:
    options = {"delivery": "sync", "retry_delays": (0.01, 0.01, 0.01), "webhook_secret": SECRET}
    fake = FakeStripe(port=0, webhook_url=receiver.url if receiver else None, **{**options, **kwargs}).start()
    stripe.api_base = fake.url
    return fake


@pytest.fixture
def fake(receiver):
    server = start_fake(receiver)
    yield server
    server.stop()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http(method: str, url: str, data: dict | None = None) -> tuple[int, dict, str]:
    body = urlencode(data).encode() if data is not None else (b"" if method == "POST" else None)
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def control(fake: FakeStripe, method: str, path: str, data: dict | None = None):
    status, _, body = http(method, f"{fake.url}/_fake{path}", data)
    assert status == 200, body
    return json.loads(body)


def onboarded_account(fake: FakeStripe, name="中国化学会 Chinese Chemical Society") -> str:
    account = stripe.Account.create(
        type="standard", country="HK", email="finance@ccs.example", business_profile={"name": name}
    )
    control(fake, "POST", f"/accounts/{account.id}/onboard")
    return account.id


def card_payment(amount=1000, currency="cny", **kwargs) -> stripe.PaymentIntent:
    return stripe.PaymentIntent.create(
        amount=amount, currency=currency, payment_method="pm_card_visa", confirm=True, **kwargs
    )


# -- Connect onboarding and hosted Checkout ---------------------------------------------------


def test_account_link_onboarding_enables_charges_and_redirects(fake, receiver):
    account = stripe.Account.create(type="standard", country="HK", email="a@example.com")
    assert account.charges_enabled is False
    assert account.requirements.disabled_reason == "requirements.past_due"
    link = stripe.AccountLink.create(
        account=account.id,
        type="account_onboarding",
        return_url="https://society.example/return",
        refresh_url="https://society.example/refresh",
    )
    status, _, page = http("GET", link.url)
    assert status == 200 and "Complete onboarding" in page
    status, headers, _ = http("POST", link.url, {"outcome": "complete"})
    assert (status, headers["Location"]) == (303, "https://society.example/return")
    account = stripe.Account.retrieve(account.id)
    assert (account.charges_enabled, account.details_submitted, account.requirements.currently_due) == (True, True, [])
    assert receiver.types(account.id) == ["account.updated"]
    assert receiver.of_type("account.updated")[0].data.previous_attributes.charges_enabled is False


def test_checkout_on_connected_account_pays_and_delivers_signed_events(fake, receiver):
    account_id = onboarded_account(fake)
    receiver.events.clear()
    session = stripe.checkout.Session.create(
        mode="payment",
        line_items=[
            {
                "price_data": {"currency": "cny", "unit_amount": 50000, "product_data": {"name": "2025 年会费"}},
                "quantity": 1,
            }
        ],
        payment_method_types=["card", "alipay"],
        success_url="https://ccs.example/paid?session={CHECKOUT_SESSION_ID}",
        cancel_url="https://ccs.example/cancel",
        client_reference_id="member-17",
        metadata={"invoice_id": "42"},
        payment_intent_data={"application_fee_amount": 1500, "metadata": {"invoice_id": "42"}},
        stripe_account=account_id,
    )
    assert (session.status, session.payment_status, session.amount_total, session.payment_intent) == (
        "open",
        "unpaid",
        50000,
        None,
    )
    assert session.url == f"{fake.url}/checkout/{session.id}"

    status, _, page = http("GET", session.url)
    assert status == 200
    assert "¥500.00" in page and "2025 年会费" in page and "支付宝支付" in page and "微信支付" not in page
    status, headers, _ = http("POST", session.url, {"method": "alipay"})
    assert (status, headers["Location"]) == (303, f"https://ccs.example/paid?session={session.id}")

    assert receiver.types(account_id) == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    completed = receiver.of_type("checkout.session.completed")[0]
    assert (completed.account, completed.data.object.id, completed.data.object.client_reference_id) == (
        account_id,
        session.id,
        "member-17",
    )
    assert completed.api_version and completed.livemode is False and completed.pending_webhooks == 1

    paid = stripe.checkout.Session.retrieve(
        session.id, expand=["payment_intent.latest_charge", "line_items"], stripe_account=account_id
    )
    intent = paid.payment_intent
    assert (paid.status, paid.payment_status, paid.line_items.data[0].description) == (
        "complete",
        "paid",
        "2025 年会费",
    )
    assert (intent.status, intent.amount_received, intent.application_fee_amount) == ("succeeded", 50000, 1500)
    assert intent.payment_method_types == ["card", "alipay"] and intent.metadata.to_dict() == {"invoice_id": "42"}
    assert intent.latest_charge.payment_method_details.type == "alipay"
    assert stripe.ApplicationFee.retrieve(intent.latest_charge.application_fee).amount == 1500
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe.checkout.Session.retrieve(session.id)  # lives on the connected account only
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")

    refund = stripe.Refund.create(payment_intent=intent.id, stripe_account=account_id)
    assert (refund.status, refund.amount) == ("pending", 50000)  # wallets settle later ...
    assert receiver.of_type("refund.updated")[-1].data.object.status == "succeeded"  # ... and say so by webhook


def test_decline_keeps_session_open_then_pay_reuses_the_intent(fake, receiver):
    session = stripe.checkout.Session.create(
        mode="payment",
        success_url="https://x.example/ok",
        payment_method_types=["card"],
        line_items=[
            {"price_data": {"currency": "cny", "unit_amount": 20000, "product_data": {"name": "Dues"}}, "quantity": 2}
        ],
    )
    status, _, page = http("POST", session.url, {"decline": "card"})
    assert status == 402 and "Your card was declined" not in page and "付款被拒绝" in page
    declined = stripe.checkout.Session.retrieve(session.id, expand=["payment_intent"])
    assert declined.status == "open"
    assert (declined.payment_intent.status, declined.payment_intent.last_payment_error.code) == (
        "requires_payment_method",
        "card_declined",
    )
    assert receiver.types() == ["payment_intent.created", "charge.failed", "payment_intent.payment_failed"]

    control(fake, "POST", f"/checkout/{session.id}/pay", {"method": "card"})
    paid = stripe.checkout.Session.retrieve(session.id, expand=["payment_intent"])
    assert (paid.status, paid.payment_intent.id, paid.payment_intent.status) == (
        "complete",
        declined.payment_intent.id,
        "succeeded",
    )
    with pytest.raises(StripeError, match="no longer open"):
        fake.pay_checkout_session(session.id)  # a completed session cannot be paid twice


def test_checkout_validation_matches_stripe(fake):
    base = {
        "mode": "payment",
        "success_url": "https://x.example/ok",
        "line_items": [
            {"price_data": {"currency": "cny", "unit_amount": 100, "product_data": {"name": "A"}}, "quantity": 1}
        ],
    }
    with pytest.raises(stripe.InvalidRequestError) as wechat:
        stripe.checkout.Session.create(**base, payment_method_types=["wechat_pay"])
    assert wechat.value.param == "payment_method_options[wechat_pay][client]"
    with pytest.raises(stripe.InvalidRequestError) as fee:
        stripe.checkout.Session.create(**base, payment_intent_data={"application_fee_amount": 5})
    assert fee.value.param == "payment_intent_data[application_fee_amount]"
    with pytest.raises(stripe.InvalidRequestError) as alipay_sub:
        stripe.checkout.Session.create(
            mode="subscription",
            success_url="https://x.example/ok",
            payment_method_types=["alipay"],
            line_items=[
                {
                    "price_data": {
                        "currency": "cny",
                        "unit_amount": 100,
                        "product_data": {"name": "A"},
                        "recurring": {"interval": "year"},
                    },
                    "quantity": 1,
                }
            ],
        )
    assert alipay_sub.value.param == "payment_method_types"
    account = stripe.Account.create(type="standard")
    with pytest.raises(stripe.InvalidRequestError, match="cannot currently make charges"):
        stripe.checkout.Session.create(**base, stripe_account=account.id)


def test_zero_decimal_currency_is_shown_in_whole_units(fake):
    session = stripe.checkout.Session.create(
        mode="payment",
        success_url="https://x.example/ok",
        line_items=[
            {"price_data": {"currency": "jpy", "unit_amount": 5000, "product_data": {"name": "会議"}}, "quantity": 1}
        ],
    )
    _, _, page = http("GET", session.url)
    assert session.amount_total == 5000 and "¥5,000<" in page.replace(" <", "<")


def test_subscription_checkout_creates_active_subscription_and_paid_invoice(fake, receiver):
    session = stripe.checkout.Session.create(
        mode="subscription",
        success_url="https://x.example/ok",
        customer_email="li@example.com",
        subscription_data={"metadata": {"member": "17"}},
        line_items=[
            {
                "price_data": {
                    "currency": "cny",
                    "unit_amount": 30000,
                    "product_data": {"name": "Membership"},
                    "recurring": {"interval": "year"},
                },
                "quantity": 1,
            }
        ],
    )
    paid = control(fake, "POST", f"/checkout/{session.id}/pay")
    sub = stripe.Subscription.retrieve(paid["subscription"], expand=["latest_invoice"])
    assert (sub.status, sub.metadata.to_dict(), sub.latest_invoice.status, sub.latest_invoice.amount_paid) == (
        "active",
        {"member": "17"},
        "paid",
        30000,
    )
    assert stripe.Customer.retrieve(sub.customer).email == "li@example.com"
    types = receiver.types()
    assert types[-1] == "checkout.session.completed"
    assert {"customer.subscription.created", "invoice.paid", "payment_intent.succeeded"} <= set(types)
    assert types.index("customer.subscription.created") < types.index("invoice.paid")


# -- API semantics ----------------------------------------------------------------------------


def test_idempotency_key_replays_the_first_response(fake):
    client = stripe.StripeClient(API_KEY, base_addresses={"api": fake.url}, max_network_retries=0)
    first = client.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": "member-17-create"})
    again = client.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": "member-17-create"})
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert again.last_response.request_id == first.last_response.request_id
    assert [c.id for c in client.v1.customers.list().data] == [first.id]


def test_idempotency_key_with_other_params_is_rejected(fake):
    stripe.Customer.create(email="a@example.com", idempotency_key="k-1")
    with pytest.raises(stripe.IdempotencyError) as error:
        stripe.Customer.create(email="b@example.com", idempotency_key="k-1")
    assert error.value.http_status == 400
    assert "same parameters" in error.value.user_message


def test_errors_have_stripe_shape_and_status(fake):
    with pytest.raises(stripe.AuthenticationError) as auth:
        stripe.Customer.list(api_key="pk_test_wrongkind")
    assert auth.value.http_status == 401
    status, _, body = http("GET", f"{fake.url}/v1/customers")
    assert status == 401 and "did not provide an API key" in json.loads(body)["error"]["message"]
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe.Customer.retrieve("cus_nope")
    assert (missing.value.http_status, missing.value.code, missing.value.param) == (404, "resource_missing", "id")
    assert missing.value.user_message == "No such customer: 'cus_nope'"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe.Customer.create(emial="typo@example.com")
    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "emial")
    with pytest.raises(stripe.InvalidRequestError) as required:
        stripe.PaymentIntent.create(currency="cny")
    assert (required.value.code, required.value.param) == ("parameter_missing", "amount")
    with pytest.raises(stripe.PermissionError):
        stripe.Customer.list(stripe_account="acct_doesnotexist")
    with pytest.raises(stripe.CardError) as declined:
        stripe.PaymentIntent.create(amount=500, currency="cny", payment_method="pm_card_chargeDeclined", confirm=True)
    assert (declined.value.http_status, declined.value.code, declined.value.error.decline_code) == (
        402,
        "card_declined",
        "generic_decline",
    )
    assert declined.value.error.payment_intent.status == "requires_payment_method"


def test_lists_paginate_and_filter(fake):
    ids = [stripe.Customer.create(email=f"m{i}@example.com").id for i in range(5)]
    page = stripe.Customer.list(limit=2)
    assert ([c.id for c in page.data], page.has_more, page.url) == (ids[::-1][:2], True, "/v1/customers")
    assert [c.id for c in page.auto_paging_iter()] == ids[::-1]
    assert [c.id for c in stripe.Customer.list(email="m3@example.com").data] == [ids[3]]
    events = stripe.Event.list(type="customer.created", created={"gte": int(time.time()) - 60}, limit=100)
    assert sorted(e.data.object.id for e in events.data) == sorted(ids)
    assert stripe.Event.list(created={"gt": int(time.time()) + 60}).data == []


def test_form_decoder_handles_stripe_nesting():
    assert decode("a[b][0][c]=x&a[b][1][c]=y&expand[]=p&expand[]=q&metadata[k]=&n=1") == {
        "a": {"b": [{"c": "x"}, {"c": "y"}]},
        "expand": ["p", "q"],
        "metadata": {"k": ""},
        "n": "1",
    }


def test_objects_have_exactly_stripe_fixture_fields(fake):
    customer = stripe.Customer.create(email="a@example.com")
    intent = card_payment(customer=customer.id)
    expected = fixtures.load()
    assert set(customer.to_dict()) == set(expected["customer"])
    assert set(intent.to_dict()) == set(expected["payment_intent"])
    assert set(stripe.Charge.retrieve(intent.latest_charge).to_dict()) == set(expected["charge"])


def test_vendored_fixtures_are_an_unchanged_subset_of_stripes():
    shared = fixtures.shared_fixtures_path()
    if shared is None:
        pytest.skip("the shared Stripe fixtures are not beside this checkout")
    vendored = json.loads(fixtures.VENDORED.read_text(encoding="utf-8"))["resources"]
    full = json.loads(shared.read_text(encoding="utf-8"))["resources"]
    assert set(vendored) == set(fixtures.KINDS)
    assert all(vendored[kind] == full[kind] for kind in fixtures.KINDS)


# -- refunds ----------------------------------------------------------------------------------


def test_refunds_partial_then_full_then_rejected(fake, receiver):
    intent = card_payment(amount=1000, metadata={"registration": "r-9"})
    partial = stripe.Refund.create(
        payment_intent=intent.id, amount=300, reason="requested_by_customer", metadata={"by": "secretariat"}
    )
    assert (partial.status, partial.amount, partial.charge, partial.reason) == (
        "succeeded",
        300,
        intent.latest_charge,
        "requested_by_customer",
    )
    charge = stripe.Charge.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (300, False)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        stripe.Refund.create(charge=charge.id, amount=701)
    assert too_much.value.code == "amount_too_large"
    rest = stripe.Refund.create(charge=charge.id)
    assert rest.amount == 700
    charge = stripe.Charge.retrieve(charge.id)
    assert (charge.amount_refunded, charge.refunded, len(charge.refunds.data)) == (1000, True, 2)
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe.Refund.create(payment_intent=intent.id)
    assert again.value.code == "charge_already_refunded"
    assert [r.id for r in stripe.Refund.list(payment_intent=intent.id).data] == [rest.id, partial.id]
    assert [e.data.object.amount_refunded for e in receiver.of_type("charge.refunded")] == [300, 1000]
    assert len(receiver.of_type("refund.created")) == 2

    failed = fake.fail_refund(rest.id)
    assert failed["status"] == "failed" and stripe.Charge.retrieve(charge.id).amount_refunded == 300
    assert receiver.types()[-2:] == ["refund.updated", "refund.failed"]


# -- subscriptions ----------------------------------------------------------------------------


def test_subscription_upgrade_prorates_renews_fails_and_recovers(fake, receiver):
    product = stripe.Product.create(name="Membership")
    basic = stripe.Price.create(product=product.id, currency="cny", unit_amount=10000, recurring={"interval": "month"})
    senior = stripe.Price.create(product=product.id, currency="cny", unit_amount=30000, recurring={"interval": "month"})
    customer = stripe.Customer.create(email="wang@example.com")
    pm = stripe.PaymentMethod.attach("pm_card_visa", customer=customer.id)
    stripe.Customer.modify(customer.id, invoice_settings={"default_payment_method": pm.id})

    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": basic.id}], expand=["latest_invoice"])
    assert (sub.status, sub.latest_invoice.status, sub.latest_invoice.amount_paid) == ("active", "paid", 10000)
    item = sub["items"].data[0]
    start, end = item.current_period_start, item.current_period_end
    assert end > start

    halfway = start + (end - start) // 2
    sub = stripe.Subscription.modify(
        sub.id,
        items=[{"id": item.id, "price": senior.id}],
        proration_behavior="create_prorations",
        proration_date=halfway,
    )
    assert sub["items"].data[0].price.id == senior.id
    updated = receiver.of_type("customer.subscription.updated")[-1]
    assert updated.data.previous_attributes["items"]["data"][0]["price"]["id"] == basic.id

    sub = stripe.Subscription.retrieve(control(fake, "POST", f"/subscriptions/{sub.id}/advance")["id"])
    renewal = stripe.Invoice.retrieve(sub.latest_invoice)
    lines = {(line.parent.subscription_item_details.proration, line.amount) for line in renewal.lines.data}
    assert lines == {(False, 30000), (True, -5000), (True, 15000)}
    assert (renewal.billing_reason, renewal.amount_due, renewal.status) == ("subscription_cycle", 40000, "paid")
    assert sub["items"].data[0].current_period_start == end

    control(fake, "POST", f"/subscriptions/{sub.id}/advance", {"fail": "1"})
    sub = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"])
    assert (sub.status, sub.latest_invoice.status, sub.latest_invoice.attempt_count) == ("past_due", "open", 1)
    assert receiver.types()[-2:] == ["invoice.payment_failed", "customer.subscription.updated"]
    invoice = stripe.Invoice.pay(sub.latest_invoice.id, payment_method=pm.id)
    assert (invoice.status, invoice.amount_paid) == ("paid", 30000)
    assert stripe.Subscription.retrieve(sub.id).status == "active"
    payments = stripe.Invoice.retrieve(invoice.id, expand=["payments"]).payments.data
    assert [p.status for p in payments] == ["paid"]

    stripe.Subscription.modify(sub.id, cancel_at_period_end=True)
    ended = fake.advance_subscription(sub.id)
    assert ended["status"] == "canceled"
    assert receiver.types()[-1] == "customer.subscription.deleted"
    assert [i.billing_reason for i in stripe.Invoice.list(subscription=sub.id).data] == [
        "subscription_cycle",
        "subscription_cycle",
        "subscription_create",
    ]


def test_saved_card_renewal_off_session(fake):
    customer = stripe.Customer.create(email="zhao@example.com")
    pm = stripe.PaymentMethod.attach("pm_card_visa", customer=customer.id)
    intent = stripe.PaymentIntent.create(
        amount=30000, currency="cny", customer=customer.id, payment_method=pm.id, off_session=True, confirm=True
    )
    assert (intent.status, intent.payment_method, intent.customer) == ("succeeded", pm.id, customer.id)
    assert [m.id for m in stripe.Customer.list_payment_methods(customer.id).data] == [pm.id]


def test_saved_cards_that_fail_off_session_answer_like_stripe(fake, receiver):
    account = onboarded_account(fake)
    customer = stripe.Customer.create(email="zhao@example.com", stripe_account=account)

    def off_session(pm_id):
        return stripe.PaymentIntent.create(
            amount=30000,
            currency="cny",
            customer=customer.id,
            payment_method=pm_id,
            off_session=True,
            confirm=True,
            stripe_account=account,
        )

    # 4000 0000 0000 0341 attaches, then every charge is declined.
    failing = stripe.PaymentMethod.attach("pm_card_chargeCustomerFail", customer=customer.id, stripe_account=account)
    with pytest.raises(stripe.CardError) as declined:
        off_session(failing.id)
    error = declined.value.error
    assert (declined.value.http_status, error.code, error.decline_code, error.payment_intent.status) == (
        402,
        "card_declined",
        "generic_decline",
        "requires_payment_method",
    )
    assert error.payment_intent.last_payment_error.code == "card_declined"
    # 4000 0027 6000 3184 needs 3-D Secure on every payment: off-session that is a decline...
    strict = stripe.PaymentMethod.attach("pm_card_authenticationRequired", customer=customer.id, stripe_account=account)
    with pytest.raises(stripe.CardError) as auth:
        off_session(strict.id)
    assert (auth.value.code, auth.value.error.decline_code, auth.value.error.payment_intent.status) == (
        "authentication_required",
        "authentication_required",
        "requires_payment_method",
    )
    # ...while with the customer present the intent waits for the authentication.
    present = stripe.PaymentIntent.create(
        amount=30000,
        currency="cny",
        customer=customer.id,
        payment_method=strict.id,
        confirm=True,
        stripe_account=account,
    )
    assert (present.status, present.next_action.type) == ("requires_action", "use_stripe_sdk")
    # A card that stops working later (the test control), and an expired one.
    visa = stripe.PaymentMethod.attach("pm_card_visa", customer=customer.id, stripe_account=account)
    assert off_session(visa.id).status == "succeeded"
    control(fake, "POST", f"/payment_methods/{visa.id}/decline_charges", {"code": "expired_card"})
    with pytest.raises(stripe.CardError) as expired:
        off_session(visa.id)
    assert (expired.value.code, expired.value.param, expired.value.error.decline_code) == (
        "expired_card",
        "exp_month",
        "expired_card",
    )
    # A detached card can never be charged again.
    stripe.PaymentMethod.detach(failing.id, stripe_account=account)
    with pytest.raises(stripe.InvalidRequestError) as detached:
        off_session(failing.id)
    assert detached.value.param == "payment_method" and "detached" in detached.value.user_message


def test_checkout_saving_a_test_card_that_needs_authentication_later(fake, receiver):
    account = onboarded_account(fake)
    customer = stripe.Customer.create(email="zhao@example.com", stripe_account=account)
    session = stripe.checkout.Session.create(
        mode="payment",
        customer=customer.id,
        line_items=[
            {"price_data": {"currency": "cny", "unit_amount": 20000, "product_data": {"name": "会费"}}, "quantity": 1}
        ],
        payment_method_types=["card"],
        payment_intent_data={"setup_future_usage": "off_session"},
        success_url="https://example.com/ok",
        stripe_account=account,
    )
    control(fake, "POST", f"/checkout/{session.id}/pay", {"method": "card", "card": "pm_card_authenticationRequired"})
    intent = stripe.PaymentIntent.retrieve(
        stripe.checkout.Session.retrieve(session.id, stripe_account=account).payment_intent, stripe_account=account
    )
    pm = stripe.PaymentMethod.retrieve(intent.payment_method, stripe_account=account)
    assert (intent.status, pm.customer, pm.card.last4, pm.card.exp_month, pm.card.exp_year) == (
        "succeeded",
        customer.id,
        "3184",
        8,
        2030,
    )
    status, _, _ = http("POST", f"{fake.url}/_fake/checkout/{session.id}/pay", {"card": "pm_card_nope"})
    assert status == 400


# -- webhook delivery controls ----------------------------------------------------------------


def test_failed_deliveries_are_retried_until_accepted(fake, receiver):
    receiver.fail_next = [500, 503]
    stripe.Customer.create(email="a@example.com")
    event_id = fake.events("customer.created")[0]["id"]
    log = control(fake, "GET", "/deliveries")["data"]
    assert [(d["event"], d["attempt"], d["status"]) for d in log] == [
        (event_id, 1, 500),
        (event_id, 2, 503),
        (event_id, 3, 200),
    ]
    assert stripe.Event.retrieve(event_id).pending_webhooks == 0


def test_async_delivery_happens_in_the_background(receiver):
    fake = start_fake(receiver, delivery="async")
    try:
        receiver.fail_next = [500]
        stripe.Customer.create(email="a@example.com")
        assert fake.wait_for_deliveries(5)
        assert receiver.types() == ["customer.created"]
        assert [d["status"] for d in fake.deliveries()] == [500, 200]
    finally:
        fake.stop()


def test_redelivery_duplicates_and_out_of_order_sequences(fake, receiver):
    control(fake, "POST", "/config", {"delivery": "manual"})
    intent = card_payment()
    assert receiver.events == []
    events = {e["type"]: e["id"] for e in control(fake, "GET", "/events")["data"]}
    succeeded = events["payment_intent.succeeded"]

    duplicates = control(fake, "POST", f"/events/{succeeded}/deliver?times=5&concurrent=1")["data"]
    assert [d["status"] for d in duplicates] == [200] * 5
    assert [e.id for e in receiver.events] == [succeeded] * 5
    assert receiver.events[0].data.object.id == intent.id

    order = [events["payment_intent.succeeded"], events["charge.succeeded"], events["payment_intent.created"]]
    control(fake, "POST", "/events/deliver", {"ids": ",".join(order)})
    assert [e.id for e in receiver.events[5:]] == order
    assert len(control(fake, "GET", f"/deliveries?event={succeeded}")["data"]) == 6


def test_signed_payload_verifies_for_posting_by_hand(fake):
    stripe.Customer.create(email="a@example.com")
    event_id = fake.events()[0]["id"]
    payload, signature = fake.signed_payload(event_id)
    assert stripe.Webhook.construct_event(payload, signature, SECRET).id == event_id
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, signature, "whsec_other")


def test_succeed_silently_sends_no_webhook_but_stripe_knows(fake, receiver):
    intent = stripe.PaymentIntent.create(amount=8800, currency="cny")
    receiver.events.clear()
    control(fake, "POST", f"/payment_intents/{intent.id}/succeed_silently")
    assert receiver.events == []
    assert stripe.PaymentIntent.retrieve(intent.id).status == "succeeded"
    assert [e.type for e in stripe.Event.list(type="payment_intent.succeeded").data] == ["payment_intent.succeeded"]

    session = stripe.checkout.Session.create(
        mode="payment",
        success_url="https://x.example/ok",
        line_items=[
            {"price_data": {"currency": "cny", "unit_amount": 100, "product_data": {"name": "A"}}, "quantity": 1}
        ],
    )
    control(fake, "POST", f"/checkout/{session.id}/pay", {"silent": "true"})
    assert receiver.events == [] and stripe.checkout.Session.retrieve(session.id).status == "complete"


def test_reset_forgets_everything(fake):
    customer = stripe.Customer.create(email="a@example.com")
    control(fake, "POST", "/reset")
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Customer.retrieve(customer.id)
    assert fake.events() == []


# -- persistence ------------------------------------------------------------------------------


def test_state_survives_a_restart(tmp_path):
    fake = start_fake(data_dir=tmp_path)
    try:
        customer = stripe.Customer.create(email="keep@example.com", idempotency_key="persist-1")
        session = stripe.checkout.Session.create(
            mode="payment",
            success_url="https://x.example/ok",
            line_items=[
                {"price_data": {"currency": "cny", "unit_amount": 100, "product_data": {"name": "A"}}, "quantity": 1}
            ],
        )
    finally:
        fake.stop()
    fake = start_fake(data_dir=tmp_path)
    try:
        assert stripe.Customer.retrieve(customer.id).email == "keep@example.com"
        assert stripe.Customer.create(email="keep@example.com", idempotency_key="persist-1").id == customer.id
        fake.pay_checkout_session(session.id)
        assert stripe.checkout.Session.retrieve(session.id).status == "complete"
        assert parse_qs(urlsplit(session.url).query) == {}
    finally:
        fake.stop()
