"""Settings: one environment-driven base plus one small module per integration.

Nothing here exists only in production: the same modules run everywhere, the environment
(`DEBUG`, `DATABASE_URL`, `REDIS_URL`, `SECRET_KEY`, `BASE_DOMAIN`, `STRIPE_*`, ...) decides.
"""

from saas.settings.base import *  # noqa: F401,F403  (settings modules are star-imported by design)
from saas.settings.cache import *  # noqa: F401,F403
from saas.settings.celery import *  # noqa: F401,F403
from saas.settings.email import *  # noqa: F401,F403
from saas.settings.security import *  # noqa: F401,F403
from saas.settings.storage import *  # noqa: F401,F403
from saas.settings.stripe import *  # noqa: F401,F403
