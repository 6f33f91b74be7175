"""``migrate_schemas`` that only visits schemas with something to apply.

Stock django-tenants runs Django's whole ``migrate`` (graph, checks, post-migrate hooks) in every
schema even when nothing is pending: ~33 s for 187 societies.  Here one query finds the schemas
that lack a migration on disk (tenants.schemas.schemas_with_pending_migrations) and only those
are migrated.  The template schema that provisioning clones is migrated with the societies.
Targeted runs (an app label, ``--fake``, ``--plan``...) keep the stock behaviour.
"""

from django.conf import settings
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors import get_executor
from django_tenants.utils import get_public_schema_name, get_tenant_model

from tenants.schemas import existing_schemas, schemas_with_pending_migrations


class Command(MigrateSchemasCommand):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--all", action="store_true", dest="visit_all", help="Visit every schema even when nothing is pending."
        )

    def _targeted(self, options) -> bool:
        keys = ("app_label", "migration_name", "fake", "fake_initial", "plan", "prune", "check_unapplied", "visit_all")
        return any(options.get(key) for key in keys)

    def handle(self, *args, **options):
        if self._targeted(options):
            return super().handle(*args, **options)
        super(MigrateSchemasCommand, self).handle(*args, **options)  # SyncCommon: parses --schema/--shared/--tenant
        public = get_public_schema_name()
        executor = get_executor(codename=self.executor)(self.args, self.options)
        if self.sync_public or self.schema_name == public:
            if schemas_with_pending_migrations([public]):
                executor.run_migrations(tenants=[public])
            elif int(options.get("verbosity", 1)) >= 1:
                self.stdout.write("public: no migrations to apply.")
        if not self.sync_tenant or self.schema_name == public:
            return
        if self.schema_name:
            schemas = [self.schema_name]
            if not existing_schemas(schemas):
                raise RuntimeError(f'Schema "{self.schema_name}" does not exist')
        else:
            template = settings.TENANT_TEMPLATE_SCHEMA
            societies = list(
                get_tenant_model().objects.exclude(schema_name=public).values_list("schema_name", flat=True)
            )
            schemas = ([template] if existing_schemas([template]) else []) + societies
        pending = schemas_with_pending_migrations(schemas)
        if int(options.get("verbosity", 1)) >= 1:
            self.stdout.write(f"{len(pending)} of {len(schemas)} society schemas have migrations to apply.")
        if pending:
            executor.run_migrations(tenants=pending)
