"""Call for papers, submissions, programme committee, conflicts, bids, assignments, reviews, decisions.

Blindness is enforced by the selectors and views that read these rows, never by the rows
themselves: ``SubmissionAuthor`` holds names and e-mails and only author/chair code paths read it.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class ReviewMode(models.TextChoices):
    SINGLE_BLIND = "single", _("Single-blind")
    DOUBLE_BLIND = "double", _("Double-blind")


class Call(models.Model):
    """The call for papers (征文) of one meeting; its deadlines are instants, shown in ``time_zone``."""

    meeting = models.OneToOneField("meetings.Meeting", on_delete=models.PROTECT, related_name="call_for_papers")
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    review_mode = models.CharField(
        _("review mode"), max_length=8, choices=ReviewMode.choices, default=ReviewMode.DOUBLE_BLIND
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    submission_deadline = models.DateTimeField(_("submission deadline"))
    review_deadline = models.DateTimeField(_("review deadline"))
    decision_date = models.DateTimeField(_("decision date"))
    camera_ready_deadline = models.DateTimeField(_("camera-ready deadline"))
    max_pages = models.PositiveIntegerField(_("maximum pages"), default=10)
    max_size_mb = models.PositiveIntegerField(_("maximum file size (MB)"), default=10)
    reviewers_per_paper = models.PositiveIntegerField(_("reviewers per paper"), default=3)
    reviews_visible_after_own = models.BooleanField(
        _("reviewers see other reviews only after submitting their own"), default=True
    )
    attach_reviews_to_notifications = models.BooleanField(_("attach reviews to decision e-mails"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submission_deadline"]
        verbose_name = _("call for papers")
        verbose_name_plural = _("calls for papers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(review_deadline__gte=models.F("submission_deadline")),
                name="call_review_after_submission",
            ),
            models.CheckConstraint(condition=models.Q(reviewers_per_paper__gte=1), name="call_k_positive"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_double_blind(self) -> bool:
        return self.review_mode == ReviewMode.DOUBLE_BLIND

    def submissions_open(self, now=None) -> bool:
        return (now or timezone.now()) < self.submission_deadline

    def reviews_open(self, now=None) -> bool:
        return (now or timezone.now()) < self.review_deadline


class Track(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="tracks")
    name = models.CharField(_("name"), max_length=200)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["call", "name"], name="unique_track_name")]

    def __str__(self):
        return self.name


class Topic(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="topics")
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["call", "name"], name="unique_topic_name")]

    def __str__(self):
        return self.name


class Submission(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="submissions")
    number = models.PositiveIntegerField(_("number"))
    track = models.ForeignKey(Track, on_delete=models.PROTECT, null=True, blank=True, related_name="submissions")
    title_zh = models.CharField(_("title (Chinese)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    abstract_zh = models.TextField(_("abstract (Chinese)"), blank=True)
    abstract_en = models.TextField(_("abstract (English)"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="submissions")
    submitter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.UniqueConstraint(fields=["call", "number"], name="unique_submission_number"),
            models.CheckConstraint(condition=~models.Q(title_zh="", title_en=""), name="submission_has_a_title"),
        ]

    def __str__(self):
        return f"#{self.number} {self.title}"

    @property
    def title(self) -> str:
        if (get_language() or "").startswith("en") and self.title_en:
            return self.title_en
        return self.title_zh or self.title_en

    @property
    def abstract(self) -> str:
        if (get_language() or "").startswith("en") and self.abstract_en:
            return self.abstract_en
        return self.abstract_zh or self.abstract_en

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.SUBMITTED


class SubmissionAuthor(models.Model):
    """One author, in order.  ``user`` is linked when an account with the e-mail exists."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="authors")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("e-mail"))
    affiliation = models.CharField(_("affiliation"), max_length=300)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_corresponding = models.BooleanField(_("corresponding author"), default=False)
    is_presenting = models.BooleanField(_("presenting author"), default=False)

    class Meta:
        ordering = ["submission", "position"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "position"], name="unique_author_position"),
            models.UniqueConstraint(fields=["submission", "email"], name="unique_author_email"),
        ]

    def __str__(self):
        return self.name


class SubmissionFile(models.Model):
    class Kind(models.TextChoices):
        ORIGINAL = "original", _("Submitted PDF")
        SANITISED = "sanitised", _("Anonymised copy for reviewers")
        CAMERA_READY = "camera_ready", _("Camera-ready PDF")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    stored = models.ForeignKey("common.StoredFile", on_delete=models.PROTECT, related_name="+")
    pages = models.PositiveIntegerField()
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "kind"], condition=models.Q(is_current=True), name="one_current_file_per_kind"
            )
        ]


