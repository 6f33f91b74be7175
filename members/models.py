"""Membership of one society: categories, applications, members, their status history and terms.

Every write goes through ``members.services`` (lifecycle), ``members.imports`` (spreadsheets)
or ``members.renewal`` (the periodic job); these models only hold fields, constraints and
cheap derived values.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MembershipSettings(models.Model):
    """The society's membership rules (one row per schema, pk=1)."""

    number_prefix = models.CharField(_("member number prefix"), max_length=12, default="M", blank=True)
    number_digits = models.PositiveSmallIntegerField(_("digits of the sequence"), default=5)
    grace_days = models.PositiveSmallIntegerField(_("grace period (days)"), default=90)
    renewal_lead_days = models.PositiveSmallIntegerField(_("renewal invoice (days before expiry)"), default=30)
    # Days relative to expiry (positive: before it) on which a reminder e-mail goes out.
    reminder_offsets = models.JSONField(_("reminder offsets (days before expiry)"), default=list)

    class Meta:
        verbose_name = _("membership settings")

    @classmethod
    def current(cls) -> "MembershipSettings":
        obj, _created = cls.objects.get_or_create(pk=1, defaults={"reminder_offsets": [30, 7, 0]})
        return obj


class NumberCounter(models.Model):
    """Last sequence number issued per year; a number is never reused (rows only grow)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class CategoryKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    INSTITUTIONAL = "institutional", _("Institutional")
    HONORARY = "honorary", _("Honorary")


class Term(models.TextChoices):
    ANNUAL = "annual", _("Annual")
    MULTI_YEAR = "multi_year", _("Several years")
    LIFETIME = "lifetime", _("Lifetime")


class TermBasis(models.TextChoices):
    CALENDAR = "calendar", _("Calendar year")
    ROLLING = "rolling", _("From the start date")


class MembershipCategory(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CategoryKind.choices, default=CategoryKind.INDIVIDUAL)
    fee = models.DecimalField(_("dues"), max_digits=10, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    term = models.CharField(_("term"), max_length=12, choices=Term.choices, default=Term.ANNUAL)
    term_years = models.PositiveSmallIntegerField(_("years per term"), default=1)
    term_basis = models.CharField(_("term basis"), max_length=10, choices=TermBasis.choices, default=TermBasis.ROLLING)
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    evidence_label = models.CharField(_("evidence to upload"), max_length=100, blank=True)
    approval_before_payment = models.BooleanField(_("approve before payment"), default=True)
    endorsements_required = models.PositiveSmallIntegerField(_("endorsements required"), default=0)
    seats = models.PositiveSmallIntegerField(_("representative seats"), default=0)
    open_for_applications = models.BooleanField(_("open for online applications"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("membership category")
        verbose_name_plural = _("membership categories")
        constraints = [models.CheckConstraint(condition=models.Q(fee__gte=0), name="category_fee_not_negative")]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh


# What the secretariat sets on a category, through the console form and the API alike.
CATEGORY_FIELDS = [
    "code",
    "name_zh",
    "name_en",
    "kind",
    "fee",
    "currency",
    "term",
    "term_years",
    "term_basis",
    "evidence_required",
    "evidence_label",
    "approval_before_payment",
    "endorsements_required",
    "seats",
    "open_for_applications",
]


class Gender(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident identity card")
    PASSPORT = "passport", _("Passport")
    OTHER = "other", _("Other document")


class Degree(models.TextChoices):
    BACHELOR = "bachelor", _("Bachelor")
    MASTER = "master", _("Master")
    DOCTORATE = "doctorate", _("Doctorate")
    OTHER = "other", _("Other")


class PersonProfile(models.Model):
    """The fields a person gives when applying and a member keeps up to date."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    id_type = models.CharField(_("ID type"), max_length=12, choices=IdType.choices, blank=True)
    id_number = models.CharField(_("ID number"), max_length=30, blank=True)
    work_unit = models.CharField(_("work unit"), max_length=120, blank=True)
    title = models.CharField(_("professional title"), max_length=60, blank=True)
    discipline = models.CharField(_("discipline"), max_length=60, blank=True)
    degree = models.CharField(_("highest degree"), max_length=12, choices=Degree.choices, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)  # normalised "+8613812345678"
    email = models.EmailField(_("e-mail"), blank=True)  # stored lower-case
    address = models.CharField(_("postal address"), max_length=200, blank=True)
    region = models.CharField(_("region"), max_length=30, blank=True)

    class Meta:
        abstract = True


