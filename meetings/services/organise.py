"""Organiser's writes: meetings, their states, registration types, add-ons, codes, questions,
cancellation policy.  Each function is one transaction with an audit entry."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from common.audit import audited, record_audit, snapshot
from meetings import capacity
from meetings.models import AddOn, DiscountCode, Meeting, Question, Quota, RefundRule, Registration, RegistrationType


class OrganiseError(ValueError):
    pass


MEETING_FIELDS = [
    "slug",
    "title_zh",
    "title_en",
    "starts_on",
    "ends_on",
    "venue",
    "online",
    "description",
    "organisers",
    "co_organisers",
    "contact",
    "hold_minutes",
    "substitution_deadline",
    "capacity",
]
TYPE_FIELDS = [
    "name_zh",
    "name_en",
    "kind",
    "member_category",
    "currency",
    "price_early",
    "early_bird_until",
    "price",
    "price_onsite",
    "capacity",
    "position",
    "active",
]
# Path segments of meetings/urls.py that a meeting's slug must not shadow.
RESERVED_SLUGS = {"console", "mine", "r", "groups", "verify"}
S = Meeting.Status
TRANSITIONS = {
    S.DRAFT: {S.PUBLISHED, S.REGISTRATION_OPEN, S.CANCELLED},
    S.PUBLISHED: {S.REGISTRATION_OPEN, S.DRAFT, S.CANCELLED},
    S.REGISTRATION_OPEN: {S.CLOSED, S.CANCELLED},
    S.CLOSED: {S.REGISTRATION_OPEN, S.FINISHED, S.CANCELLED},
    S.FINISHED: set(),
    S.CANCELLED: set(),
}


def _sync_quota(*, meeting, size, registration_type=None, addon=None) -> None:
    """Keep the Quota row of a capacity in step with its ``capacity`` field.  A new quota
    starts from the seats its live registrations already occupy."""
    try:
        quota = capacity.ensure_quota(meeting=meeting, size=size, registration_type=registration_type, addon=addon)
    except ValueError as exc:
        raise OrganiseError(str(exc)) from exc
    if quota is None or quota.sold or quota.held:
        return
    regs = Registration.objects.filter(meeting=meeting)
    if registration_type is not None:
        regs = regs.filter(registration_type=registration_type)
    if addon is not None:
        regs = regs.filter(addons=addon)
    sold = regs.filter(status=Registration.Status.CONFIRMED).count()
    held = regs.filter(status=Registration.Status.HELD).count()
    if sold + held > size:
        raise OrganiseError(
            _("%(taken)s seats are already taken; the capacity cannot be smaller.") % {"taken": sold + held}
        )
    Quota.objects.filter(pk=quota.pk).update(sold=sold, held=held)


def save_meeting(*, meeting: Meeting | None = None, data: dict, actor) -> Meeting:
    """Create (``meeting`` None) or update a meeting from cleaned form data."""
    meeting = meeting or Meeting()
    with transaction.atomic(), audited(meeting, MEETING_FIELDS, action="meetings.save_meeting", actor=actor):
        for name in MEETING_FIELDS + ["poster"]:
            if name in data:
                setattr(meeting, name, data[name])
        if meeting.slug in RESERVED_SLUGS:
            raise OrganiseError(_("“%(slug)s” is reserved; choose another short name.") % {"slug": meeting.slug})
        if meeting.ends_on < meeting.starts_on:
            raise OrganiseError(_("The last day cannot be before the first day."))
        try:
            with transaction.atomic():
                meeting.save()
        except IntegrityError as exc:
            raise OrganiseError(_("Another meeting already uses this short name.")) from exc
        _sync_quota(meeting=meeting, size=meeting.capacity)
    return meeting


def set_meeting_status(*, meeting: Meeting, status: str, actor) -> Meeting:
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if status not in TRANSITIONS.get(meeting.status, set()):
            raise OrganiseError(
                _("A meeting that is “%(old)s” cannot become “%(new)s”.")
                % {"old": meeting.get_status_display(), "new": S(status).label}
            )
        if status == S.REGISTRATION_OPEN and not meeting.types.filter(active=True).exists():
            raise OrganiseError(_("Add at least one registration type before opening registration."))
        with audited(meeting, ["status"], action="meetings.set_meeting_status", actor=actor):
            meeting.status = status
            meeting.save(update_fields=["status", "updated_at"])
    return meeting


def save_registration_type(*, meeting: Meeting, registration_type: RegistrationType | None = None, data: dict, actor):
    rtype = registration_type or RegistrationType(meeting=meeting)
    with transaction.atomic(), audited(rtype, TYPE_FIELDS, action="meetings.save_registration_type", actor=actor):
        for name in TYPE_FIELDS:
            if name in data:
                setattr(rtype, name, data[name])
        if rtype.price_early is not None and rtype.early_bird_until is None:
            raise OrganiseError(_("Give the early-bird deadline for the early-bird price."))
        rtype.save()
        _sync_quota(meeting=meeting, size=rtype.capacity, registration_type=rtype)
    return rtype


def save_addon(*, meeting: Meeting, addon: AddOn | None = None, data: dict, actor) -> AddOn:
    fields = ["name_zh", "name_en", "price", "capacity", "active"]
    with transaction.atomic():
        addon = addon or AddOn(meeting=meeting)
        for name in fields:
            if name in data:
                setattr(addon, name, data[name])
        addon.save()
        _sync_quota(meeting=meeting, size=addon.capacity, addon=addon)
        record_audit(actor=actor, action="meetings.save_addon", obj=addon, after=snapshot(addon, fields))
    return addon


def create_discount_code(*, meeting: Meeting, data: dict, types=(), actor) -> DiscountCode:
    fields = ["code", "kind", "value", "max_uses", "valid_from", "valid_until"]
    with transaction.atomic():
        code = DiscountCode(meeting=meeting, **{k: data[k] for k in fields if k in data})
        code.code = code.code.strip().upper()
        if code.kind == DiscountCode.Kind.PERCENT and code.value > 100:
            raise OrganiseError(_("A percentage cannot exceed 100."))
        try:
            with transaction.atomic():
                code.save()
        except IntegrityError as exc:
            raise OrganiseError(_("This code exists already for the meeting.")) from exc
        if types:
            code.types.set(types)
        record_audit(actor=actor, action="meetings.create_discount_code", obj=code, after=snapshot(code, fields))
    return code


def save_question(*, meeting: Meeting, data: dict, types=(), actor) -> Question:
    fields = ["label", "kind", "choices", "required", "position"]
    with transaction.atomic():
        question = Question.objects.create(meeting=meeting, **{k: data[k] for k in fields if k in data})
        if question.kind == Question.Kind.CHOICE and not question.choice_list:
            raise OrganiseError(_("A choice question needs at least one choice."))
        if types:
            question.types.set(types)
        record_audit(actor=actor, action="meetings.save_question", obj=question, after=snapshot(question, fields))
    return question


def set_refund_rules(*, meeting: Meeting, rules: list[tuple], actor) -> None:
    """Replace the cancellation policy with ``rules``: (last day, percent) pairs."""
    with transaction.atomic():
        before = [(r.until, r.percent) for r in meeting.refund_rules.all()]
        meeting.refund_rules.all().delete()
        for until, percent in sorted(rules):
            if not 0 <= percent <= 100:
                raise OrganiseError(_("A refund percent lies between 0 and 100."))
            RefundRule.objects.create(meeting=meeting, until=until, percent=percent)
        record_audit(actor=actor, action="meetings.set_refund_rules", obj=meeting, before=before, after=sorted(rules))
