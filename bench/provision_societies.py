"""Provisioning 187 societies (``provision_societies``).

Each society is created by the production service (tenants.services.create_society: row,
domain, schema cloned from the template, administrator, role, audit, one transaction).  The
baseline is the raw DDL of the same tables: Django's schema editor's CREATE statements for
every tenant model, executed in one round trip into an empty schema.  Goal: within 2x.
"""

import time

from bench.common import percentile

SOCIETIES = 187


def _raw_ddl_statements() -> list[str]:
    from django.apps import apps
    from django.conf import settings
    from django.db import connection

    models = [
        m for m in apps.get_models(include_auto_created=True)
        if m._meta.app_config.name in settings.TENANT_APPS and not m._meta.proxy and m._meta.managed
    ]
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        for model in models:
            if not model._meta.auto_created:
                editor.create_model(model)
    return [s.rstrip(";") for s in editor.collected_sql]


def _time_raw_ddl(statements: list[str], schema: str) -> float:
    from django.db import connection, transaction

    script = ";\n".join([f'CREATE SCHEMA "{schema}"', f'SET LOCAL search_path = "{schema}", public', *statements])
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(script)
    elapsed = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
    connection.search_path_set_schemas = None
    return elapsed


def run(scale: float) -> dict:
    from bench.django_setup import setup

    setup()
    from django.db import connection

    from tenants.models import Society
    from tenants.services import create_society

    count = max(3, int(SOCIETIES * scale))
    # Start from no bench societies, so every run provisions the same number.
    for society in Society.objects.filter(slug__startswith="bench-p"):
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{society.schema_name}" CASCADE')
        society.delete()
    statements = _raw_ddl_statements()
    _time_raw_ddl(statements, "bench_ddl_warmup")
    create_times, ddl_times = [], []
    for i in range(count):
        slug = f"bench-p{i:04d}"
        start = time.perf_counter()
        create_society(slug=slug, name_zh=f"测试学会 {i:03d}", admin_email=f"admin{i}@bench-p.example.cn",
                       admin_password="x")
        create_times.append(time.perf_counter() - start)
        ddl_times.append(_time_raw_ddl(statements, f"bench_ddl_{i}"))
    mean_create = sum(create_times) / count
    mean_ddl = sum(ddl_times) / count
    ratio = mean_create / mean_ddl
    return {
        "figures": {
            "societies": count,
            "total_seconds": round(sum(create_times), 2),
            "mean_create_ms": round(mean_create * 1000, 1),
            "p95_create_ms": round(percentile(create_times, 95) * 1000, 1),
            "mean_raw_ddl_ms": round(mean_ddl * 1000, 1),
            "ratio_to_raw_ddl": round(ratio, 2),
            "tables_per_society": sum(1 for s in statements if s.startswith("CREATE TABLE")),
        },
        "goal": "creating a society within 2x the time of the raw DDL of its tables",
        "met": ratio <= 2.0,
    }
