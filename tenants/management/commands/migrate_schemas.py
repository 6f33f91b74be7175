"""``migrate_schemas`` that only visits schemas with something to apply.

Stock django-tenants runs Django's whole ``migrate`` (graph, checks, post-migrate hooks) in every
schema even when nothing is pending: ~33 s for 187 societies.  Here one query reads what every
schema has applied (tenants.schemas.applied_migrations_by_schema), and only the schemas that lack
a migration on disk are migrated, by tenants.bulk_migrate, which does the work shared by all
schemas once (``--executor multiprocessing`` spreads the schemas over
TENANT_MULTIPROCESSING_MAX_PROCESSES processes).  The template schema that provisioning clones
is migrated with the societies.
``migrate_schemas [app_label [migration_name]]`` (forwards or back) goes the same way; the flags
that only inspect or fake (``--fake``, ``--plan``, ``--prune``, ``--check``, ``--all``...) keep the
stock behaviour.
"""

import time

from django.conf import settings
from django.core.checks import Tags
from django.core.management.base import CommandError
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors import get_executor
from django_tenants.utils import get_public_schema_name, get_tenant_model

from tenants import bulk_migrate
from tenants.schemas import (
    applied_migrations_by_schema,
    existing_schemas,
    schemas_behind,
    schemas_with_pending_migrations,
)


class Command(MigrateSchemasCommand):
    # The checks that concern migrating: models and the database.  The rest (URLs, templates,
    # security...) are ``manage.py check``'s business; loading every view for them cost ~0.8 s.
    requires_system_checks = [Tags.models, Tags.database, Tags.compatibility]

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--all", action="store_true", dest="visit_all", help="Visit every schema even when nothing is pending."
        )

    def _stock(self, options) -> bool:
        keys = ("fake", "fake_initial", "plan", "prune", "check_unapplied", "visit_all", "run_syncdb")
        return any(options.get(key) for key in keys)

    def handle(self, *args, **options):
        if self._stock(options):
            return super().handle(*args, **options)
        targeted = bool(options.get("app_label"))
        super(MigrateSchemasCommand, self).handle(*args, **options)  # SyncCommon: parses --schema/--shared/--tenant
        public = get_public_schema_name()
        executor = get_executor(codename=self.executor)(self.args, self.options)
        if self.sync_public or self.schema_name == public:
            if targeted or schemas_with_pending_migrations([public]):
                executor.run_migrations(tenants=[public])
            elif int(options.get("verbosity", 1)) >= 1:
                self.stdout.write("public: no migrations to apply.")
        if not self.sync_tenant or self.schema_name == public:
            return
        if self.schema_name:
            schemas = [self.schema_name]
            if not existing_schemas(schemas):
                raise RuntimeError(f'Schema "{self.schema_name}" does not exist')
            self._migrate_schemas(schemas, options, targeted)
            return
        processes = 1
        if self.executor == "multiprocessing":
            processes = max(1, getattr(settings, "TENANT_MULTIPROCESSING_MAX_PROCESSES", 2))
        # The other processes are forked now, so that they open their database sessions while
        # this one finds out what there is to do (see bulk_migrate.Helpers).
        with bulk_migrate.Helpers(processes - 1, options["database"]) as helpers:
            template = settings.TENANT_TEMPLATE_SCHEMA
            societies = list(
                get_tenant_model().objects.exclude(schema_name=public).values_list("schema_name", flat=True)
            )
            schemas = ([template] if existing_schemas([template]) else []) + societies
            self._migrate_schemas(schemas, options, targeted, helpers=helpers)

    def _migrate_schemas(self, schemas, options, targeted: bool, *, helpers=None) -> None:
        """``helpers``: the processes forked to migrate beside this one (none: this one alone)."""
        if targeted:  # each schema's plan decides; schemas with nothing to do are skipped
            self._migrate_societies(schemas, options, helpers=helpers)
            return
        # What each schema has applied, read once: it says which schemas are behind, and it is
        # what their plans start from.
        applied = applied_migrations_by_schema(schemas)
        pending = schemas_behind(applied)
        if int(options.get("verbosity", 1)) >= 1:
            self.stdout.write(f"{len(pending)} of {len(schemas)} society schemas have migrations to apply.")
        if pending:
            self._migrate_societies(pending, options, applied=applied, helpers=helpers)

    def _migrate_societies(
        self, schemas: list[str], options, *, applied: dict[str, frozenset] | None = None, helpers=None
    ) -> None:
        verbosity = int(options.get("verbosity", 1))
        processes = helpers.size if helpers is not None else 1

        def report(result, done, total):
            if result.error:
                self.stderr.write(f"[{done}/{total}] {result.schema}: {result.error}")
            elif verbosity >= 2 or (verbosity >= 1 and (done == total or done % 50 == 0)):
                applied = ", ".join(result.applied) if verbosity >= 2 else f"{len(result.applied)} migrations"
                self.stdout.write(f"[{done}/{total}] {result.schema}: {applied} ({result.seconds:.2f} s)")

        started = time.perf_counter()
        try:
            results = bulk_migrate.run(
                schemas, app_label=options.get("app_label"), migration_name=options.get("migration_name"),
                database=options["database"], report=report, applied=applied, helpers=helpers,
            )
        except ValueError as exc:  # an unknown app or migration name
            raise CommandError(str(exc)) from None
        if verbosity >= 1:
            seconds = time.perf_counter() - started
            self.stdout.write(f"Migrated {len(results)} schemas on {processes} process(es) in {seconds:.3f} s.")
        failed = sorted(result.schema for result in results if result.error)
        if failed:
            more = f" and {len(failed) - 10} more" if len(failed) > 10 else ""
            raise CommandError(f"Migrations failed in {len(failed)} schema(s): {', '.join(failed[:10])}{more}")
