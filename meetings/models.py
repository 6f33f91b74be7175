import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

CURRENCIES = [("CNY", "CNY"), ("USD", "USD")]


def _bilingual(zh: str, en: str) -> str:
    if (get_language() or "").startswith("en") and en:
        return en
    return zh


def new_ticket_code() -> str:
    # 10 characters from an alphabet without look-alikes (0/O, 1/I/L): read aloud at the desk.
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


class Meeting(models.Model):
    """An academic meeting (学术会议) of the society.  Registration, tickets and check-in build on
    it (this app); the call for papers refers to it (reviews)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        REGISTRATION_OPEN = "open", _("Registration open")
        CLOSED = "closed", _("Registration closed")
        FINISHED = "finished", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")

    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    venue = models.CharField(_("venue"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    online = models.BooleanField(_("online meeting"), default=False)
    description = models.TextField(_("description"), blank=True)
    organisers = models.CharField(_("organising units"), max_length=500, blank=True)
    co_organisers = models.CharField(_("co-organising units"), max_length=500, blank=True)
    contact = models.CharField(_("contact"), max_length=300, blank=True)
    poster = models.ForeignKey(
        "common.StoredFile",
        verbose_name=_("poster"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hold_minutes = models.PositiveIntegerField(
        _("minutes a seat is held while paying"), default=30, help_text=_("Unpaid holds are released after this.")
    )
    substitution_deadline = models.DateField(_("last day for substitutions"), null=True, blank=True)
    capacity = models.PositiveIntegerField(
        _("seats for the meeting"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="meeting_dates_ordered")
        ]

    def __str__(self):
        return self.title_zh

    @property
    def title(self) -> str:
        return _bilingual(self.title_zh, self.title_en)

    @property
    def is_public(self) -> bool:
        return self.status not in (self.Status.DRAFT,)

    @property
    def accepts_registrations(self) -> bool:
        return self.status == self.Status.REGISTRATION_OPEN


class RegistrationType(models.Model):
    """What an attendee registers as, with its prices by date (early bird, regular, on site)."""

    class Kind(models.TextChoices):
        MEMBER = "member", _("Member")
        NON_MEMBER = "non_member", _("Non-member")
        STUDENT = "student", _("Student")
        ACCOMPANYING = "accompanying", _("Accompanying person")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="types")
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    kind = models.CharField(_("attendee kind"), max_length=16, choices=Kind.choices, default=Kind.NON_MEMBER)
    member_category = models.CharField(
        _("member category code"), max_length=30, blank=True, help_text=_("Empty: any active member.")
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="CNY")
    price_early = models.DecimalField(_("early-bird price"), max_digits=10, decimal_places=2, null=True, blank=True)
    early_bird_until = models.DateField(_("early bird until"), null=True, blank=True)
    price = models.DecimalField(_("regular price"), max_digits=10, decimal_places=2, default=Decimal("0"))
    price_onsite = models.DecimalField(_("on-site price"), max_digits=10, decimal_places=2, null=True, blank=True)
    capacity = models.PositiveIntegerField(_("seats"), null=True, blank=True, help_text=_("Empty: no own limit."))
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        ordering = ["meeting", "position", "id"]
        verbose_name = _("registration type")
        verbose_name_plural = _("registration types")
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="regtype_price_not_negative"),
            models.CheckConstraint(
                condition=models.Q(price_early__isnull=True) | models.Q(early_bird_until__isnull=False),
                name="regtype_early_price_needs_deadline",
            ),
        ]

    def __str__(self):
        return self.name_zh

    @property
    def name(self) -> str:
        return _bilingual(self.name_zh, self.name_en)


class AddOn(models.Model):
    """Something sold with a registration (banquet, workshop seat), with its own capacity."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="addons")
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, default=Decimal("0"))
    capacity = models.PositiveIntegerField(_("seats"), null=True, blank=True)
    active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        ordering = ["meeting", "id"]
        verbose_name = _("add-on")
        verbose_name_plural = _("add-ons")

    def __str__(self):
        return self.name_zh

    @property
    def name(self) -> str:
        return _bilingual(self.name_zh, self.name_en)


