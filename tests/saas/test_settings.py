import os
import subprocess
import sys

import pytest
from django.apps import apps
from django.conf import settings

PROJECT_APPS = ["tenants", "accounts", "billing", "board", "common", "members", "dues", "meetings", "reviews"]


def test_every_project_app_is_in_exactly_one_of_shared_or_tenant_apps():
    for app in PROJECT_APPS:
        assert (app in settings.SHARED_APPS) + (app in settings.TENANT_APPS) == 1, app
    local = {
        cfg.name
        for cfg in apps.get_app_configs()
        if cfg.path.startswith(str(settings.BASE_DIR)) and "site-packages" not in cfg.path
    }
    assert local == set(PROJECT_APPS)


def test_no_shared_model_points_into_a_tenant_model():
    tenant_labels = {apps.get_app_config(name.rsplit(".", 1)[-1]).label for name in settings.TENANT_APPS}
    offending = []
    for model in apps.get_models():
        if model._meta.app_label in tenant_labels:
            continue
        for field in model._meta.get_fields():
            target = getattr(field, "related_model", None)
            if field.is_relation and field.concrete and target is not None and target._meta.app_label in tenant_labels:
                offending.append(f"{model._meta.label}.{field.name} -> {target._meta.label}")
    assert offending == []


def test_production_settings_pass_check_deploy_with_no_warnings():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "XUEHUI_TESTING", "SECURE", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update({"SECRET_KEY": "x" * 20 + "-production-grade-secret-key-0123456789-abcdef", "BASE_DOMAIN": "xuehui.cn"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_embedded_postgresql_keeps_minimal_wal(db):
    """The project's own server: new tables and indexes are written at commit, not fsynced one
    file at a time (see deploy.services.SERVER_SETTINGS).  A server given by DATABASE_URL keeps
    whatever its owner chose."""
    from django.db import connection

    from deploy import services

    if os.environ.get("DATABASE_URL") != services._pg_uri():
        pytest.skip("DATABASE_URL names a server of its own")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, setting FROM pg_settings WHERE name IN ('wal_level', 'max_wal_senders')")
        assert dict(cursor.fetchall()) == {"wal_level": "minimal", "max_wal_senders": "0"}
