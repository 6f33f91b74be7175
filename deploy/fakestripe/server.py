"""HTTP: the v1 API (auth, form decoding, Stripe-Account, idempotency, expand), the control
endpoints and the hosted pages, on a stdlib ``ThreadingHTTPServer``."""

import base64
import binascii
import json
import logging
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

# Importing the resource modules registers their routes.
from . import billing, catalog, checkout, connect, control, events, payments, routing, subscriptions  # noqa: F401
from .checkout_page import render_checkout, render_message, render_onboarding
from .errors import StripeError, invalid, unauthorized
from .formcodec import decode
from .objects import API_VERSION, new_id, now
from .params import Params

log = logging.getLogger("fakestripe")

_NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer "
    "auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for "
    "details, or we can help at https://support.stripe.com/."
)
_IDEMPOTENCY_MISMATCH = (
    "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using "
    "a key other than '{key}' if you meant to execute a different request."
)


def make_server(fake, host: str, port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.fake = fake
    return server


def api_key_from(header: str | None) -> str:
    """The secret key from ``Bearer sk_...`` or HTTP Basic (``sk_...:``), both of which Stripe accepts."""
    if not header:
        raise unauthorized(_NO_KEY)
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            value = base64.b64decode(value).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            raise unauthorized(_NO_KEY) from None
    elif scheme.lower() != "bearer":
        raise unauthorized(_NO_KEY)
    value = value.strip()
    if not value.startswith(("sk_test_", "rk_test_")) or len(value) < 12:
        masked = value[:8] + "*" * max(len(value) - 12, 0) + value[-4:] if value else ""
        raise unauthorized(f"Invalid API Key provided: {masked}")
    return value


def _label(path: str) -> str:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last[:-1].replace("_", " ") if last.endswith("s") else "object"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the stripe library's requests session expects
    server_version = "fakestripe"
    # Headers and body in one segment, sent at once: otherwise Nagle + delayed ACK cost ~40 ms a request.
    wbufsize = -1
    disable_nagle_algorithm = True

    @property
    def fake(self):
        return self.server.fake

    def log_message(self, format, *args):
        if self.fake.verbose:
            sys.stderr.write("fakestripe: %s\n" % (format % args))

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    # -- plumbing ----------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        try:
            if url.path.startswith("/v1/"):
                self._api(method, url.path, url.query, body)
            elif url.path.startswith("/_fake/"):
                self._control(method, url.path, url.query, body)
            elif url.path.startswith("/checkout/"):
                self._checkout_page(method, url.path.split("/")[2], body)
            elif url.path.startswith("/connect/onboarding/"):
                self._onboarding_page(method, url.path.split("/")[3], body)
            elif url.path == "/":
                self._json(200, {"fakestripe": True, "api_version": API_VERSION})
            else:
                self._json(
                    404,
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "message": f"Unrecognized request URL ({method}: {url.path}).",
                        }
                    },
                )
        except Exception:  # noqa: BLE001 - any bug must still answer the client, not hang it
            # Stripe-Should-Retry stops the stripe library from retrying (and sleeping) on our own bugs.
            traceback.print_exc()
            self._json(
                500,
                {"error": {"type": "api_error", "message": "fakestripe crashed; see its stderr."}},
                {"Stripe-Should-Retry": "false"},
            )

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload, headers: dict | None = None) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload, indent=2, ensure_ascii=False).encode()
        self._send(status, body, "application/json", headers)

    def _html(self, status: int, html: str) -> None:
        self._send(status, html.encode(), "text/html; charset=utf-8")

    def _redirect(self, location: str) -> None:
        self._send(303, b"", "text/plain", {"Location": location})

    # -- the API -----------------------------------------------------------------------------

    def _api(self, method: str, path: str, query: str, body: str) -> None:
        request_id = new_id("req_", 14)
        headers = {"Request-Id": request_id, "Stripe-Version": API_VERSION}
        try:
            api_key = api_key_from(self.headers.get("Authorization"))
            data = decode(query)
            if method == "POST":
                data.update(decode(body))
            target, args = routing.match(method, path)
            if target is None:
                raise StripeError(
                    404,
                    f"Unrecognized request URL ({method}: {path}). Please see "
                    "https://stripe.com/docs or we can help at https://support.stripe.com/.",
                )
            routing.check_params(target, data)
        except StripeError as exc:
            self._json(exc.status, exc.body(), headers)
            return
        account = self.headers.get("Stripe-Account") or None
        key = self.headers.get("Idempotency-Key") if method == "POST" else None
        status, payload, headers = self._run(target, args, data, account, api_key, key, request_id, headers)
        self._json(status, payload, headers)

    def _run(self, target, args, data, account, api_key, key, request_id, headers):
        fingerprint = json.dumps([target.method, target.path, args, data], sort_keys=True)
        slot = f"{api_key}|{account}|{key}"
        with self.fake.operation(account, {"id": request_id, "idempotency_key": key}) as ctx:
            ctx.dirty = target.method != "GET"
            if key:
                cached = ctx.store.idempotent_result(slot)
                if cached and cached["fingerprint"] != fingerprint:
                    error = StripeError(400, _IDEMPOTENCY_MISMATCH.format(key=key), type="idempotency_error")
                    return 400, error.body(), headers
                if cached:
                    replay = {**headers, "Request-Id": cached["request_id"], "Idempotent-Replayed": "true"}
                    return cached["status"], cached["body"].encode(), replay
            try:
                if account:
                    connect.connected_account(ctx.store, account)
                p = Params(data)
                result = target.handler(ctx, p, **args)
                if target.listing:
                    result = routing.paginate(result, p, self.path.split("?")[0], _label(target.path))
                status, payload = 200, routing.expand(result, p.list("expand"), ctx)
            except StripeError as exc:
                status, payload = exc.status, exc.body()
            text = json.dumps(payload, indent=2, ensure_ascii=False)
            if key:
                ctx.store.remember(slot, fingerprint, status, text, request_id)
            return status, text.encode(), headers

    # -- controls and pages ------------------------------------------------------------------

    def _control(self, method: str, path: str, query: str, body: str) -> None:
        try:
            data = decode(query)
            if body.lstrip().startswith("{"):
                data.update(json.loads(body))
            elif body:
                data.update(decode(body))
        except (StripeError, ValueError) as exc:
            error = exc if isinstance(exc, StripeError) else invalid(f"Invalid body: {exc}")
            self._json(error.status, error.body())
            return
        status, payload = control.handle(self.fake, method, path, data)
        self._json(status, payload)

    def _checkout_page(self, method: str, session_id: str, body: str) -> None:
        fake = self.fake
        with fake.store.lock:
            rec = fake.store.record(session_id)
            if rec is None or rec["obj"].get("object") != "checkout.session":
                self._html(404, render_message("找不到该支付会话", "No such checkout session."))
                return
            account = rec["account"]
        error, target = None, None
        if method == "POST":
            form = dict(parse_qsl(body))
            pay_method = form.get("decline") or form.get("method") or "card"
            try:
                with fake.operation(account) as ctx:
                    paid = checkout.pay_session(
                        ctx, rec["obj"], pay_method, fail="decline" in form, card=form.get("card")
                    )
                    target = checkout.redirect_url(rec["obj"])
            except StripeError as exc:
                paid, error = False, exc.message
            if paid:
                if target:
                    self._redirect(target)
                else:
                    self._html(200, render_message("支付成功", "Payment successful."))
                return
            if error is None:
                error = "付款被拒绝，请重试或换一种方式。 The payment was declined; try again or use another method."
        with fake.operation(account) as ctx:
            session = checkout.expire_if_due(ctx, rec["obj"])
            items = ctx.store.extra(session["id"])["line_items"]
            merchant = None
            if account:
                acct = ctx.store.record(account)["obj"]
                merchant = acct["business_profile"]["name"] or acct["settings"]["dashboard"]["display_name"]
            html = render_checkout(session, items, merchant=merchant, error=error)
        self._html(200 if error is None else 402, html)

    def _onboarding_page(self, method: str, token: str, body: str) -> None:
        fake = self.fake
        with fake.store.lock:
            link = fake.store.links.get(token)
            account = fake.store.record(link["account"])["obj"] if link else None
        if link is None:
            self._html(404, render_message("链接无效", "This onboarding link is not valid."))
        elif link["expires_at"] < now() and link["refresh_url"]:
            # Stripe sends an expired link's visitor to refresh_url, where the platform makes a new link.
            self._redirect(link["refresh_url"])
        elif method == "GET":
            self._html(200, render_onboarding(account, token))
        elif dict(parse_qsl(body)).get("outcome") == "complete":
            fake.complete_onboarding(link["account"])
            if link["return_url"]:
                self._redirect(link["return_url"])
            else:
                self._html(200, render_message("入驻完成", "Onboarding complete."))
        elif link["refresh_url"]:
            self._redirect(link["refresh_url"])
        else:
            self._html(200, render_message("已取消", "Onboarding left unfinished."))
