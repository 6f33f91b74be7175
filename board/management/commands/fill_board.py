"""``python manage.py fill_board [--full] [--society SLUG ...]``: fill the board now (what the
beat does every 5 minutes), then recompute the evaluation index."""

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_public_schema_name

from board.fill import fill_societies
from board.services import compute_index_scores
from tenants.models import Society


class Command(BaseCommand):
    help = "Fill the data board's aggregate tables from the society schemas and recompute the index."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="Recompute every figure from the society schemas.")
        parser.add_argument("--society", action="append", default=[], help="Only this society (slug); repeatable.")

    def handle(self, *args, full=False, society=(), **options):
        societies = Society.objects.exclude(schema_name=get_public_schema_name()).filter(
            status=Society.Status.ACTIVE
        )
        if society:
            societies = societies.filter(slug__in=society)
            unknown = set(society) - set(societies.values_list("slug", flat=True))
            if unknown:
                raise CommandError(f"unknown society: {', '.join(sorted(unknown))}")
        societies = list(societies)
        reports = fill_societies(societies, full=full)
        for row in societies:
            report = reports[row.pk]
            self.stdout.write(f"{row.slug}: {len(report.filled)} metrics filled, skipped: {report.skipped or '-'}")
        self.stdout.write(f"index: {compute_index_scores()} scores stored")
