from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from saas.settings.env import env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("XUEHUI_TESTING", False)
SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-change-me" if DEBUG or TESTING else None)

# Platform site: BASE_DOMAIN (e.g. xuehui.localhost); society sites: <slug>.BASE_DOMAIN.
BASE_DOMAIN = env("BASE_DOMAIN", "localhost")
PORT = env_int("PORT", 8000)
# Scheme and port used when the application builds absolute links (e-mails, QR codes).
SITE_SCHEME = env("SITE_SCHEME", "http" if DEBUG or TESTING else "https")
SITE_PORT_SUFFIX = env("SITE_PORT_SUFFIX", f":{PORT}" if DEBUG else "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", f"{BASE_DOMAIN},.{BASE_DOMAIN}")

SHARED_APPS = [
    # `tenants` comes first so that its migrate_schemas (which skips up-to-date schemas) wins.
    "tenants",
    "django_tenants",
    "accounts",
    "billing",
    "board",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "import_export",
]
TENANT_APPS = [
    "common",
    "members",
    "dues",
    "meetings",
    "reviews",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Society"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# Schema that provisioning clones (see tenants/provisioning.py); never a real society.
TENANT_TEMPLATE_SCHEMA = "society_template"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "saas.urls_public"
ROOT_URLCONF = "saas.urls_society"
# One `SET search_path` per request instead of one per query.  django-tenants 4.0.1 forgets
# the cached path on rollback and savepoint rollback (the cause of its bug #1262);
# tests/tenants/test_search_path.py proves another society's rows never come back here.
TENANT_LIMIT_SET_CALLS = True

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tenants.middleware.SocietyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "billing.readonly.ReadOnlyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "common.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "saas.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", "postgresql://postgres@localhost:5432/xuehui"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", "test_xuehui")}
if env("DATABASE_NAME", ""):
    DATABASES["default"]["NAME"] = env("DATABASE_NAME")
elif DATABASES["default"].get("NAME") in (None, "", "postgres") and not TESTING:
    # The embedded server starts with only the maintenance database; ours is created by
    # deploy/run.py before migrating.
    DATABASES["default"]["NAME"] = "xuehui"
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# django-axes: lock an account+IP pair for a while after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_ENABLED = env_bool("AXES_ENABLED", True)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "common.authentication.SocietyTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Xuehui society API",
    "DESCRIPTION": "Per-society API. Authenticate with `Authorization: Token <key>` issued on the society site.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets are served from our own static files (no CDN is reachable in China
    # reliably, nor at all in tests).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"society": {"()": "django_tenants.log.TenantContextFilter"}},
    "formatters": {
        "society": {"format": "%(asctime)s %(levelname)s [%(schema_name)s %(domain_url)s] %(name)s: %(message)s"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["society"], "formatter": "society"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # The stripe library logs every request at INFO; its errors reach us as exceptions anyway.
    "loggers": {"django.db.backends": {"level": "INFO"}, "stripe": {"level": "WARNING"}},
}

XUEHUI_VERSION = "0.1.0"
