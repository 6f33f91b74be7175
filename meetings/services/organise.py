"""Organiser's writes: meetings, their states, registration types, add-ons, codes, questions,
cancellation policy.  Each function is one transaction with an audit entry."""

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.audit import audited, record_audit, snapshot
from meetings import capacity, selectors
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


def _locked(obj):
    """The current row of a saved object, locked for the rest of the transaction (a form may
    have changed the instance it was given); None stays None."""
    if obj is None:
        return None
    return type(obj).objects.select_for_update().get(pk=obj.pk)


def _assign(obj, fields: list[str], data: dict) -> None:
    for name in fields:
        if name in data:
            setattr(obj, name, data[name])


def _save_unique(obj, message: str) -> None:
    """Save ``obj``; a unique constraint's refusal becomes ``message`` (the transaction goes on)."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise OrganiseError(message) from exc


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
        _assign(meeting, MEETING_FIELDS + ["poster"], data)
        if meeting.slug in RESERVED_SLUGS:
            raise OrganiseError(_("“%(slug)s” is reserved; choose another short name.") % {"slug": meeting.slug})
        if meeting.ends_on < meeting.starts_on:
            raise OrganiseError(_("The last day cannot be before the first day."))
        _save_unique(meeting, _("Another meeting already uses this short name."))
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
        _assign(rtype, TYPE_FIELDS, data)
        if rtype.price_early is not None and rtype.early_bird_until is None:
            raise OrganiseError(_("Give the early-bird deadline for the early-bird price."))
        rtype.save()
        _sync_quota(meeting=meeting, size=rtype.capacity, registration_type=rtype)
    return rtype


ADDON_FIELDS = ["name_zh", "name_en", "price", "capacity", "active"]
CODE_FIELDS = ["code", "kind", "value", "max_uses", "valid_from", "valid_until", "active"]
# What a registrant was promised: fixed once a registration has used the code.
CODE_FIELDS_FIXED_ONCE_USED = ["code", "kind", "value"]
QUESTION_FIELDS = ["label", "kind", "choices", "required", "position", "active"]


# Audit action names and recorded fields of the three extras.
EXTRA_KINDS = {
    AddOn: ("addon", ADDON_FIELDS),
    DiscountCode: ("discount_code", CODE_FIELDS),
    Question: ("question", QUESTION_FIELDS),
}


class InUse(OrganiseError):
    """A registration refers to the add-on, code or question: deactivate it instead of deleting."""


IN_USE_MESSAGES = {
    AddOn: gettext_lazy(
        "Registrations have bought this add-on, so it cannot be deleted. Stop selling it instead: "
        "those registrations keep it, new registrants can no longer choose it."
    ),
    DiscountCode: gettext_lazy(
        "Registrations have used this code, so it cannot be deleted. Deactivate it instead: "
        "those registrations keep their discount, the code is refused from now on."
    ),
    Question: gettext_lazy(
        "Registrants have answered this question, so it cannot be deleted. Hide it instead: "
        "new registrants are not asked it, the answers given stay in the export and on each registration."
    ),
}


def save_addon(*, meeting: Meeting, addon: AddOn | None = None, data: dict, actor) -> AddOn:
    """Create (``addon`` None) or edit an add-on in one transaction with its audit entry.  A new
    capacity resizes the add-on's quota; below the seats already sold or held it is refused."""
    with transaction.atomic():
        addon = _locked(addon) or AddOn(meeting=meeting)
        with audited(addon, ADDON_FIELDS, action="meetings.save_addon", actor=actor):
            _assign(addon, ADDON_FIELDS, data)
            addon.save()
            _sync_quota(meeting=meeting, size=addon.capacity, addon=addon)
    return addon


