from saas.settings.base import BASE_DIR
from saas.settings.env import env

# Files never have a public URL: each society's files live under MEDIA_ROOT/<schema>/ and are
# served only by views that check the society and the permission (common/files.py).
MEDIA_ROOT = env("MEDIA_ROOT", str(BASE_DIR / ".data" / "media"))
MEDIA_URL = "/media-not-served/"
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 60 * 1024 * 1024
