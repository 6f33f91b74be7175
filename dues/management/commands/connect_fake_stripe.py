"""``python manage.py connect_fake_stripe``: give every active society a connected account on the
project's fake Stripe server, so that the demo offers card, Alipay and WeChat Pay besides bank
transfer.  ``make run`` calls it on every start when no real STRIPE_SECRET_KEY is set.
Idempotent; does nothing (and says so) when Stripe is the real one or the fake is not running."""

from django.core.management.base import BaseCommand
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from dues.demo import connect_fake_stripe, fake_stripe_base


class Command(BaseCommand):
    help = "Connect every society to the fake Stripe server (demo only; never real Stripe)."

    def handle(self, *args, **options):
        base = fake_stripe_base()
        if base is None:
            self.stdout.write("connect_fake_stripe: Stripe is not the project's fake server here; nothing done.")
            return
        Society = get_tenant_model()
        societies = Society.objects.exclude(schema_name=get_public_schema_name()).filter(status=Society.Status.ACTIVE)
        for society in societies.order_by("slug"):
            with schema_context(society.schema_name):
                connect_fake_stripe(society=society, base=base, stdout=self.stdout)
