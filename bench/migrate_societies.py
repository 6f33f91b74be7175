"""``migrate_schemas`` over all bench societies (``migrate_societies``).

1. Nothing to apply: all societies vs one society (goal: within 5x; stock django-tenants
   visits every schema, ~30x); the stock behaviour is measured too (``--all``).
2. A real migration (a throwaway tenant app's one migration) on all societies: sequential vs
   two processes (goal: parallel at most 0.55x the sequential time).  Both the whole command and
   its migrating phase (what the command reports after "Migrated N schemas") are recorded; the
   goal is judged on the migrating phase, because the rest -- starting Python, loading Django,
   the system checks, ~1 s -- is the same for one process or two and cannot be parallel.
   Best of seven rounds, alternating, so that a noisy neighbour on the machine does not decide
   (on the 2-core machine the results come from, a plain Python loop varies by +-25% from one
   run to the next).  Each timed run applies the next migration of bench.migrapp, each creating
   one table like the others', so that no table is dropped between timed runs (PostgreSQL
   unlinks a dropped table's files at the next checkpoint; see below); the tables are dropped
   once at the end.  The catalogs are vacuumed before every timed run, so that autovacuum does
   not take one of the two cores during some runs and not others.
   Not done before a timed run, on purpose: a CHECKPOINT.  PostgreSQL removes the files of dropped
   tables at a checkpoint, and on an ext4 without a journal (this machine's disk) creating a file
   then skips every inode freed in the last minutes; in a profiled run after a checkpoint that was
   27% of the server's time, inside the directory lock that two processes creating tables share
   (two-process phase, median of 4: 0.43 s after a checkpoint and sync, 0.36 s without).
Uses the societies that provision_societies created (creates them when missing).
"""

import os
import re
import statistics
import subprocess
import sys
import time

from bench.migrapp import NOTES

MIGRATED = re.compile(r"Migrated (\d+) schemas on (\d+) process\(es\) in ([\d.]+) s\.")
ROUNDS = NOTES // 2
# The catalogs a migration that creates and drops tables writes to.
CATALOGS = "pg_class, pg_attribute, pg_type, pg_depend, pg_index, pg_constraint, pg_attrdef, pg_sequence"


def _migrate(*args, settings_module="saas.settings") -> float:
    return _migrate_reporting(*args, settings_module=settings_module)[0]


def _migrate_reporting(*args, settings_module="saas.settings") -> tuple[float, float | None]:
    """(whole command seconds, migrating phase seconds or None when nothing was migrated)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate_schemas", "--noinput", "-v", "1", *args],
        env=env, check=True, capture_output=True, text=True,
    )
    whole = time.perf_counter() - start
    match = MIGRATED.search(done.stdout)
    return whole, float(match.group(3)) if match else None


def _vacuum_catalogs() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {CATALOGS}")


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
    # A real migration: each timed run applies the app's next one (a table like every other's).
    zero = ("--tenant", "bench_migrapp", "zero", "--executor", "multiprocessing")
    _migrate(*zero, settings_module="bench.settings_migrate")  # a run cut short
    seq, par = [], []
    migrations = iter(range(1, NOTES + 1))
    for _ in range(ROUNDS):
        for runs, extra in ((seq, []), (par, ["--executor", "multiprocessing"])):
            _vacuum_catalogs()
            target = ("--tenant", "bench_migrapp", f"{next(migrations):04d}")
            runs.append(_migrate_reporting(*target, *extra, settings_module="bench.settings_migrate"))
    _migrate(*zero, settings_module="bench.settings_migrate")
    t_seq, t_par = min(whole for whole, _ in seq), min(whole for whole, _ in par)
    phase_seq, phase_par = min(phase for _, phase in seq), min(phase for _, phase in par)
    round_ratios = [b / a for (_, a), (_, b) in zip(seq, par, strict=True)]
    figures = {
        "societies": len(schemas),
        "nothing_to_apply_one_schema_seconds": round(t_one, 2),
        "nothing_to_apply_all_seconds": round(t_all, 2),
        "nothing_to_apply_ratio": round(t_all / t_one, 2),
        "stock_visit_every_schema_seconds": round(t_stock, 2),
        "real_migration_sequential_seconds": round(t_seq, 2),
        "real_migration_two_processes_seconds": round(t_par, 2),
        "whole_command_parallel_ratio": round(t_par / t_seq, 3),
        "migrating_phase_sequential_seconds": round(phase_seq, 3),
        "migrating_phase_two_processes_seconds": round(phase_par, 3),
        "parallel_ratio": round(phase_par / phase_seq, 3),
        # Each round's two-process phase over the sequential phase run just before it, the median
        # of those: less swayed by one lucky run than the ratio of the two best (reported only).
        "median_round_parallel_ratio": round(statistics.median(round_ratios), 3),
        "rounds": ROUNDS,
        "all_rounds_whole_seconds": {"sequential": [round(w, 2) for w, _ in seq], "two": [round(w, 2) for w, _ in par]},
        "all_rounds_phase_seconds": {"sequential": [round(p, 3) for _, p in seq], "two": [round(p, 3) for _, p in par]},
    }
    return {
        "figures": figures,
        "goal": "nothing to apply over all societies within 5x of one schema; a real migration on 2 processes "
        "in at most 0.55x the sequential time (migrating phase; the whole command's ratio is reported too)",
        "met": figures["nothing_to_apply_ratio"] <= 5 and figures["parallel_ratio"] <= 0.55,
    }
