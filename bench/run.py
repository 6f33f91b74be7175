"""Run the benchmarks: ``python -m bench.run [name ...]`` (all when no name is given)."""

import importlib
import json
import os
import sys
from pathlib import Path

from bench.common import write_result

HERE = Path(__file__).resolve().parent
SKIP = {"__init__", "common", "run", "django_setup"}


def available() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if p.stem not in SKIP and not p.stem.startswith("_"))


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}")
        return 2
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    failed = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name} (scale {scale})", flush=True)
        outcome = module.run(scale)
        path = write_result(name, figures=outcome["figures"], goal=outcome["goal"], met=outcome["met"])
        print(json.dumps(json.loads(path.read_text()), indent=2, ensure_ascii=False), flush=True)
        if not outcome["met"]:
            failed.append(name)
    if failed:
        print(f"goal not met: {', '.join(failed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
