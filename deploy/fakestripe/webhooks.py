"""Signing events like Stripe and delivering them to one webhook URL, with retries and a log.

Modes: ``async`` (a background thread, the default, like Stripe), ``sync`` (delivered before the
API call that caused them returns: deterministic tests) and ``manual`` (recorded, sent only when
asked, so a test can deliver events late, twice, concurrently or out of order).
"""

import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.request

MODES = ("async", "sync", "manual")
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value that ``stripe.Webhook.construct_event`` verifies."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class Dispatcher:
    def __init__(
        self,
        store,
        *,
        url=None,
        secret="whsec_fakestripe",
        mode="async",
        max_attempts=4,
        retry_delays=(0.5, 1.0, 2.0),
        timeout=10.0,
    ):
        if mode not in MODES:
            raise ValueError(f"delivery mode must be one of {MODES}")
        self.store = store
        self.url = url
        self.secret = secret
        self.mode = mode
        self.max_attempts = max_attempts
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self._log: list[dict] = []
        self._counter = itertools.count(1)
        self._cond = threading.Condition()
        self._queue: list[tuple] = []  # heap of (due, seq, event_id, attempt)
        self._busy = 0
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._work, name="fakestripe-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread:
            self._thread.join(timeout=self.timeout + 1)

    # -- automatic delivery ------------------------------------------------------------------

    def submit(self, event_ids: list[str]) -> None:
        """Deliver what an operation emitted, according to the mode."""
        if not self.url or self.mode == "manual" or not event_ids:
            return
        if self.mode == "sync":
            for event_id in event_ids:
                self._deliver_with_retries(event_id)
            return
        with self._cond:
            for event_id in event_ids:
                heapq.heappush(self._queue, (time.monotonic(), next(self._counter), event_id, 1))
            self._cond.notify_all()

    def _deliver_with_retries(self, event_id: str) -> None:
        for attempt in range(1, self.max_attempts + 1):
            if self.deliver_once(event_id, attempt=attempt)["ok"]:
                return
            if attempt < self.max_attempts:
                time.sleep(self._delay(attempt))

    def _delay(self, attempt: int) -> float:
        return self.retry_delays[min(attempt, len(self.retry_delays)) - 1] if self.retry_delays else 0

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._queue or self._queue[0][0] > time.monotonic()):
                    wait = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._cond.wait(wait)
                if self._stopping:
                    return
                _, _, event_id, attempt = heapq.heappop(self._queue)
                self._busy += 1
            ok = True  # an event gone since (state reset) is dropped, not retried
            try:
                ok = self.deliver_once(event_id, attempt=attempt)["ok"]
            except KeyError:
                pass
            finally:
                with self._cond:
                    self._busy -= 1
                    if not ok and attempt < self.max_attempts:
                        due = time.monotonic() + self._delay(attempt)
                        heapq.heappush(self._queue, (due, next(self._counter), event_id, attempt + 1))
                    self._cond.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no delivery is queued or running (retries included); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    # -- one delivery ------------------------------------------------------------------------

    def signed_payload(self, event_id: str) -> tuple[bytes, str]:
        """The exact body and ``Stripe-Signature`` header a delivery of this event would carry now."""
        with self.store.lock:
            rec = self.store.record(event_id)
            if rec is None or rec["obj"].get("object") != "event":
                raise KeyError(event_id)
            payload = json.dumps(rec["obj"], indent=2, ensure_ascii=False).encode()
        return payload, sign(payload, self.secret)

    def deliver_once(self, event_id: str, *, attempt: int = 1, trigger: str = "auto") -> dict:
        if not self.url:
            raise ValueError("no webhook URL is configured")
        payload, signature = self.signed_payload(event_id)
        event = json.loads(payload)
        request = urllib.request.Request(
            self.url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": signature,
                "User-Agent": USER_AGENT,
            },
        )
        started = time.monotonic()
        status, body, error = None, "", None
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, body = response.status, response.read(2000).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read(2000).decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as exc:
            error = str(getattr(exc, "reason", exc))
        ok = status is not None and 200 <= status < 300
        entry = {
            "id": f"dlv_{next(self._counter)}",
            "event": event_id,
            "type": event["type"],
            "account": event.get("account"),
            "attempt": attempt,
            "trigger": trigger,
            "status": status,
            "ok": ok,
            "error": error,
            "response": body[:500],
            "at": time.time(),
            "duration_ms": round((time.monotonic() - started) * 1000),
        }
        with self._cond:
            self._log.append(entry)
        if ok:
            self._mark_delivered(event_id)
        return entry

    def _mark_delivered(self, event_id: str) -> None:
        with self.store.lock:
            event = self.store.record(event_id)["obj"]
            if event["pending_webhooks"]:
                event["pending_webhooks"] = 0
                self.store.save()

    # -- test controls -----------------------------------------------------------------------

    def redeliver(self, event_id: str, times: int = 1, concurrent: bool = False) -> list[dict]:
        """Send one event ``times`` times, one attempt each; concurrently means all at the same instant."""
        self.signed_payload(event_id)  # KeyError early for an unknown event
        if not concurrent:
            return [self.deliver_once(event_id, trigger="redeliver") for _ in range(times)]
        barrier = threading.Barrier(times)
        results: list[dict] = []

        def send():
            barrier.wait()
            results.append(self.deliver_once(event_id, trigger="redeliver"))

        threads = [threading.Thread(target=send, daemon=True) for _ in range(times)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=self.timeout + 1)
        return results

    def deliver_in_order(self, event_ids: list[str]) -> list[dict]:
        """Send these events one after another in exactly this order (one attempt each)."""
        for event_id in event_ids:
            self.signed_payload(event_id)
        return [self.deliver_once(event_id, trigger="ordered") for event_id in event_ids]

    def log(self, event_id: str | None = None) -> list[dict]:
        with self._cond:
            return [dict(e) for e in self._log if event_id in (None, e["event"])]

    def clear(self) -> None:
        with self._cond:
            self._log.clear()
            self._queue.clear()
            self._cond.notify_all()
