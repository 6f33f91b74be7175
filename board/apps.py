from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BoardConfig(AppConfig):
    name = "board"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        post_migrate.connect(_sync_capture, sender=self)


def _sync_capture(using, **kwargs):
    """After migrating the platform schema, bring the capture SQL up to date (board.capture)."""
    from django.db import connections
    from django_tenants.utils import get_public_schema_name

    connection = connections[using]
    if getattr(connection, "schema_name", None) not in (None, get_public_schema_name()):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('public.board_capture') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return  # migrated back before the capture existed
    from board.capture import sync

    sync()
