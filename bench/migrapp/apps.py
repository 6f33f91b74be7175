from django.apps import AppConfig


class MigrappConfig(AppConfig):
    """A throwaway tenant app whose one migration the migrate_societies benchmark applies."""

    name = "bench.migrapp"
    label = "bench_migrapp"
    default_auto_field = "django.db.models.BigAutoField"
