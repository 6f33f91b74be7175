"""Invoices, credit notes, payments (one row per attempt), refunds and bank transfers.

An issued invoice is an immutable snapshot: the model refuses to save or delete it, and a
PostgreSQL trigger (migration 0002) refuses the same at the database.  What may still change on
an issued row is bookkeeping beside the snapshot: its stored PDF (set once), receipt, fapiao
details, the cancellation mark and the "paid handler ran" mark.  "Paid" is derived from the
payment and refund rows, never stored.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0.00")

# Columns that may change after issue; everything else is the frozen snapshot.
MUTABLE_AFTER_ISSUE = frozenset(
    {
        "pdf_file",
        "pdf_sha256",
        "receipt_file",
        "receipt_sha256",
        "fapiao_number",
        "fapiao_file",
        "fapiao_requested_at",
        "fapiao_request",
        "cancelled_at",
        "paid_handled_at",
    }
)


class ImmutableInvoice(Exception):
    """An issued invoice (or its lines) was about to be changed or deleted."""


class InvoiceSettings(models.Model):
    """The society's invoicing settings: numbering, the issuer snapshot, bank transfer, Stripe.

    One row per society schema (``dues.selectors.invoice_settings`` creates it on first use).
    """

    series_prefix = models.CharField(_("invoice number prefix"), max_length=12, default="INV")
    credit_prefix = models.CharField(_("credit note number prefix"), max_length=12, default="CN")
    number_format = models.CharField(
        _("number format"),
        max_length=60,
        default="{prefix}-{year}-{seq:06d}",
        help_text=_("Placeholders: {prefix}, {year}, {seq:06d}. Numbering restarts each year when {year} is used."),
    )
    legal_name = models.CharField(_("legal name"), max_length=300, blank=True)
    legal_name_en = models.CharField(_("English legal name"), max_length=300, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=60, blank=True)
    email = models.EmailField(_("finance e-mail"), blank=True)
    tax_id = models.CharField(_("unified social credit code"), max_length=40, blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=60, blank=True)
    bank_account_name = models.CharField(_("account name"), max_length=300, blank=True)
    transfer_instructions = models.TextField(_("bank transfer instructions"), blank=True)
    logo = models.ForeignKey("common.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    seal = models.ForeignKey("common.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    default_due_days = models.PositiveIntegerField(_("days to pay"), default=30)
    refund_approval_threshold = models.DecimalField(
        _("refunds above this amount need a second person's approval"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    stripe_account_id = models.CharField(max_length=255, blank=True)
    stripe_charges_enabled = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("invoice settings")
        verbose_name_plural = _("invoice settings")

    def __str__(self):
        return self.legal_name or "invoice settings"

    def format_number(self, *, prefix: str, year: int, seq: int) -> str:
        return self.number_format.format(prefix=prefix, year=year, seq=seq)

    @property
    def yearly(self) -> bool:
        return "{year" in self.number_format


class NumberSeries(models.Model):
    """The last number handed out in one series (and year); bumped under the row lock."""

    name = models.CharField(max_length=30)
    year = models.PositiveIntegerField(default=0)  # 0: the series never restarts
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "year"], name="dues_unique_series_year")]

    def __str__(self):
        return f"{self.name}/{self.year}: {self.last_value}"


class Invoice(models.Model):
    """An invoice (账单) or a credit note (红冲) that negates part or all of an invoice."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")
        PARTLY_PAID = "partly_paid", _("Partly paid")
        PAID = "paid", _("Paid")
        OVERDUE = "overdue", _("Overdue")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.INVOICE)
    series = models.CharField(max_length=30, default="default")
    number = models.CharField(_("number"), max_length=60, null=True, blank=True, unique=True)
    sequence = models.PositiveIntegerField(null=True, blank=True)
    number_year = models.PositiveIntegerField(null=True, blank=True)
    refers_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes")
    buyer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    buyer = models.JSONField(default=dict)  # name, taxpayer_id, address, phone, bank, account, kind, email
    issuer = models.JSONField(default=dict)  # the society as it was at issue
    currency = models.CharField(max_length=3, default="CNY")
    total_net = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    total_tax = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    purpose = models.CharField(max_length=100, db_index=True)
    subject_id = models.CharField(max_length=64, blank=True, db_index=True)
    note = models.TextField(blank=True)
    issued_at = models.DateTimeField(null=True, blank=True, db_index=True)
    due_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bookkeeping beside the snapshot (see MUTABLE_AFTER_ISSUE).
    pdf_file = models.ForeignKey("common.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    receipt_file = models.ForeignKey(
        "common.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    receipt_sha256 = models.CharField(max_length=64, blank=True)
    fapiao_request = models.JSONField(null=True, blank=True)
    fapiao_requested_at = models.DateTimeField(null=True, blank=True)
    fapiao_number = models.CharField(_("fapiao number"), max_length=60, blank=True)
    fapiao_file = models.ForeignKey(
        "common.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    paid_handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "number_year", "sequence"],
                condition=Q(sequence__isnull=False),
                name="dues_unique_series_sequence",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", refers_to__isnull=True) | Q(kind="credit_note", refers_to__isnull=False),
                name="dues_credit_note_refers_to_invoice",
            ),
        ]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def __str__(self):
        return self.number or f"draft #{self.pk}"

    # -- immutability (the model layer; the trigger is the last word) -------------------------

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.get("force_insert"):
            stored = Invoice.objects.filter(pk=self.pk).values("number").first()
            if stored and stored["number"] is not None:
                fields = kwargs.get("update_fields")
                if fields is None or not set(fields) <= MUTABLE_AFTER_ISSUE:
                    raise ImmutableInvoice(f"invoice {stored['number']} is issued and cannot be edited")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_issued:
            raise ImmutableInvoice(f"invoice {self.number} is issued and cannot be deleted")
        return super().delete(*args, **kwargs)

    @property
    def is_issued(self) -> bool:
        return self.number is not None

    # -- derived amounts ----------------------------------------------------------------------

    @property
    def amount_credited(self) -> Decimal:
        """The (positive) sum of credit notes against this invoice."""
        if hasattr(self, "credited_sum"):
            return -(self.credited_sum or ZERO)
        return -(self.credit_notes.aggregate(s=models.Sum("total"))["s"] or ZERO)

    @property
    def amount_paid(self) -> Decimal:
        """Confirmed payments less completed refunds."""
        if hasattr(self, "paid_sum"):
            return (self.paid_sum or ZERO) - (self.refunded_sum or ZERO)
        paid = self.payments.filter(state=Payment.State.CONFIRMED).aggregate(s=models.Sum("amount"))["s"] or ZERO
        refunded = (
            Refund.objects.filter(payment__invoice=self, state=Refund.State.DONE).aggregate(s=models.Sum("amount"))["s"]
            or ZERO
        )
        return paid - refunded

    @property
    def amount_payable(self) -> Decimal:
        """The total after credit notes."""
        return self.total - self.amount_credited

    @property
    def amount_due(self) -> Decimal:
        if self.kind == self.Kind.CREDIT_NOTE:
            return ZERO
        return max(self.amount_payable - self.amount_paid, ZERO)

    @property
    def status(self) -> str:
        if not self.is_issued:
            return self.Status.DRAFT
        if self.kind == self.Kind.CREDIT_NOTE:
            return self.Status.ISSUED
        payable, paid = self.amount_payable, self.amount_paid
        if self.cancelled_at or payable <= ZERO:
            return self.Status.CANCELLED
        if paid >= payable:
            return self.Status.PAID
        if self.due_date and self.due_date < timezone.localdate():
            return self.Status.OVERDUE
        if paid > ZERO:
            return self.Status.PARTLY_PAID
        return self.Status.ISSUED

    def get_status_display(self) -> str:
        return self.Status(self.status).label


class CreditNoteManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=Invoice.Kind.CREDIT_NOTE)


class CreditNote(Invoice):
    """A credit note is an Invoice row of kind ``credit_note`` in its own series (see Invoice)."""

    objects = CreditNoteManager()

    class Meta:
        proxy = True
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")


class InvoiceLine(models.Model):
    """One line of an invoice; frozen with it (the trigger refuses writes to an issued invoice's lines)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField()
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(max_digits=14, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=ZERO)  # percent: 6 = 6 %
    net = models.DecimalField(max_digits=14, decimal_places=2)
    tax = models.DecimalField(max_digits=14, decimal_places=2)
    gross = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="dues_unique_line_position")]

    def __str__(self):
        return self.description


class Payment(models.Model):
    """One attempt to pay an invoice, through one provider."""

    class Provider(models.TextChoices):
        STRIPE = "stripe", _("Card, Alipay or WeChat Pay")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")

    class State(models.TextChoices):
        CREATED = "created", _("Started")
        PENDING = "pending", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        FAILED = "failed", _("Failed")
        REJECTED = "rejected", _("Transfer rejected")
        CANCELED = "canceled", _("Cancelled")

    OPEN_STATES = (State.CREATED, State.PENDING)

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=20, choices=Provider.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.CREATED, db_index=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    application_fee = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    stripe_checkout_session_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    method_detail = models.CharField(max_length=40, blank=True)  # card / alipay / wechat_pay
    # The member asked Checkout to keep the card for automatic renewal (card-only Checkout).
    save_card = models.BooleanField(default=False)
    # Charged automatically with the member's saved card (no Checkout, no member present).
    off_session = models.BooleanField(default=False)
    failure_code = models.CharField(max_length=60, blank=True)  # Stripe's code / decline code
    checkout_url = models.URLField(max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self):
        return f"{self.get_provider_display()} {self.amount} {self.currency} ({self.state})"


class AutoRenewal(models.Model):
    """A person's Stripe customer on the society's connected account, the card they saved there
    (shown as brand, last four digits and expiry; the card itself stays at Stripe) and whether
    renewal invoices may be charged to it automatically.  One row per person and society."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    stripe_customer_id = models.CharField(max_length=255, unique=True)
    stripe_payment_method_id = models.CharField(max_length=255, blank=True)
    card_brand = models.CharField(max_length=30, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    # The Checkout payment that saved the current card: an older payment's late webhook never
    # brings back a card the member has since removed or replaced.
    saved_by_payment = models.ForeignKey("Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    enabled = models.BooleanField(default=False)
    consented_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("automatic renewal")
        verbose_name_plural = _("automatic renewals")
        constraints = [
            models.CheckConstraint(
                condition=Q(enabled=False) | ~Q(stripe_payment_method_id=""), name="dues_auto_renewal_needs_card"
            )
        ]

    def __str__(self):
        return f"{self.card_brand} {self.card_last4}".strip() or self.stripe_customer_id

    @property
    def has_card(self) -> bool:
        return bool(self.stripe_payment_method_id)


class BankTransfer(models.Model):
    """A bank transfer (对公转账) the member reports: reference code, slip, and finance's decision (终审)."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="bank_transfer")
    reference = models.CharField(max_length=32, unique=True)
    payer_name = models.CharField(_("payer (account name)"), max_length=300, blank=True)
    transferred_on = models.DateField(_("transfer date"), null=True, blank=True)
    slip = models.ForeignKey("common.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)

    def __str__(self):
        return self.reference


class Refund(models.Model):
    """One refund of (part of) a payment; ``DONE`` is what counts against the amount paid."""

    class State(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        PENDING = "pending", _("Pending")
        DONE = "done", _("Refunded")
        FAILED = "failed", _("Failed")
        REJECTED = "rejected", _("Not approved")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    state = models.CharField(max_length=20, choices=State.choices, db_index=True)
    reason = models.TextField()
    stripe_refund_id = models.CharField(max_length=255, blank=True, null=True, unique=True)
    credit_note = models.OneToOneField(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="refund")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"refund {self.amount} {self.currency} ({self.state})"
