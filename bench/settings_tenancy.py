"""Settings for the tenancy_overhead benchmark's servers (``BENCH_TENANCY_MODE``):

- ``xuehui``: the project's own stack (cached host lookup, one SET search_path per request);
- ``stock``: django-tenants' stock middleware and a SET before every query;
- ``plain``: no tenancy at all; the connection's search_path is fixed to the society's schema
  by the server, so the view runs the very same queries.
Each mode also counts the SQL statements of every request into the X-Statements header.
"""

import os

from saas.settings import *  # noqa: F401,F403
from saas.settings import DATABASES, MIDDLEWARE

MODE = os.environ.get("BENCH_TENANCY_MODE", "xuehui")
SCHEMA = os.environ.get("BENCH_TENANCY_SCHEMA", "s_bench_tenancy")
ROOT_URLCONF = "bench.tenancy_urls"
PUBLIC_SCHEMA_URLCONF = "bench.tenancy_urls"
DEBUG = False
ALLOWED_HOSTS = ["*"]
MIDDLEWARE = ["bench.settings_tenancy.count_statements", *MIDDLEWARE]

if MODE == "stock":
    stock = "django_tenants.middleware.main.TenantMainMiddleware"
    MIDDLEWARE = [stock if m == "tenants.middleware.SocietyMiddleware" else m for m in MIDDLEWARE]
    TENANT_LIMIT_SET_CALLS = False
elif MODE == "plain":
    MIDDLEWARE = [m for m in MIDDLEWARE if m != "tenants.middleware.SocietyMiddleware"]
    DATABASES = {"default": {**DATABASES["default"], "ENGINE": "django.db.backends.postgresql"}}
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "options": f"-c search_path={SCHEMA},public",
    }
    # The society log filter reads django-tenants' connection attributes, absent here.
    LOGGING = {"version": 1, "disable_existing_loggers": False}


def count_statements(get_response):
    from django.db import connection

    def middleware(request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = get_response(request)
        response["X-Statements"] = str(count)
        return response

    return middleware
