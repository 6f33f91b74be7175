from django.core.management.base import BaseCommand, CommandError

from tenants.models import DisciplineGroup
from tenants.services import InvalidSociety, SocietyExists, create_society


class Command(BaseCommand):
    help = "Create a society: schema, domain and first administrator. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name-zh", required=True)
        parser.add_argument("--name-en", default="")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-name", default="")
        parser.add_argument("--admin-password", default=None)
        parser.add_argument("--discipline-group", default=DisciplineGroup.SCIENCE, choices=DisciplineGroup.values)

    def handle(self, *args, **options):
        try:
            result = create_society(
                slug=options["slug"],
                name_zh=options["name_zh"],
                name_en=options["name_en"],
                admin_email=options["admin_email"],
                admin_name=options["admin_name"],
                admin_password=options["admin_password"],
                discipline_group=options["discipline_group"],
            )
        except SocietyExists as exc:
            self.stdout.write(
                f"Society {exc.society.slug} exists already (schema {exc.society.schema_name}); nothing changed."
            )
            return
        except InvalidSociety as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Created society {result.society.slug} (schema {result.society.schema_name}) at http://{result.domain}/ "
            f"with administrator {result.admin.email}"
            + (" (new account)" if result.admin_created else " (existing account)")
        )
