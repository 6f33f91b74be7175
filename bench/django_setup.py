"""Django for benchmarks: ``from bench.django_setup import setup; setup()`` at the top of run().

Uses DATABASE_URL/REDIS_URL when set, else the embedded servers (started if needed), and its
own database ``xuehui_bench`` (migrated on first use), so a benchmark never touches demo data.
"""

import os

_done = False


def setup(database: str = "xuehui_bench") -> None:
    global _done
    if _done:
        if os.environ["DATABASE_NAME"] != database:  # bench.run gives each benchmark its own process
            raise RuntimeError(f"Django is set up on {os.environ['DATABASE_NAME']} already, not {database}")
        return
    from deploy import services
    from deploy.django_env import ensure_database

    os.environ.update(services.up())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas.settings")
    os.environ["XUEHUI_TESTING"] = "1"  # no HTTPS redirects; the settings tests run with
    os.environ["DATABASE_NAME"] = database
    ensure_database(dict(os.environ), database)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate_schemas", "--noinput", verbosity=0)
    from tenants.schemas import ensure_template_schema
    from tenants.services import ensure_platform

    ensure_template_schema()
    ensure_platform()
    _done = True