class MemberStatus(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    PENDING_PAYMENT = "pending_payment", _("Pending payment")
    ACTIVE = "active", _("Active")
    GRACE = "grace", _("Grace period")
    LAPSED = "lapsed", _("Lapsed")
    RESIGNED = "resigned", _("Resigned")
    TERMINATED = "terminated", _("Terminated")
    DECEASED = "deceased", _("Deceased")
    REJECTED = "rejected", _("Application rejected")


S = MemberStatus
_LEAVING = {S.RESIGNED, S.TERMINATED, S.DECEASED}
TRANSITIONS: dict[str, set[str]] = {
    S.APPLICANT: {S.PENDING_PAYMENT, S.ACTIVE, S.REJECTED},
    S.PENDING_PAYMENT: {S.ACTIVE, S.REJECTED, S.LAPSED},
    S.ACTIVE: {S.GRACE} | _LEAVING,
    S.GRACE: {S.ACTIVE, S.LAPSED} | _LEAVING,
    S.LAPSED: {S.ACTIVE, S.PENDING_PAYMENT} | _LEAVING,
    S.RESIGNED: set(),
    S.TERMINATED: set(),
    S.DECEASED: set(),
    S.REJECTED: {S.APPLICANT},
}
# Members who enjoy member rights today (member prices, card shows valid).
IN_GOOD_STANDING = (S.ACTIVE, S.GRACE)

# The personal fields of an application and a member, in the order forms, exports, imports and
# the API show them.
PROFILE_FIELDS = [
    "name_zh",
    "name_en",
    "gender",
    "birth_date",
    "id_type",
    "id_number",
    "work_unit",
    "title",
    "discipline",
    "degree",
    "mobile",
    "email",
    "address",
    "region",
]


def _verify_token() -> str:
    return secrets.token_urlsafe(16)


class Member(PersonProfile):
    """A person (or institution) on the society's roll, whatever their status.

    ``user`` is empty for members imported from a spreadsheet who have no account yet.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    category = models.ForeignKey(MembershipCategory, on_delete=models.PROTECT, related_name="members")
    number = models.CharField(_("member number"), max_length=30, null=True, blank=True, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=MemberStatus.choices, default=S.APPLICANT)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    term_start = models.DateField(_("term start"), null=True, blank=True)
    term_end = models.DateField(_("term end"), null=True, blank=True)  # empty: lifetime
    name_en_key = models.CharField(max_length=100, blank=True, editable=False)  # lower-case, for search
    verify_token = models.CharField(max_length=32, unique=True, default=_verify_token, editable=False)
    card_file = models.ForeignKey("common.StoredFile", on_delete=models.SET_NULL, null=True, blank=True)
    institution_representatives = models.TextField(_("named representatives"), blank=True)
    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(user__isnull=False), name="member_one_per_user"
            ),
            models.UniqueConstraint(fields=["email"], condition=~models.Q(email=""), name="member_unique_email"),
            models.UniqueConstraint(
                fields=["id_number"], condition=~models.Q(id_number=""), name="member_unique_id_number"
            ),
        ]
        # Prefix search (LIKE 'q%') on every searchable column: btree pattern indexes work on
        # any PostgreSQL (the embedded server has no pg_trgm) and survive the template clone.
        indexes = [
            models.Index(fields=["name_zh"], name="member_name_zh_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name_en_key"], name="member_name_en_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["email"], name="member_email_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["mobile"], name="member_mobile_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["number"], name="member_number_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["work_unit"], name="member_work_unit_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["status", "-id"], name="member_status_id"),
            models.Index(fields=["term_end"], name="member_term_end"),
            models.Index(fields=["name_zh"], name="member_name_zh_order"),
            models.Index(fields=["category", "name_zh"], name="member_category_name"),
            # The board's incremental fill: members added since its mark, joins of a month.
            models.Index(fields=["created_at"], name="member_created_at"),
            models.Index(fields=["joined_on"], name="member_joined_on"),
        ]

    def __str__(self):
        return f"{self.name_zh} ({self.number or self.get_status_display()})"

    @property
    def in_good_standing(self) -> bool:
        return self.status in IN_GOOD_STANDING

    def valid_on(self, day) -> bool:
        if self.status not in IN_GOOD_STANDING:
            return False
        return self.term_end is None or self.term_end >= day or self.status == S.GRACE


class StatusChange(models.Model):
    """Append-only history of a member's status: never updated or deleted."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=16, choices=MemberStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=MemberStatus.choices)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=254, blank=True)
    reason = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        # The board's incremental fill reads the changes since a time.
        indexes = [models.Index(fields=["at"], name="statuschange_at")]


class TermKind(models.TextChoices):
    JOIN = "join", _("Joining")
    RENEWAL = "renewal", _("Renewal")
    UPGRADE = "upgrade", _("Category change")
    REINSTATEMENT = "reinstatement", _("Reinstatement")
    IMPORT = "import", _("Imported")


class MemberTerm(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="terms")
    category = models.ForeignKey(MembershipCategory, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=TermKind.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on", "id"]
        # The board's incremental fill: terms written since its mark, renewals of a month.
        indexes = [models.Index(fields=["created_at"], name="memberterm_created_at")]


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ENDORSING = "endorsing", _("Waiting for endorsements")
    AWAITING_PAYMENT = "awaiting_payment", _("Waiting for payment")
    SUBMITTED = "submitted", _("Waiting for review")
    INFO_REQUESTED = "info_requested", _("More information requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Application(PersonProfile):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(MembershipCategory, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT)
    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="applications")
    evidence = models.ForeignKey("common.StoredFile", on_delete=models.SET_NULL, null=True, blank=True)
    endorser_emails = models.TextField(_("endorsers' e-mail addresses"), blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    reviewed_by_id = models.BigIntegerField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("application")

    def __str__(self):
        return f"{self.name_zh} · {self.category_id}"


class Endorsement(models.Model):
    """A request to an active member to endorse (推荐) an application; given on the site."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        GIVEN = "given", _("Given")
        DECLINED = "declined", _("Declined")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="endorsements")
    endorser = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32, unique=True, default=_verify_token)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "endorser"], name="one_endorsement_per_endorser")]


class ChargeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class MembershipCharge(models.Model):
    """What a member owes for joining, renewal, upgrade or reinstatement: the record the dues
    capability bills (``invoice.subject_id`` is this row's id) and settles once through
    ``members.billing.invoice_paid``."""

    PURPOSES = ("membership.join", "membership.renewal", "membership.upgrade", "membership.reinstatement")
    PURPOSE_LABELS = {
        "membership.join": _("Membership dues"),
        "membership.renewal": _("Membership renewal"),
        "membership.upgrade": _("Category change"),
        "membership.reinstatement": _("Reinstatement"),
    }

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="charges")
    category = models.ForeignKey(MembershipCategory, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=30)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ChargeStatus.choices, default=ChargeStatus.OPEN)
    invoice_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The renewal job may run any number of times: one renewal charge per member and term.
            models.UniqueConstraint(
                fields=["member", "purpose", "period_start"],
                condition=models.Q(purpose="membership.renewal"),
                name="one_renewal_charge_per_term",
            ),
        ]

    @property
    def purpose_label(self) -> str:
        return str(self.PURPOSE_LABELS.get(self.purpose, self.purpose))


class ReminderSent(models.Model):
    """Which renewal reminder went out, so a second run of the job sends nothing new."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    term_end = models.DateField()
    offset_days = models.SmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "term_end", "offset_days"], name="one_reminder_per_offset")
        ]


class ImportJob(models.Model):
    """An uploaded spreadsheet: its dry-run report, then (when confirmed) the import's result."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    source = models.ForeignKey("common.StoredFile", on_delete=models.PROTECT, related_name="+")
    error_file = models.ForeignKey("common.StoredFile", on_delete=models.SET_NULL, null=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    report = models.JSONField(default=dict)
    progress = models.PositiveSmallIntegerField(default=0)
    created_by_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
