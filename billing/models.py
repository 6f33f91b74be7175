from django.db import models
from django.utils.translation import gettext_lazy as _


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
