"""``manage.py reconcile_payments --schema s_ccs --from 2026-01-01 --to 2026-01-31 [--heal]``"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_tenants.utils import get_tenant_model, schema_context

from dues.reconciliation import reconcile


class Command(BaseCommand):
    help = "Compare local Stripe payments and refunds with Stripe for a period; --heal repairs what is safe."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="one society's schema (default: every active society)")
        parser.add_argument("--from", dest="date_from", type=datetime.date.fromisoformat)
        parser.add_argument("--to", dest="date_to", type=datetime.date.fromisoformat)
        parser.add_argument("--heal", action="store_true")

    def handle(self, *args, schema=None, date_from=None, date_to=None, heal=False, **options):
        date_to = date_to or timezone.localdate()
        date_from = date_from or date_to - datetime.timedelta(days=2)
        Society = get_tenant_model()
        societies = Society.objects.exclude(schema_name="public").filter(status=Society.Status.ACTIVE)
        if schema:
            societies = societies.filter(schema_name=schema)
            if not societies.exists():
                raise CommandError(f"no society with schema {schema}")
        total = 0
        for society in societies:
            with schema_context(society.schema_name):
                report = reconcile(date_from=date_from, date_to=date_to, heal=heal, actor=None)
            for item in report:
                total += 1
                mark = "healed" if item.healed else "open"
                self.stdout.write(
                    f"{society.schema_name}\t{item.kind}\tpayment={item.payment_id}\t{item.stripe_id}\t{item.detail}\t{mark}"
                )
        self.stdout.write(f"{total} mismatch(es) from {date_from} to {date_to}")
