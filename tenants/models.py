from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from common.models import AbstractAuditEntry


class DisciplineGroup(models.TextChoices):
    SCIENCE = "理科", _("Science")
    ENGINEERING = "工科", _("Engineering")
    AGRICULTURE = "农科", _("Agriculture")
    MEDICINE = "医科", _("Medicine")
    INTERDISCIPLINARY = "交叉", _("Interdisciplinary")


class Society(TenantMixin):
    """A national society; its data lives in its own PostgreSQL schema (``schema_name``)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    discipline_group = models.CharField(
        _("discipline group"), max_length=8, choices=DisciplineGroup.choices, default=DisciplineGroup.SCIENCE
    )
    legal_name = models.CharField(_("legal name"), max_length=300, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    # Schemas are created by tenants.provisioning (cloning the template schema), never by save().
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["slug"]
        verbose_name = _("society")
        verbose_name_plural = _("societies")

    def __str__(self):
        return self.name_zh

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")


class PlatformAuditEntry(AbstractAuditEntry):
    """Audit trail of writes made on the platform (public schema): societies, plans, operators."""

    class Meta(AbstractAuditEntry.Meta):
        verbose_name = _("platform audit entry")
        verbose_name_plural = _("platform audit entries")
