"""``FakeStripe``: the server, its state and webhook dispatcher, and the test controls as methods."""

import copy
import threading
from contextlib import contextmanager
from pathlib import Path

from . import checkout, connect, payments, subscriptions
from .context import Ctx
from .errors import invalid, no_such
from .state import Store
from .webhooks import Dispatcher

DEFAULT_WEBHOOK_SECRET = "whsec_fakestripe"
STATE_FILE = "fakestripe.json"


class FakeStripe:
    """A local Stripe API for the real ``stripe`` library.

    >>> with FakeStripe(port=0, webhook_url="http://127.0.0.1:8000/stripe/webhook", delivery="sync") as fake:
    ...     stripe.api_base = fake.url
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 12111,
        *,
        webhook_url: str | None = None,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        public_url: str | None = None,
        data_dir: str | Path | None = None,
        delivery: str = "async",
        max_attempts: int = 4,
        retry_delays=(0.5, 1.0, 2.0),
        webhook_timeout: float = 10.0,
        verbose: bool = False,
    ):
        self.host = host
        self.port = port
        self._public_url = public_url.rstrip("/") if public_url else None
        self.verbose = verbose
        self.store = Store(Path(data_dir) / STATE_FILE if data_dir else None)
        self.dispatcher = Dispatcher(
            self.store,
            url=webhook_url,
            secret=webhook_secret,
            mode=delivery,
            max_attempts=max_attempts,
            retry_delays=retry_delays,
            timeout=webhook_timeout,
        )
        self._server = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The API base for ``stripe.api_base`` / ``base_addresses={"api": ...}``."""
        if self._server is None:
            raise RuntimeError("FakeStripe is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def public_url(self) -> str:
        """Where browsers reach the hosted pages (differs from ``url`` behind a proxy)."""
        return self._public_url or self.url

    def bind(self) -> "FakeStripe":
        from .server import make_server  # the HTTP layer imports this module

        self._server = make_server(self, self.host, self.port)
        self.dispatcher.start()
        return self

    def start(self) -> "FakeStripe":
        """Serve in a background thread (tests, and ``make run`` in-process)."""
        self.bind()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakestripe", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the CLI)."""
        if self._server is None:
            self.bind()
        try:
            self._server.serve_forever()
        finally:
            self.stop()

    def stop(self) -> None:
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()
                self._thread.join(timeout=5)
            self._server.server_close()
            self._server = None
            self._thread = None
        self.dispatcher.stop()
        self.store.save()

    def __enter__(self) -> "FakeStripe":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- operations --------------------------------------------------------------------------

    @contextmanager
    def operation(self, account: str | None = None, request: dict | None = None, deliver: bool = True):
        """One atomic change: the store lock is held inside, events go out after it is released."""
        ctx = Ctx(self.store, account, self.public_url, bool(self.dispatcher.url))
        if request:
            ctx.request = request
        try:
            with self.store.lock:
                try:
                    yield ctx
                finally:
                    if ctx.dirty or ctx.emitted:
                        self.store.save()
        finally:
            if deliver:
                self.dispatcher.submit(ctx.emitted)

    def _owned(self, object_id: str, kind: str) -> tuple[dict, str | None]:
        rec = self.store.record(object_id)
        if rec is None or rec["obj"].get("object") != kind:
            raise no_such(kind, object_id)
        return rec["obj"], rec["account"]

    def _control(self, object_id: str, kind: str, action, *, deliver: bool = True) -> dict:
        with self.store.lock:
            obj, account = self._owned(object_id, kind)
        with self.operation(account, deliver=deliver) as ctx:
            action(ctx, obj)
            return copy.deepcopy(obj)

    # -- test controls (each also under /_fake/, see control.py) ----------------------------

    def reset(self) -> None:
        """Forget every object, event, idempotency key and delivery."""
        self.dispatcher.clear()
        self.store.reset()

    def configure(self, *, delivery=None, webhook_url=None, webhook_secret=None) -> dict:
        if delivery is not None:
            if delivery not in ("async", "sync", "manual"):
                raise invalid("delivery must be async, sync or manual", param="delivery")
            self.dispatcher.mode = delivery
        if webhook_url is not None:
            self.dispatcher.url = webhook_url or None
        if webhook_secret is not None:
            self.dispatcher.secret = webhook_secret
        return {
            "delivery": self.dispatcher.mode,
            "webhook_url": self.dispatcher.url,
            "webhook_secret": self.dispatcher.secret,
            "public_url": self.public_url,
        }

    def pay_checkout_session(
        self, session_id: str, method: str = "card", *, silent: bool = False, card: str | None = None
    ) -> dict:
        """What clicking "pay" on the hosted page does; ``silent`` records the events but sends none;
        ``card`` pays with one of Stripe's test cards (e.g. ``pm_card_authenticationRequired``)."""
        return self._control(
            session_id,
            "checkout.session",
            lambda ctx, s: checkout.pay_session(ctx, s, method, card=card),
            deliver=not silent,
        )

    def decline_checkout_session(self, session_id: str, method: str = "card") -> dict:
        return self._control(
            session_id, "checkout.session", lambda ctx, s: checkout.pay_session(ctx, s, method, fail=True)
        )

    def decline_future_charges(self, payment_method_id: str, code: str = "generic_decline") -> dict:
        """From now on every charge on this (saved) card fails with ``code``."""
        return self._control(
            payment_method_id, "payment_method", lambda ctx, pm: connect.decline_future_charges(ctx, pm, code)
        )

    def complete_onboarding(self, account_id: str) -> dict:
        with self.operation() as ctx:
            return copy.deepcopy(connect.complete_onboarding(ctx, account_id))

    def advance_subscription(self, subscription_id: str, *, fail: bool = False) -> dict:
        """Start the next billing period now and bill it; ``fail`` declines that invoice's payment."""
        return self._control(
            subscription_id, "subscription", lambda ctx, sub: subscriptions.advance_subscription(ctx, sub, fail=fail)
        )

    def succeed_payment_intent_silently(self, intent_id: str) -> dict:
        """Pay an intent at "Stripe" while every webhook about it is lost (reconciliation tests)."""

        def succeed(ctx, intent):
            owner = ctx.select("checkout.session", lambda s: s["payment_intent"] == intent_id)
            if owner and owner[0]["status"] == "open":
                checkout.pay_session(
                    ctx,
                    owner[0],
                    "card" if "card" in intent["payment_method_types"] else intent["payment_method_types"][0],
                )
            else:
                payments.succeed_silently(ctx, intent)

        return self._control(intent_id, "payment_intent", succeed, deliver=False)

    def fail_refund(self, refund_id: str) -> dict:
        return self._control(refund_id, "refund", payments.fail_refund)

    def events(self, type: str | None = None, account: str | None = "*") -> list[dict]:
        """Every event, oldest first, optionally of one type and/or on one account (None: the platform)."""
        with self.store.lock:
            return [
                copy.deepcopy(e)
                for e in self.store.all_of("event")
                if type in (None, e["type"]) and (account == "*" or e.get("account") == account)
            ]

    def get_object(self, object_id: str) -> dict:
        with self.store.lock:
            rec = self.store.record(object_id)
            if rec is None:
                raise KeyError(object_id)
            return copy.deepcopy(rec["obj"])

    def deliver_event(self, event_id: str, times: int = 1, concurrent: bool = False) -> list[dict]:
        return self.dispatcher.redeliver(event_id, times, concurrent)

    def deliver_events(self, event_ids: list[str]) -> list[dict]:
        return self.dispatcher.deliver_in_order(event_ids)

    def deliveries(self, event_id: str | None = None) -> list[dict]:
        return self.dispatcher.log(event_id)

    def clear_deliveries(self) -> None:
        self.dispatcher.clear()

    def signed_payload(self, event_id: str) -> tuple[bytes, str]:
        """Body and ``Stripe-Signature`` for posting an event yourself (e.g. through Django's test client)."""
        return self.dispatcher.signed_payload(event_id)

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        return self.dispatcher.wait_idle(timeout)
