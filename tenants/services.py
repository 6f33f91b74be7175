"""Creating societies: one service used by ``create_society``, the operator pages and sign-up."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context

from accounts.models import Affiliation
from common.audit import record_audit
from common.models import Role, RoleAssignment
from tenants.middleware import forget_host
from tenants.models import DisciplineGroup, Domain, Society
from tenants.schemas import clone_template_into, ensure_template_schema

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
RESERVED_SLUGS = {"www", "api", "admin", "platform", "static", "media", "mail", "public", "template", "test"}


class SocietyExists(Exception):
    def __init__(self, society: Society):
        self.society = society
        super().__init__(_("Society “%(slug)s” already exists.") % {"slug": society.slug})


class InvalidSociety(ValueError):
    pass


@dataclass
class ProvisionedSociety:
    society: Society
    domain: str
    admin: object
    admin_created: bool


def society_domain(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def society_url(society: Society, path: str = "/", request=None) -> str:
    """Absolute address on a society's site: with a request's scheme and port when there is one,
    else ``SITE_SCHEME`` and ``SITE_PORT_SUFFIX`` (e-mails, tasks)."""
    host = society_domain(society.slug)
    if request is not None:
        asked = request.get_host()
        port = f":{asked.rsplit(':', 1)[1]}" if ":" in asked else ""
        return f"{request.scheme}://{host}{port}{path}"
    return f"{settings.SITE_SCHEME}://{host}{settings.SITE_PORT_SUFFIX}{path}"


def validate_slug(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        raise InvalidSociety(
            _("The short name must be 3–40 characters: lower-case letters, digits and hyphens, starting with a letter.")
        )
    if slug in RESERVED_SLUGS:
        raise InvalidSociety(_("“%(slug)s” is reserved; choose another short name.") % {"slug": slug})
    return slug


def create_society(
    *,
    slug: str,
    name_zh: str,
    name_en: str = "",
    admin_email: str,
    admin_name: str = "",
    admin_password: str | None = None,
    discipline_group: str = DisciplineGroup.SCIENCE,
    legal_name: str = "",
    actor=None,
) -> ProvisionedSociety:
    """Create a society: its row, schema (cloned from the template), domain and first administrator.

    One transaction: when any step fails, no row, schema, domain or role is left behind.
    The administrator's account is reused when the e-mail already has one (one account per
    person).  Raises SocietyExists when the slug is taken, InvalidSociety for bad input.
    """
    slug = validate_slug(slug)
    if not (name_zh or "").strip():
        raise InvalidSociety(_("The Chinese name is required."))
    admin_email = (admin_email or "").strip().lower()
    if "@" not in admin_email:
        raise InvalidSociety(_("Enter a valid e-mail address for the administrator."))
    if discipline_group not in DisciplineGroup.values:
        raise InvalidSociety(_("Unknown discipline group."))
    connection.set_schema_to_public()
    existing = Society.objects.filter(slug=slug).first()
    if existing:
        raise SocietyExists(existing)
    ensure_template_schema()
    User = get_user_model()
    schema = "s_" + slug.replace("-", "_")
    try:
        with transaction.atomic():
            society = Society.objects.create(
                schema_name=schema,
                slug=slug,
                name_zh=name_zh.strip(),
                name_en=(name_en or "").strip(),
                discipline_group=discipline_group,
                legal_name=(legal_name or name_zh).strip(),
                contact_email=admin_email,
            )
            domain = Domain.objects.create(domain=society_domain(slug), tenant=society, is_primary=True)
            clone_template_into(schema)
            admin = User.objects.filter(email=admin_email).first()
            admin_created = admin is None
            if admin_created:
                admin = User.objects.create_user(admin_email, admin_password, name=admin_name or admin_email)
            record_audit(
                actor=actor,
                action="tenants.create_society",
                obj=society,
                after={"slug": slug, "schema": schema, "admin": admin_email},
            )
            Affiliation.objects.get_or_create(user=admin, society=society)
            with schema_context(schema):
                RoleAssignment.objects.create(user=admin, role=Role.ADMIN)
                record_audit(actor=actor, action="tenants.grant_role", obj=admin, after={"role": Role.ADMIN})
    except IntegrityError as exc:
        existing = Society.objects.filter(slug=slug).first()
        if existing:  # lost a race with a concurrent creation of the same slug
            raise SocietyExists(existing) from exc
        raise
    finally:
        connection.set_schema_to_public()
    forget_host(domain.domain)
    return ProvisionedSociety(society=society, domain=domain.domain, admin=admin, admin_created=admin_created)


def ensure_platform() -> Society:
    """The platform's own tenant row (public schema) with the base domain; created once."""
    public = get_public_schema_name()
    society, _created = Society.objects.get_or_create(
        schema_name=public,
        defaults={"slug": "platform", "name_zh": "学会云平台", "name_en": "Xuehui platform"},
    )
    Domain.objects.get_or_create(domain=settings.BASE_DOMAIN, defaults={"tenant": society, "is_primary": True})
    forget_host(settings.BASE_DOMAIN)
    return society


def current_society() -> Society:
    """The society whose schema is selected (a request's tenant, or looked up inside tasks and
    ``schema_context`` blocks, where django-tenants only knows the schema name)."""
    tenant = connection.tenant
    if tenant is None or connection.schema_name == get_public_schema_name():
        raise RuntimeError("no society selected")
    if isinstance(tenant, Society):
        return tenant
    return Society.objects.get(schema_name=connection.schema_name)


def link_person(*, user) -> None:
    """Record in the platform that ``user`` belongs to the current society (idempotent)."""
    Affiliation.objects.get_or_create(user=user, society_id=current_society().pk)


def grant_role(*, user, role: str, actor=None) -> RoleAssignment:
    """Give ``user`` a role in the current society (idempotent)."""
    with transaction.atomic():
        assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role)
        if created:
            link_person(user=user)
            record_audit(actor=actor, action="tenants.grant_role", obj=user, after={"role": role})
    return assignment


def revoke_role(*, user, role: str, actor=None) -> None:
    with transaction.atomic():
        deleted, _ = RoleAssignment.objects.filter(user=user, role=role).delete()
        if deleted:
            record_audit(actor=actor, action="tenants.revoke_role", obj=user, before={"role": role})
