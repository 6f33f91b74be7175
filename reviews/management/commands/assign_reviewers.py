"""``python manage.py assign_reviewers --input problem.json --output result.json``.

The solver's own command line (reviews.assignment.main) under manage.py; it touches no database.
Exit status: 0 solved, 1 infeasible, 2 invalid input; the reason is printed on stderr.
"""

from django.core.management.base import BaseCommand, CommandError

from reviews.assignment import main


class Command(BaseCommand):
    help = "Solve a reviewer-assignment problem given as JSON (see reviews/assignment.py)."

    def add_arguments(self, parser):
        parser.add_argument("--input", required=True)
        parser.add_argument("--output", default="-")
        parser.add_argument("--prune-top", type=int, default=None)
        parser.add_argument("--time-limit", type=float, default=10.0)

    def handle(self, *args, **options):
        argv = ["--input", options["input"], "--output", options["output"], "--time-limit", str(options["time_limit"])]
        if options["prune_top"] is not None:
            argv += ["--prune-top", str(options["prune_top"])]
        status = main(argv)
        if status:
            # main() has printed the reason; CommandError makes manage.py exit with this status.
            raise CommandError("no assignment written", returncode=status)
