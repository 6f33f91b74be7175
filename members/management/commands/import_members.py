"""``manage.py import_members --society <slug> <file> [--commit]``: the console's import
pipeline from the command line.  Dry run unless ``--commit``; prints one JSON object; exit
code 0 when the file is acceptable, 1 when it is not (then nothing is written)."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from members.imports import run_import
from tenants.models import Society


class Command(BaseCommand):
    help = "Import members from a CSV/XLSX file into one society (dry run unless --commit)."

    def add_arguments(self, parser):
        parser.add_argument("--society", required=True, help="the society's short name (slug)")
        parser.add_argument("file")
        parser.add_argument("--commit", action="store_true", help="write the members (default: dry run)")

    def handle(self, *args, **options):
        society = Society.objects.filter(slug=options["society"]).first()
        if society is None:
            raise CommandError(f"No society with the short name {options['society']!r}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with schema_context(society.schema_name):
            report = run_import(content=path.read_bytes(), filename=path.name, commit=options["commit"], actor=None)
        result = {
            "society": society.slug,
            "file": path.name,
            "committed": report.committed,
            "acceptable": report.acceptable,
            "encoding": report.encoding,
            "counts": report.counts,
            "errors": report.errors,
        }
        self.stdout.write(json.dumps(result, ensure_ascii=False))
        if not report.acceptable:
            sys.exit(1)
