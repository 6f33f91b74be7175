"""Run the benchmarks: ``python -m bench.run [name ...]`` (all when no name is given)."""

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import RESULTS_DIR, write_result

HERE = Path(__file__).resolve().parent
SKIP = {"__init__", "common", "run", "django_setup"}


def available() -> list[str]:
    """The benchmarks: the modules of bench/ with a ``run`` (not the settings and URLs some use)."""
    return sorted(
        p.stem for p in HERE.glob("*.py")
        if p.stem not in SKIP and not p.stem.startswith("_") and "\ndef run(" in p.read_text()
    )


def wait_for_autovacuum(limit: float = 180.0) -> None:
    """Start a benchmark once PostgreSQL's autovacuum has finished with what the previous ones
    wrote: on two cores a vacuuming worker takes one of them from whatever is being timed (in a
    full run without this wait, tenancy_overhead measured 0.51x; alone, 0.90x)."""
    import psycopg

    deadline = time.monotonic() + limit
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        while time.monotonic() < deadline:
            workers = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
            ).fetchone()[0]
            if not workers:
                return
            time.sleep(1)
    print(f"autovacuum still busy after {limit:.0f} s; going on", flush=True)


def run_one(name: str, scale: float) -> bool:
    """Run benchmark ``name`` here and write its result; whether its goal was met."""
    module = importlib.import_module(f"bench.{name}")
    print(f"== {name} (scale {scale})", flush=True)
    outcome = module.run(scale)
    path = write_result(name, figures=outcome["figures"], goal=outcome["goal"], met=outcome["met"])
    print(json.dumps(json.loads(path.read_text()), indent=2, ensure_ascii=False), flush=True)
    return outcome["met"]


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}")
        return 2
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    if len(names) == 1:
        if not run_one(names[0], scale):
            print(f"goal not met: {names[0]}")
        return 0
    # Each benchmark in a process of its own: Django is set up once a process, on the database of
    # the benchmark that sets it up, and the next one must not run on that benchmark's data.
    failed, broken = [], []
    for name in names:
        wait_for_autovacuum()
        if subprocess.run([sys.executable, "-m", "bench.run", name]).returncode:
            broken.append(name)
        elif not json.loads((RESULTS_DIR / f"{name}.json").read_text())["met"]:
            failed.append(name)
    if failed:
        print(f"goal not met: {', '.join(failed)}")
    if broken:
        print(f"did not finish: {', '.join(broken)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
