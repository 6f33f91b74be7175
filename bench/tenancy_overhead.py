"""Request overhead of tenancy: the same two-query view served by gunicorn with the project's
tenancy, with stock django-tenants, and with no tenancy at all, measured side by side.

Goal: a society page whose view runs Q queries sends at most Q+1 statements and serves at
least 0.8x the requests/second of the same view without tenancy.
"""

import http.client
import os
import threading
import time
from multiprocessing import Pool

from bench.common import free_port, percentile, start_gunicorn

VIEW_QUERIES = 2
HOST = "bench-tenancy.localhost"


def _client(args):
    port, seconds, threads = args
    results = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def work():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        local = []
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            conn.request("GET", "/bench/two-queries/", headers={"Host": HOST})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"status {response.status}")
            local.append(time.perf_counter() - start)
        with lock:
            results.extend(local)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return results


def _serve(mode: str, port: int, env: dict):
    env = {**env, "DJANGO_SETTINGS_MODULE": "bench.settings_tenancy", "BENCH_TENANCY_MODE": mode}
    return start_gunicorn(port=port, env=env, workers=2, threads=2, ready_path="/bench/two-queries/", host=HOST)


def _statements(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/bench/two-queries/", headers={"Host": HOST})
    response = conn.getresponse()
    response.read()
    return int(response.getheader("X-Statements"))


def run(scale: float) -> dict:
    from bench.django_setup import setup

    setup()
    from django.db import connection
    from django_tenants.utils import schema_context

    from common.models import AuditEntry
    from tenants.models import Society
    from tenants.services import create_society

    if not Society.objects.filter(slug="bench-tenancy").exists():
        create_society(slug="bench-tenancy", name_zh="基准学会", admin_email="bench@tenancy.example.cn")
    with schema_context("s_bench_tenancy"):
        if AuditEntry.objects.count() < 100:
            AuditEntry.objects.bulk_create(AuditEntry(action=f"bench-{i}") for i in range(100))
    connection.close()
    env = dict(os.environ)
    seconds = max(2.0, 6.0 * scale)
    rounds = 2
    figures: dict = {}
    rps: dict[str, list[float]] = {"plain": [], "xuehui": [], "stock": []}
    latencies: dict[str, list[float]] = {"plain": [], "xuehui": [], "stock": []}
    statements = {}
    for _ in range(rounds):
        for mode in ("plain", "xuehui", "stock"):
            port = free_port()
            proc = _serve(mode, port, env)
            try:
                statements[mode] = _statements(port)
                with Pool(2) as pool:
                    parts = pool.map(_client, [(port, seconds, 4)] * 2)
                samples = [s for part in parts for s in part]
                rps[mode].append(len(samples) / seconds)
                latencies[mode].extend(samples)
            finally:
                proc.terminate()
                proc.wait(timeout=10)
    for mode in rps:
        figures[f"{mode}_requests_per_second"] = round(max(rps[mode]), 1)
        figures[f"{mode}_p95_ms"] = round(percentile(latencies[mode], 95) * 1000, 2)
        figures[f"{mode}_statements_per_request"] = statements[mode]
    figures["view_queries"] = VIEW_QUERIES
    figures["xuehui_ratio_to_plain"] = round(max(rps["xuehui"]) / max(rps["plain"]), 3)
    figures["stock_ratio_to_plain"] = round(max(rps["stock"]) / max(rps["plain"]), 3)
    met = statements["xuehui"] <= VIEW_QUERIES + 1 and figures["xuehui_ratio_to_plain"] >= 0.8
    return {
        "figures": figures,
        "goal": "society page with Q queries sends <= Q+1 statements and serves >= 0.8x the requests/s "
        "of the same view without tenancy",
        "met": met,
    }
