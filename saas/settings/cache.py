from saas.settings.env import env

REDIS_URL = env("REDIS_URL", "redis://localhost:6379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Every key carries the society's schema: the same key is a different entry per society.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", "xh"),
    }
}
# Sessions live in the schema-keyed cache, so a session id issued on one society's host is
# simply unknown on another's; CSRF tokens live in the session for the same reason.
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
CSRF_USE_SESSIONS = True
