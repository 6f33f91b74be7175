import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AbstractAuditEntry(models.Model):
    """Who did what to which object, when, with the state before and after.

    Append-only: written by ``common.audit.record_audit`` in the same transaction as the change.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # A plain id, not a foreign key: the audit outlives accounts and must not cascade.
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"


class AuditEntry(AbstractAuditEntry):
    """Audit trail inside one society's schema."""

    class Meta(AbstractAuditEntry.Meta):
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")


class Role(models.TextChoices):
    ADMIN = "admin", _("Secretariat administrator")
    FINANCE = "finance", _("Finance")
    ORGANISER = "organiser", _("Meeting organiser")
    REVIEWER = "reviewer", _("Reviewer")
    MEMBER = "member", _("Member")


class RoleAssignment(models.Model):
    """A person's role in this society (the account itself is shared across societies)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_role_per_user")]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self):
        return f"{self.user} · {self.get_role_display()}"


class ApiToken(models.Model):
    """A per-society API key; only its SHA-256 is stored, the key is shown once."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return "xh_" + secrets.token_urlsafe(32)


class StoredFile(models.Model):
    """A file uploaded to or generated for this society, served only by ``common.files`` views.

    ``owner_id`` names the account allowed to download it besides staff with ``staff_role``.
    """

    file = models.FileField(upload_to="files/%Y/%m/")
    filename = models.CharField(max_length=255)
    mimetype = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    kind = models.CharField(max_length=50, db_index=True)
    owner_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    staff_role = models.CharField(max_length=16, choices=Role.choices, default=Role.ADMIN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self):
        return self.filename
