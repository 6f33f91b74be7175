"""``GET /healthz`` on the platform host: database, Redis, Celery worker, version."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_redis() -> str:
    import redis

    redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1).ping()
    return "ok"


def _check_celery() -> str:
    from saas.celery import app

    replies = app.control.ping(timeout=1.0)
    return "ok" if replies else "no worker answered"


@never_cache
def healthz(request):
    checks = {}
    for name, check in (("database", _check_database), ("redis", _check_redis), ("celery", _check_celery)):
        try:
            checks[name] = check()
        except Exception as exc:  # noqa: BLE001  (a health check reports any failure, whatever its type)
            checks[name] = f"error: {exc.__class__.__name__}: {exc}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "version": settings.XUEHUI_VERSION, **checks},
        status=200 if healthy else 503,
    )
