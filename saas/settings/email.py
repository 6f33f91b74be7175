from saas.settings.base import BASE_DIR, DEBUG
from saas.settings.env import env, env_int

# Development: mails are written as files under .data/mail (and printed by `make run`).
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(BASE_DIR / ".data" / "mail"))
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env("EMAIL_USE_TLS", "") == "1"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "学会云 Xuehui <noreply@xuehui.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
