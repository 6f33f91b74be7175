"""Test fixtures shared by every test module.

Real PostgreSQL (embedded or DATABASE_URL), real Redis, a real Celery worker thread.  Every
society-scoped test gets two societies, ``society_a`` and ``society_b``, created by the same
service as production (cloning the template schema) inside the test's transaction, so they and
their schemas vanish with the rollback; tests on committed data (``transactional_db``, the
Celery worker, the browser) drop the schemas afterwards.
"""

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import translation
from django_tenants.utils import get_public_schema_name, schema_context

# Registered here once, so every folder shares one session-wide browser.
from tests.browser_fixtures import browser, page, phone, screenshot, site_url  # noqa: E402, F401

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")


def pytest_configure(config):
    """Each xdist process gets a Redis database of its own (cache, sessions, Celery), emptied
    at the start, so runs never see each other's or an earlier run's keys."""
    import redis

    from saas.celery import app

    # TEST_REDIS_DB_BASE lets two test runs on one machine use different Redis databases.
    db_number = int(os.environ.get("TEST_REDIS_DB_BASE", "1")) + int(WORKER.removeprefix("gw") or 0)
    base = settings.REDIS_URL
    joiner = "&" if "?" in base else "?"
    if base.startswith("unix://"):
        url = f"{base}{joiner}db={db_number}"
        celery_url = "redis+socket://" + base[len("unix://") :] + f"{joiner}virtual_host={db_number}"
    else:
        url = base.rstrip("/").rsplit("/", 1)[0] + f"/{db_number}" if base.count("/") > 2 else f"{base}/{db_number}"
        celery_url = url
    redis.Redis.from_url(url).flushdb()
    # Hashing is not what these tests test; the production hasher costs ~0.3 s a user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES["default"]["LOCATION"] = url
    settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = celery_url
    app.conf.broker_url = app.conf.result_backend = celery_url
    # Board refreshes that events ask for run at once, within the test that caused them, not a
    # minute later in another test whose societies happen to have the same schema names.
    settings.BOARD_REFRESH_DELAY = 0


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After pytest-django has migrated the test database: the template schema and the
    platform's own tenant row (recreated per test by ``platform``, since flushes empty it)."""
    from tenants.schemas import ensure_template_schema

    with django_db_blocker.unblock():
        ensure_template_schema()


@pytest.fixture(autouse=True)
def _fresh_host_cache():
    """Each test starts without the cache keys and queued tasks of the tests before it (society
    schema names repeat from test to test; the database is rolled back, Redis is not)."""
    from tenants.middleware import forget_host

    forget_host()
    redis_client = cache._cache.get_client(write=True)
    stale = [key for pattern in ("s_*", "society_template:*") for key in redis_client.scan_iter(match=pattern)]
    if stale:
        redis_client.delete(*stale)
    redis_client.delete("celery")  # the Celery queue on this process's Redis database
    # A request in an earlier test leaves its language active on this thread (LocaleMiddleware
    # does not deactivate it): start from the site's default, as a new request would.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    forget_host()
    connection.set_schema_to_public()


@pytest.fixture
def platform(db):
    from tenants.services import ensure_platform

    return ensure_platform()


def _make_society(slug: str, name_zh: str, name_en: str, admin_email: str):
    from tenants.services import create_society

    return create_society(
        slug=slug,
        name_zh=name_zh,
        name_en=name_en,
        admin_email=admin_email,
        admin_name=f"{name_zh}管理员",
        admin_password="pw-Admin-2026",
    )


@pytest.fixture
def society_a(request, platform):
    result = _make_society("alpha", "测试化学会", "Test Chemical Society", "admin@alpha.example.cn")
    yield result.society
    _drop_if_committed(request, result.society)


@pytest.fixture
def society_b(request, platform):
    result = _make_society("beta", "测试物理学会", "Test Physical Society", "admin@beta.example.cn")
    yield result.society
    _drop_if_committed(request, result.society)


ALL_APPS = list(settings.INSTALLED_APPS)
# Tests on committed data: flushing then truncates with CASCADE (society schemas point at
# public.accounts_user), which Django only does when available_apps is given.
committed = pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)


def _is_committed(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or "live_server" in request.fixturenames


def _drop_if_committed(request, society):
    if _is_committed(request):
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{society.schema_name}" CASCADE')


def host_of(society) -> str:
    return f"{society.slug}.{settings.BASE_DOMAIN}"


class SiteClient(Client):
    """A test client bound to one host; ``force_login`` opens the session in that host's
    schema, since sessions are keyed per society (saas/settings/cache.py)."""

    def __init__(self, society=None, **defaults):
        self.society = society
        super().__init__(HTTP_HOST=host_of(society) if society else settings.BASE_DOMAIN, **defaults)

    def force_login(self, user, backend=None):
        with schema_context(self.society.schema_name if self.society else get_public_schema_name()):
            super().force_login(user, backend or "django.contrib.auth.backends.ModelBackend")


def client_for(society=None) -> SiteClient:
    """A test client talking to a society's site (or the platform when ``society`` is None)."""
    return SiteClient(society)


@pytest.fixture
def in_schema():
    """``with in_schema(society): ...`` runs ORM code inside that society's schema."""

    def enter(society):
        return schema_context(society.schema_name if society else get_public_schema_name())

    return enter


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model

    def make(email: str, name: str = "测试用户", password: str = "pw-Test-2026", **extra):
        return get_user_model().objects.create_user(email, password, name=name, **extra)

    return make


@pytest.fixture(scope="session")
def celery_worker_thread(django_db_blocker):
    """A real Celery worker (threads pool) consuming this test process's queue on Redis."""
    from celery.contrib.testing.worker import start_worker

    from saas.celery import app

    app.conf.task_always_eager = False
    with django_db_blocker.unblock():
        with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING") as worker:
            yield worker


# The project's fake Stripe server as a fixture for every app's tests (defined with the dues tests).
from tests.dues.fixtures import fake_stripe  # noqa: E402, F401
