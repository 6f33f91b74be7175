import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _


class PlatformStorage(FileSystemStorage):
    """The platform's own media path (MEDIA_ROOT/public/), whatever schema is selected: platform
    invoices are read on a society's site, where the tenant storage would look in its folder.
    Read from the settings on each use (not cached), like django-tenants' storage."""

    @property
    def base_location(self):
        return os.path.join(settings.MEDIA_ROOT, "public")

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def platform_storage() -> FileSystemStorage:
    return PlatformStorage(base_url="/media-not-served/public/")


class StripeEvent(models.Model):
    """Every Stripe event received, stored once (unique Stripe id) with what became of it.

    The payload is kept as received, but handlers treat it as a hint and re-fetch the object.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    account = models.CharField(max_length=255, blank=True, db_index=True)
    society = models.ForeignKey("tenants.Society", null=True, blank=True, on_delete=models.SET_NULL)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.stripe_id} {self.type} ({self.status})"


class StripeObject(models.Model):
    """Maps a Stripe id (account, customer, checkout session, payment intent, subscription...)
    to the society that owns it, so a webhook finds its schema without visiting any schema."""

    stripe_id = models.CharField(max_length=255, primary_key=True)
    kind = models.CharField(max_length=50)
    society = models.ForeignKey("tenants.Society", null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.kind} {self.stripe_id}"


class Feature(models.TextChoices):
    """What a plan unlocks; other apps ask ``billing.selectors.has_feature(society, Feature.X)``."""

    PAPER_REVIEW = "paper_review", _("Paper review")
    INVOICE_TEMPLATES = "invoice_templates", _("Custom invoice templates")
    API = "api", _("API access")


class Interval(models.TextChoices):
    MONTH = "month", _("Monthly")
    YEAR = "year", _("Yearly")


class Plan(models.Model):
    """A platform plan priced for societies, by active members and features, in CNY."""

    code = models.SlugField(max_length=30, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=50)
    rank = models.PositiveSmallIntegerField(default=0, help_text="Higher ranks are upgrades.")
    max_active_members = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: unlimited.")
    features = models.JSONField(default=list, blank=True)
    currency = models.CharField(max_length=3, default="CNY")
    monthly_price = models.DecimalField(max_digits=12, decimal_places=2)
    yearly_price = models.DecimalField(max_digits=12, decimal_places=2)
    application_fee_percent = models.DecimalField(max_digits=4, decimal_places=2)
    trial_days = models.PositiveSmallIntegerField(default=30)
    is_active = models.BooleanField(default=True)
    # Created on the platform's Stripe account the first time they are needed.
    stripe_product_id = models.CharField(max_length=255, blank=True)
    stripe_monthly_price_id = models.CharField(max_length=255, blank=True)
    stripe_yearly_price_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["rank"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self):
        return self.name_zh

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    def price_for(self, interval: str):
        return self.yearly_price if interval == Interval.YEAR else self.monthly_price

    def stripe_price_for(self, interval: str) -> str:
        return self.stripe_yearly_price_id if interval == Interval.YEAR else self.stripe_monthly_price_id

    def feature_labels(self) -> list[str]:
        return [str(Feature(code).label) for code in self.features if code in Feature.values]


class Subscription(models.Model):
    """A society's subscription to the platform; one row per society, in the public schema, so the
    read-only middleware decides with one indexed query."""

    class Status(models.TextChoices):
        TRIALING = "trialing", _("Free trial")
        ACTIVE = "active", _("Subscribed")
        PAST_DUE = "past_due", _("Payment overdue")
        CANCELED = "canceled", _("Ended")

    society = models.OneToOneField("tenants.Society", on_delete=models.CASCADE, related_name="subscription")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    interval = models.CharField(max_length=5, choices=Interval.choices, default=Interval.YEAR)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TRIALING, db_index=True)
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    # Set when a payment is first missed (or the trial ends unpaid); cleared when paid.
    overdue_since = models.DateTimeField(null=True, blank=True)
    # overdue_since + the grace period: from then on the staff pages are read-only.
    read_only_from = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    active_members = models.PositiveIntegerField(default=0)
    usage_reported_at = models.DateTimeField(null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_item_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self):
        return f"{self.society_id} · {self.plan_id} · {self.status}"

    @property
    def over_member_limit(self) -> bool:
        limit = self.plan.max_active_members
        return limit is not None and self.active_members > limit


class PlatformInvoiceSequence(models.Model):
    """The last number issued per year of the platform series; locked while allocating."""

    year = models.PositiveSmallIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)


class PlatformInvoice(models.Model):
    """The platform's invoice to a society for a paid Stripe invoice: an immutable snapshot with a
    gapless number (XH-<year>-<000001>) and its PDF under the platform's own media path."""

    society = models.ForeignKey("tenants.Society", on_delete=models.PROTECT, related_name="platform_invoices")
    number = models.CharField(max_length=20, unique=True)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    stripe_invoice_id = models.CharField(max_length=255, unique=True)
    billing_reason = models.CharField(max_length=40, blank=True)
    issued_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    # The lines' sum (negative when a downgrade's credit exceeds the new charges: Stripe keeps the
    # difference as the society's balance) and what was actually paid.
    total = models.DecimalField(max_digits=12, decimal_places=2)
    amount_paid = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    lines = models.JSONField(default=list)
    buyer = models.JSONField(default=dict)
    pdf = models.FileField(upload_to="platform-invoices/%Y/", storage=platform_storage, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["year", "sequence"], name="platform_invoice_gapless_series")]
        verbose_name = _("platform invoice")
        verbose_name_plural = _("platform invoices")

    def __str__(self):
        return self.number
