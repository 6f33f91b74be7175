"""``migrate_schemas`` over all bench societies (``migrate_societies``).

1. Nothing to apply: all societies vs one society (goal: within 5x; stock django-tenants
   visits every schema, ~30x); the stock behaviour is measured too (``--all``).
2. A real migration (a throwaway tenant app's one migration) on all societies: sequential vs
   two processes (goal: parallel at most 0.55x the sequential time).
Uses the societies that provision_societies created (creates them when missing).
"""

import os
import subprocess
import sys
import time


def _migrate(*args, settings_module="saas.settings") -> float:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "migrate_schemas", "--noinput", "-v", "0", *args],
        env=env, check=True, stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def run(scale: float) -> dict:
    from bench.django_setup import setup

    setup()
    from bench import provision_societies
    from tenants.models import Society

    wanted = max(3, int(provision_societies.SOCIETIES * scale))
    if Society.objects.filter(slug__startswith="bench-p").count() < wanted:
        provision_societies.run(scale)
    schemas = list(Society.objects.filter(slug__startswith="bench-p").values_list("schema_name", flat=True))
    one = schemas[0]
    _migrate()  # warm the OS cache
    t_one = min(_migrate("--schema", one) for _ in range(3))
    t_all = min(_migrate() for _ in range(3))
    t_stock = _migrate("--all")
    # A real migration: apply, unapply, apply in parallel.
    t_seq = _migrate("--tenant", settings_module="bench.settings_migrate")
    _migrate("--tenant", "bench_migrapp", "zero", settings_module="bench.settings_migrate")
    t_par = _migrate("--tenant", "--executor", "multiprocessing", settings_module="bench.settings_migrate")
    _migrate("--tenant", "bench_migrapp", "zero", settings_module="bench.settings_migrate")
    figures = {
        "societies": len(schemas),
        "nothing_to_apply_one_schema_seconds": round(t_one, 2),
        "nothing_to_apply_all_seconds": round(t_all, 2),
        "nothing_to_apply_ratio": round(t_all / t_one, 2),
        "stock_visit_every_schema_seconds": round(t_stock, 2),
        "real_migration_sequential_seconds": round(t_seq, 2),
        "real_migration_two_processes_seconds": round(t_par, 2),
        "parallel_ratio": round(t_par / t_seq, 3),
    }
    return {
        "figures": figures,
        "goal": "nothing to apply over all societies within 5x of one schema; a real migration on 2 processes "
        "in at most 0.55x the sequential time",
        "met": figures["nothing_to_apply_ratio"] <= 5 and figures["parallel_ratio"] <= 0.55,
    }
