"""``/_fake/...``: the test controls over HTTP (no API key), mapped onto ``FakeStripe`` methods."""

import re

from .errors import StripeError, invalid
from .params import Params

_ROUTES = []


def _control(method: str, path: str):
    pattern = re.compile("^/_fake" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")

    def register(fn):
        _ROUTES.append((method, pattern, fn))
        return fn

    return register


def handle(fake, method: str, path: str, data: dict) -> tuple[int, object]:
    """Run a control request; returns (HTTP status, JSON-able body)."""
    for verb, pattern, fn in _ROUTES:
        found = pattern.match(path)
        if found and verb == method:
            try:
                return 200, fn(fake, Params(data), **found.groupdict())
            except StripeError as exc:
                return exc.status, exc.body()
            except KeyError as exc:
                return 404, {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "resource_missing",
                        "message": f"No such object: {exc.args[0]}",
                    }
                }
            except ValueError as exc:
                return 400, {"error": {"type": "invalid_request_error", "message": str(exc)}}
    return 404, {"error": {"type": "invalid_request_error", "message": f"Unknown control endpoint {method} {path}"}}


@_control("GET", "/health")
def health(fake, p):
    return {"ok": True, "url": fake.url, "public_url": fake.public_url}


@_control("POST", "/reset")
def reset(fake, p):
    fake.reset()
    return {"ok": True}


@_control("GET", "/config")
def get_config(fake, p):
    return fake.configure()


@_control("POST", "/config")
def set_config(fake, p):
    return fake.configure(
        delivery=p.str("delivery"), webhook_url=p.str("webhook_url"), webhook_secret=p.str("webhook_secret")
    )


def _flag(p, name: str) -> bool:
    return p.str(name) in ("1", "true", "yes")


def _method(p) -> str:
    return p.str("method", default="card", choices=("card", "alipay", "wechat_pay"))


@_control("POST", "/checkout/{session_id}/pay")
def pay(fake, p, session_id):
    return fake.pay_checkout_session(session_id, _method(p), silent=_flag(p, "silent"), card=p.str("card"))


@_control("POST", "/checkout/{session_id}/decline")
def decline(fake, p, session_id):
    return fake.decline_checkout_session(session_id, _method(p))


@_control("POST", "/payment_methods/{pm_id}/decline_charges")
def decline_charges(fake, p, pm_id):
    return fake.decline_future_charges(pm_id, p.str("code", default="generic_decline"))


@_control("POST", "/accounts/{account_id}/onboard")
def onboard(fake, p, account_id):
    return fake.complete_onboarding(account_id)


@_control("POST", "/subscriptions/{sub_id}/advance")
def advance(fake, p, sub_id):
    return fake.advance_subscription(sub_id, fail=_flag(p, "fail"))


@_control("POST", "/payment_intents/{pi_id}/succeed_silently")
def succeed_silently(fake, p, pi_id):
    return fake.succeed_payment_intent_silently(pi_id)


@_control("POST", "/refunds/{refund_id}/fail")
def fail_refund(fake, p, refund_id):
    return fake.fail_refund(refund_id)


@_control("GET", "/events")
def events(fake, p):
    account = p.str("account", default="*")
    return {"data": fake.events(p.str("type"), None if account == "platform" else account)}


@_control("GET", "/events/{event_id}/signed")
def signed(fake, p, event_id):
    payload, signature = fake.signed_payload(event_id)
    return {"payload": payload.decode(), "signature": signature}


@_control("POST", "/events/{event_id}/deliver")
def deliver(fake, p, event_id):
    times = p.int("times", default=1, minimum=1)
    return {"data": fake.deliver_event(event_id, times=times, concurrent=_flag(p, "concurrent"))}


@_control("POST", "/events/deliver")
def deliver_in_order(fake, p):
    raw = p.data.get("ids")
    ids = raw.split(",") if isinstance(raw, str) else p.list("ids")
    if not ids:
        raise invalid("Pass ids: event ids in delivery order (ids=evt_1,evt_2 or ids[]=...).", param="ids")
    return {"data": fake.deliver_events([i.strip() for i in ids])}


@_control("GET", "/deliveries")
def deliveries(fake, p):
    return {"data": fake.deliveries(p.str("event"))}


@_control("DELETE", "/deliveries")
def clear_deliveries(fake, p):
    fake.clear_deliveries()
    return {"ok": True}


@_control("GET", "/objects/{object_id}")
def get_object(fake, p, object_id):
    return fake.get_object(object_id)
