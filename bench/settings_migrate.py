"""Project settings plus a throwaway tenant app, for the migrate_societies benchmark."""

from saas.settings import *  # noqa: F401,F403
from saas.settings import INSTALLED_APPS, TENANT_APPS

TENANT_APPS = [*TENANT_APPS, "bench.migrapp"]
INSTALLED_APPS = [*INSTALLED_APPS, "bench.migrapp"]
TENANT_MULTIPROCESSING_MAX_PROCESSES = 2