class CommitteeMember(models.Model):
    """A person on the programme committee of a call: reviewer or chair, with load and expertise."""

    class Role(models.TextChoices):
        REVIEWER = "reviewer", _("Reviewer")
        CHAIR = "chair", _("Programme chair")

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="committee")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.REVIEWER)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.INVITED)
    affiliation = models.CharField(_("affiliation"), max_length=300, blank=True)
    max_load = models.PositiveIntegerField(_("maximum papers"), default=5)
    topics = models.ManyToManyField(Topic, blank=True, related_name="experts")
    invited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["call", "user__name"]
        constraints = [models.UniqueConstraint(fields=["call", "user"], name="unique_committee_member")]

    def __str__(self):
        return self.user.name

    @property
    def is_chair(self) -> bool:
        return self.role == self.Role.CHAIR


class Bid(models.Model):
    class Level(models.TextChoices):
        EAGER = "eager", _("Eager")
        WILLING = "willing", _("Willing")
        NOT_WILLING = "not_willing", _("Not willing")
        CONFLICT = "conflict", _("Conflict")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="bids")
    member = models.ForeignKey(CommitteeMember, on_delete=models.CASCADE, related_name="bids")
    level = models.CharField(_("bid"), max_length=12, choices=Level.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "member"], name="unique_bid")]


class Conflict(models.Model):
    """A conflict of interest between a person and a paper.  Automatic rows are rebuilt by
    ``reviews.services.conflicts.refresh_conflicts``; declared rows are kept."""

    class Source(models.TextChoices):
        AUTHOR = "author", _("Author of the paper")
        INSTITUTION = "institution", _("Same institution as an author")
        DOMAIN = "domain", _("Same e-mail domain as an author")
        COAUTHOR = "coauthor", _("Co-author of an author in this meeting")
        DECLARED_BY_REVIEWER = "reviewer", _("Declared by the reviewer")
        DECLARED_BY_AUTHOR = "declared_author", _("Declared by the authors")

    AUTOMATIC = (Source.AUTHOR, Source.INSTITUTION, Source.DOMAIN, Source.COAUTHOR)

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="conflicts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "user", "source"], name="unique_conflict")]


class Assignment(models.Model):
    class Origin(models.TextChoices):
        AUTOMATIC = "auto", _("Automatic")
        MANUAL = "manual", _("By hand")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="assignments")
    member = models.ForeignKey(CommitteeMember, on_delete=models.CASCADE, related_name="assignments")
    affinity = models.DecimalField(max_digits=6, decimal_places=3, default=Decimal("0"))
    origin = models.CharField(max_length=8, choices=Origin.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "member"], name="unique_assignment")]


class Criterion(models.Model):
    """A scored question of the call's review form."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("criterion"), max_length=200)
    scale_min = models.SmallIntegerField(_("lowest score"), default=1)
    scale_max = models.SmallIntegerField(_("highest score"), default=5)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=Decimal("1"))

    class Meta:
        ordering = ["call", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(scale_max__gt=models.F("scale_min")), name="criterion_scale"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="criterion_weight_positive"),
        ]

    def __str__(self):
        return self.name


class Review(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="review")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    scores = models.JSONField(default=dict)  # {criterion id (str): score}
    confidence = models.PositiveSmallIntegerField(_("confidence"), null=True, blank=True)
    comments_to_authors = models.TextField(_("comments to the authors"), blank=True)
    confidential_comments = models.TextField(_("confidential comments to the committee"), blank=True)
    average = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    weighted = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class DiscussionPost(models.Model):
    """A committee message about a paper; ``is_meta_review`` marks the track chair's summary."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="discussion")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("message"))
    is_meta_review = models.BooleanField(_("meta-review"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class Outcome(models.TextChoices):
    ACCEPT_ORAL = "accept_oral", _("Accept (oral)")
    ACCEPT_POSTER = "accept_poster", _("Accept (poster)")
    REVISE = "revise", _("Revise and resubmit")
    REJECT = "reject", _("Reject")


ACCEPTED = (Outcome.ACCEPT_ORAL, Outcome.ACCEPT_POSTER)


class Decision(models.Model):
    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="decision")
    outcome = models.CharField(_("decision"), max_length=16, choices=Outcome.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    camera_ready_checked = models.JSONField(default=list, blank=True)

    @property
    def is_accept(self) -> bool:
        return self.outcome in ACCEPTED


class NotificationTemplate(models.Model):
    """The editable decision e-mail of a call for one outcome.  Placeholders: {title}, {number},
    {outcome}, {meeting}, {reviews}."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="notification_templates")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["call", "outcome"], name="unique_notification_template")]
