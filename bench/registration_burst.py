"""Registration opening burst: 200 concurrent clients against a real gunicorn server.

Starts gunicorn (4 workers x 8 threads, gthread) on a free localhost port with the bench
database, creates a fresh meeting with a free registration type of 100 seats, then one of
10,000 seats (times ``scale``), and lets 200 client threads (one keep-alive connection each,
each request a different logged-in person) POST the registration form until the seats are gone.

"Completed" = a confirmed registration with its seat: the type is free, so payment is not in the
path (a paid type would end in a seat hold, which takes the same locks).  A 503 "please retry"
answer (lock timeout) is retried by the client and counted.  ``oversold`` compares the
confirmed registrations and the quota's counters with the seats on sale after the run.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.common import free_port, percentile, start_gunicorn
from bench.django_setup import setup

CLIENTS = 200
SLUG = "burst"
ROOT = Path(__file__).resolve().parent.parent
GOAL = "oversold = 0 and >= 20 completed registrations per second on 2 cores (200 concurrent clients)"


def _society():
    from tenants.models import Society
    from tenants.services import create_society

    society = Society.objects.filter(slug=SLUG).first()
    if society is None:
        society = create_society(
            slug=SLUG,
            name_zh="压测学会",
            admin_email="admin@burst.bench.example",
            admin_password=secrets.token_urlsafe(12),
        ).society
    return society


def _people(count: int) -> list:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    have = User.objects.filter(email__startswith="burst-").count()
    if have < count:
        User.objects.bulk_create(
            [User(email=f"burst-{i:06d}@bench.example", name=f"压测{i}", password="!") for i in range(have, count)],
            ignore_conflicts=True,
        )
    return list(User.objects.filter(email__startswith="burst-").order_by("email")[:count])


def _sessions(society, users) -> list[tuple[str, str]]:
    """A logged-in session (with its CSRF secret) per person, stored where the server reads them."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cache import SessionStore
    from django.middleware.csrf import CSRF_SESSION_KEY
    from django_tenants.utils import schema_context

    out = []
    with schema_context(society.schema_name):
        for user in users:
            csrf = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session[CSRF_SESSION_KEY] = csrf
            session.save()
            out.append((session.session_key, csrf))
    assert settings.SESSION_ENGINE.endswith("cache")
    return out


def _meeting(society, seats: int):
    import datetime
    from decimal import Decimal

    from django.utils import timezone
    from django_tenants.utils import schema_context

    from meetings.services import organise

    with schema_context(society.schema_name):
        start = timezone.localdate() + datetime.timedelta(days=90)
        meeting = organise.save_meeting(
            data={
                "slug": f"burst-{seats}-{int(time.time())}",
                "title_zh": f"抢座压测 {seats}",
                "starts_on": start,
                "ends_on": start,
            },
            actor=None,
        )
        rtype = organise.save_registration_type(
            meeting=meeting, data={"name_zh": "免费代表", "price": Decimal("0"), "capacity": seats}, actor=None
        )
        organise.set_meeting_status(meeting=meeting, status="open", actor=None)
        return meeting, rtype


def _server(port: int):
    env = dict(os.environ, DATABASE_NAME=DATABASE)
    env["PYTHONPATH"] = str(ROOT)
    return start_gunicorn(
        port=port,
        env=env,
        workers=4,
        threads=8,
        ready_path="/",
        host="localhost",
        extra_args=("--backlog", "512", "--timeout", "60"),
    )