class Quota(models.Model):
    """One capacity being sold: the meeting's, a type's or an add-on's.

    ``sold + held <= size`` is checked by the database; the counters are only changed by
    ``meetings.capacity`` with row locks taken in id order inside the registration's transaction.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="quotas")
    registration_type = models.OneToOneField(
        RegistrationType, null=True, blank=True, on_delete=models.CASCADE, related_name="quota"
    )
    addon = models.OneToOneField(AddOn, null=True, blank=True, on_delete=models.CASCADE, related_name="quota")
    size = models.PositiveIntegerField()
    sold = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sold__lte=models.F("size") - models.F("held")), name="quota_not_oversold"
            ),
            models.CheckConstraint(
                condition=~(models.Q(registration_type__isnull=False) & models.Q(addon__isnull=False)),
                name="quota_one_subject",
            ),
            models.UniqueConstraint(
                fields=["meeting"],
                condition=models.Q(registration_type__isnull=True, addon__isnull=True),
                name="one_meeting_quota",
            ),
        ]

    def __str__(self):
        return f"{self.sold}+{self.held}/{self.size}"

    @property
    def free(self) -> int:
        return max(0, self.size - self.sold - self.held)


class DiscountCode(models.Model):
    class Kind(models.TextChoices):
        AMOUNT = "amount", _("Amount off")
        PERCENT = "percent", _("Percent off")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="discount_codes")
    code = models.CharField(_("code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.PERCENT)
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=2)
    max_uses = models.PositiveIntegerField(_("maximum uses"), null=True, blank=True)
    used = models.PositiveIntegerField(default=0)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    types = models.ManyToManyField(RegistrationType, blank=True, verbose_name=_("only for types"))
    active = models.BooleanField(_("active"), default=True, help_text=_("An inactive code is refused at registration."))

    class Meta:
        verbose_name = _("discount code")
        verbose_name_plural = _("discount codes")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "code"], name="unique_discount_code"),
            models.CheckConstraint(condition=models.Q(value__gt=0), name="discount_value_positive"),
        ]

    def __str__(self):
        return self.code


class Question(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        CHOICE = "choice", _("Choice")
        FILE = "file", _("File")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="questions")
    label = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.TEXT)
    choices = models.TextField(_("choices"), blank=True, help_text=_("One per line."))
    required = models.BooleanField(_("required"), default=False)
    types = models.ManyToManyField(RegistrationType, blank=True, verbose_name=_("only for types"))
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(
        _("asked"),
        default=True,
        help_text=_("A hidden question is not asked of new registrants; the answers given stay."),
    )

    class Meta:
        ordering = ["meeting", "position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.label

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class RefundRule(models.Model):
    """Cancellation policy: cancelling on or before ``until`` refunds ``percent`` of the price.
    The earliest rule whose date is not past applies; after the last one nothing is refunded."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="refund_rules")
    until = models.DateField(_("cancelled on or before"))
    percent = models.PositiveSmallIntegerField(_("refund percent"))

    class Meta:
        ordering = ["meeting", "until"]
        verbose_name = _("refund rule")
        verbose_name_plural = _("refund rules")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "until"], name="unique_refund_rule_date"),
            models.CheckConstraint(condition=models.Q(percent__lte=100), name="refund_percent_max_100"),
        ]


class GroupOrder(models.Model):
    """An institution's collective registration (单位集体报名): one contact, one invoice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="group_orders")
    contact = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    institution = models.CharField(_("institution"), max_length=200)
    buyer = models.JSONField(_("invoice details"), default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="CNY")
    invoice_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("group registration")
        verbose_name_plural = _("group registrations")

    def __str__(self):
        return f"{self.institution} ({self.pk})"


class Registration(models.Model):
    """One attendee's registration; holds a seat in every quota it uses while ``HELD``."""

    class Status(models.TextChoices):
        HELD = "held", _("Awaiting payment")
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("On the waiting list")
        EXPIRED = "expired", _("Hold expired")
        CANCELLED = "cancelled", _("Cancelled")

    SEATED = (Status.HELD, Status.CONFIRMED)

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="registrations")
    registration_type = models.ForeignKey(RegistrationType, on_delete=models.PROTECT, related_name="registrations")
    addons = models.ManyToManyField(AddOn, blank=True, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    group = models.ForeignKey(GroupOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="registrations")
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("mobile phone"), max_length=30, blank=True)
    unit = models.CharField(_("unit"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, db_index=True)
    hold_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, default=Decimal("0"))
    discount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="CNY")
    discount_code = models.ForeignKey(DiscountCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answers = models.JSONField(default=dict, blank=True)
    ticket_code = models.CharField(max_length=16, unique=True, default=new_ticket_code)
    invoice_id = models.BigIntegerField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    refund_amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    refund_note = models.CharField(max_length=300, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        indexes = [models.Index(fields=["meeting", "status"]), models.Index(fields=["meeting", "name"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="held") | models.Q(hold_expires_at__isnull=False), name="hold_has_expiry"
            ),
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=models.Q(
                    status__in=["held", "confirmed", "waitlisted"], user__isnull=False, group__isnull=True
                ),
                name="one_live_registration_per_user",
            ),
        ]

    def __str__(self):
        return f"{self.name} · {self.ticket_code}"

    @property
    def hold_expired(self) -> bool:
        return (
            self.status == self.Status.HELD
            and self.hold_expires_at is not None
            and self.hold_expires_at <= timezone.now()
        )

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None


class Certificate(models.Model):
    """An attendance certificate (证书); ``token`` is what the verification QR carries."""

    registration = models.OneToOneField(Registration, on_delete=models.PROTECT, related_name="certificate")
    number = models.CharField(max_length=40, unique=True)
    token = models.CharField(max_length=32, unique=True)
    file = models.ForeignKey("common.StoredFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self):
        return self.number