def save_discount_code(*, meeting: Meeting, code: DiscountCode | None = None, data: dict, types=(), actor):
    """Create (``code`` None) or edit a discount code in one transaction with its audit entry.
    Once used, only its dates, maximum uses (not below the uses so far), types and whether it
    is active may change; the code's row lock keeps registrations from using it meanwhile."""
    with transaction.atomic():
        code = _locked(code) or DiscountCode(meeting=meeting)
        fixed = {name: getattr(code, name) for name in CODE_FIELDS_FIXED_ONCE_USED}
        with audited(code, CODE_FIELDS, action="meetings.save_discount_code", actor=actor) as audit:
            _assign(code, CODE_FIELDS, data)
            code.code = code.code.strip().upper()
            if code.used and any(getattr(code, name) != value for name, value in fixed.items()):
                raise OrganiseError(
                    _("This code has been used already: its code, kind and value can no longer change.")
                )
            if code.max_uses is not None and code.max_uses < code.used:
                raise OrganiseError(
                    _("The maximum uses cannot be below the %(used)s uses so far.") % {"used": code.used}
                )
            if code.kind == DiscountCode.Kind.PERCENT and code.value > 100:
                raise OrganiseError(_("A percentage cannot exceed 100."))
            _save_unique(code, _("This code exists already for the meeting."))
            code.types.set(types)
            audit.extra["types"] = sorted(t.pk for t in types)
    return code


def _relabel_answers(*, meeting: Meeting, old: str, new: str) -> int:
    """Answers are kept under the question's label: move them to its new label."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Registration._meta.db_table} "
            "SET answers = (answers - %(old)s) || jsonb_build_object(%(new)s::text, answers -> %(old)s) "
            "WHERE meeting_id = %(meeting)s AND answers ? %(old)s",
            {"old": old, "new": new, "meeting": meeting.pk},
        )
        return cursor.rowcount


def save_question(*, meeting: Meeting, question: Question | None = None, data: dict, types=(), actor) -> Question:
    """Create (``question`` None) or edit a registration question in one transaction with its
    audit entry.  Its kind is fixed once answered; a new label carries the answers given along."""
    with transaction.atomic():
        question = _locked(question) or Question(meeting=meeting)
        old_label, old_kind = question.label, question.kind
        answered = question.pk is not None and selectors.question_answered(question)
        with audited(question, QUESTION_FIELDS, action="meetings.save_question", actor=actor) as audit:
            _assign(question, QUESTION_FIELDS, data)
            if question.kind == Question.Kind.CHOICE and not question.choice_list:
                raise OrganiseError(_("A choice question needs at least one choice."))
            if answered and question.kind != old_kind:
                raise OrganiseError(_("This question has been answered already: its kind can no longer change."))
            if meeting.questions.filter(label=question.label).exclude(pk=question.pk).exists():
                raise OrganiseError(_("Another question of this meeting already asks exactly this."))
            question.save()
            if old_label and question.label != old_label:
                audit.extra["answers_moved"] = _relabel_answers(meeting=meeting, old=old_label, new=question.label)
            question.types.set(types)
            audit.extra["types"] = sorted(t.pk for t in types)
    return question


def delete_extra(*, extra: AddOn | DiscountCode | Question, actor) -> None:
    """Delete an add-on, discount code or question that no registration refers to, in one
    transaction with its audit entry (an add-on's quota goes with it).  Raises InUse otherwise."""
    with transaction.atomic():
        extra = _locked(extra)
        if selectors.extra_in_use(extra):
            raise InUse(str(IN_USE_MESSAGES[type(extra)]))
        name, fields = EXTRA_KINDS[type(extra)]
        record_audit(actor=actor, action=f"meetings.delete_{name}", obj=extra, before=snapshot(extra, fields))
        extra.delete()


def set_extra_active(*, extra: AddOn | DiscountCode | Question, active: bool, actor):
    """Sell an add-on / accept a code / ask a question again (``active``) or stop, in one
    transaction with its audit entry.  What registrations already hold is not touched."""
    with transaction.atomic():
        extra = _locked(extra)
        name, _fields = EXTRA_KINDS[type(extra)]
        with audited(extra, ["active"], action=f"meetings.set_{name}_active", actor=actor):
            extra.active = active
            extra.save(update_fields=["active"])
    return extra


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