def _burst(port: int, host: str, path: str, sessions: list[tuple[str, str]]) -> dict:
    lock = threading.Lock()
    queue = list(reversed(sessions))
    latencies: list[float] = []
    counts = {"completed": 0, "sold_out": 0, "retry_503": 0, "error": 0}
    last_completed = [0.0]
    done = threading.Event()

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while not done.is_set():
            with lock:
                if not queue:
                    return
                session_key, csrf = queue.pop()
            body = urlencode(
                {
                    "csrfmiddlewaretoken": csrf,
                    "name": "压测",
                    "email": "burst@bench.example",
                    "phone": "13800138000",
                    "unit": "压测单位",
                }
            )
            headers = {
                "Host": host,
                "Cookie": f"sessionid={session_key}",
                "Content-Type": "application/x-www-form-urlencoded",
            }
            for _attempt in range(10):
                started = time.perf_counter()
                try:
                    conn.request("POST", path, body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    with lock:
                        counts["error"] += 1
                    continue
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if response.status == 302 and "/meetings/r/" in (response.getheader("Location") or ""):
                        counts["completed"] += 1
                        last_completed[0] = time.perf_counter()
                    elif response.status == 503:
                        counts["retry_503"] += 1
                        time.sleep(0.05)
                        continue
                    elif response.status == 200:
                        counts["sold_out"] += 1  # the form again, with "no seats are left"
                        if counts["sold_out"] >= CLIENTS:
                            done.set()
                    else:
                        counts["error"] += 1
                break

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {
        **counts,
        "wall_s": wall,
        "requests": len(latencies),
        "sellout_s": last_completed[0] - started,
        "p95_ms": percentile(latencies, 95) * 1000 if latencies else None,
        "median_ms": statistics.median(latencies) * 1000 if latencies else None,
    }


def _warm_up(port: int, host: str, path: str) -> None:
    """Load code and templates in every worker before measuring (a cold worker's first requests
    are slow for reasons that have nothing to do with registering)."""
    for _ in range(40):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("GET", path, headers={"Host": host, "Connection": "close"})
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()


def _round(society, port: int, seats: int, sessions) -> dict:
    from django_tenants.utils import schema_context

    from meetings.models import Quota, Registration

    meeting, rtype = _meeting(society, seats)
    host = f"{SLUG}.localhost"
    _warm_up(port, host, f"/meetings/{meeting.slug}/")
    result = _burst(port, host, f"/meetings/{meeting.slug}/register/?type={rtype.pk}", sessions)
    with schema_context(society.schema_name):
        confirmed = Registration.objects.filter(meeting=meeting, status="confirmed").count()
        quota = Quota.objects.get(registration_type=rtype)
        oversold = max(0, confirmed - seats, quota.sold + quota.held - seats, confirmed - quota.sold)
    return {
        "seats": seats,
        "attempts_offered": len(sessions),
        "completed": result["completed"],
        "confirmed_in_db": confirmed,
        "oversold": oversold,
        # Until the last seat went: what follows is the "sold out" answers to the remaining clients.
        "completed_per_second": round(result["completed"] / result["sellout_s"], 1),
        "sellout_s": round(result["sellout_s"], 1),
        "requests_per_second": round(result["requests"] / result["wall_s"], 1),
        "p95_ms": round(result["p95_ms"], 1),
        "median_ms": round(result["median_ms"], 1),
        "retries_503": result["retry_503"],
        "sold_out_answers": result["sold_out"],
        "errors": result["error"],
        "wall_s": round(result["wall_s"], 1),
    }


# Its own database: the burst leaves thousands of registrations behind that no other benchmark wants.
DATABASE = "xuehui_bench_meetings"


def run(scale: float = 1.0) -> dict:
    setup(DATABASE)
    big = max(200, int(10_000 * scale))
    society = _society()
    users = _people(big + 2 * CLIENTS)
    port = free_port()
    server = _server(port)
    try:
        small = _round(society, port, 100, _sessions(society, users[: 100 + CLIENTS]))
        large = _round(society, port, big, _sessions(society, users[: big + CLIENTS]))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    figures = {
        "completed_means": "confirmed registration of a free type (no payment in the path)",
        "server": "gunicorn 4 workers x 8 threads (gthread), 200 client threads, keep-alive",
        "latency_note": "200 clients at once against ~20-40 registrations/s: latency is mostly queueing (Little's law)",
        "seats_100": small,
        f"seats_{big}": large,
    }
    met = (
        small["oversold"] == 0
        and large["oversold"] == 0
        and min(small["completed_per_second"], large["completed_per_second"]) >= 20
    )
    return {"figures": figures, "goal": GOAL, "met": met}
