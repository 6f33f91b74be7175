"""``make bench`` runs every benchmark, and only benchmarks, each in a process of its own."""

import subprocess
import sys

from django.conf import settings

from bench.run import available


def test_only_modules_with_a_run_are_benchmarks():
    assert available() == [
        "badge_pdf", "board_fill", "board_read", "invoice_pdf", "member_import", "member_search",
        "migrate_societies", "provision_societies", "registration_burst", "review_assignment",
        "tenancy_overhead", "webhook_duplicates",
    ]


def test_an_unknown_benchmark_is_named_with_the_ones_there_are():
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "board_fill", "no_such_bench"],
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout.startswith("unknown benchmark(s): no_such_bench; available: badge_pdf, board_fill,")
    assert "settings_migrate" not in done.stdout
