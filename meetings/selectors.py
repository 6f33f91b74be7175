"""Reads of the meetings app: reusable querysets and figures."""

from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.fields.json import KeyTextTransform

from meetings.models import AddOn, DiscountCode, Meeting, Question, Quota, Registration, RegistrationType


def membership_of(user) -> tuple[bool, str | None]:
    """Whether ``user`` is an active member here, and their membership category code."""
    from members.selectors import is_active_member, member_category_code

    if not is_active_member(user):
        return False, None
    return True, member_category_code(user)


def public_meetings():
    return Meeting.objects.exclude(status=Meeting.Status.DRAFT).select_related("poster")


def open_types(meeting):
    return meeting.types.filter(active=True).select_related("quota")


def questions_for(meeting, registration_type):
    """The questions asked of a new registrant of ``registration_type`` (hidden ones are not)."""
    for_type = Q(types__isnull=True) | Q(types=registration_type)
    return Question.objects.filter(for_type, meeting=meeting, active=True).distinct().order_by("position", "id")


def question_answered(question: Question) -> bool:
    """Whether any registration holds a non-empty answer to ``question`` (answers are kept by label)."""
    return (
        Registration.objects.filter(meeting_id=question.meeting_id)
        .annotate(answer=KeyTextTransform(question.label, "answers"))
        .filter(answer__isnull=False)
        .exclude(answer="")
        .exists()
    )


def extra_in_use(extra: AddOn | DiscountCode | Question) -> bool:
    """Whether a registration refers to an add-on (bought it), a discount code (used it, even if
    cancelled since) or a question (answered it): then it can be deactivated but not deleted."""
    if isinstance(extra, AddOn):
        return extra.registrations.exists()
    if isinstance(extra, DiscountCode):
        return extra.used > 0 or Registration.objects.filter(discount_code=extra).exists()
    return question_answered(extra)


def answer_text(value) -> str:
    """An answer as text: an uploaded file's name, else the value."""
    if isinstance(value, dict):
        return value.get("name", "")
    return str(value or "")


def answer_rows(registration: Registration) -> list[dict]:
    """The registrant's answers, hidden or deleted questions included, for the organiser."""
    return [
        {
            "label": label,
            "text": answer_text(value),
            "file_id": value.get("file") if isinstance(value, dict) else None,
        }
        for label, value in registration.answers.items()
        if answer_text(value)
    ]


def has_paid_registration(meeting, user) -> bool:
    """True when ``user`` holds a confirmed, paid (or free) registration for ``meeting``."""
    if not getattr(user, "is_authenticated", False):
        return False
    return Registration.objects.filter(meeting=meeting, user=user, status=Registration.Status.CONFIRMED).exists()


def paid_registrants(meeting):
    """The accounts ``has_paid_registration(meeting, ·)`` holds for, as one queryset (to check many at once)."""
    from django.contrib.auth import get_user_model

    confirmed = Registration.objects.filter(meeting=meeting, status=Registration.Status.CONFIRMED, user__isnull=False)
    return get_user_model().objects.filter(pk__in=confirmed.values("user_id"))


def registrations_of(user):
    return (
        Registration.objects.filter(Q(user=user) | Q(group__contact=user))
        .select_related("meeting", "registration_type", "certificate")
        .order_by("-meeting__starts_on", "-created_at")
    )


def live_registration(meeting, user) -> Registration | None:
    """The person's own active registration (at most one: a unique constraint says so)."""
    return (
        Registration.objects.filter(
            meeting=meeting,
            user=user,
            group__isnull=True,
            status__in=[Registration.Status.HELD, Registration.Status.CONFIRMED, Registration.Status.WAITLISTED],
        )
        .order_by()
        .first()
    )


def registration_list(meeting, *, status: str = "", type_id: str = "", query: str = "", checked_in: str = ""):
    """The organiser's filtered list."""
    qs = Registration.objects.filter(meeting=meeting).select_related("registration_type")
    if status:
        qs = qs.filter(status=status)
    if type_id:
        qs = qs.filter(registration_type_id=type_id)
    if checked_in == "yes":
        qs = qs.filter(checked_in_at__isnull=False)
    elif checked_in == "no":
        qs = qs.filter(checked_in_at__isnull=True)
    if query:
        qs = qs.filter(
            Q(name__icontains=query)
            | Q(phone__icontains=query)
            | Q(email__icontains=query)
            | Q(ticket_code__iexact=query)
            | Q(unit__icontains=query)
        )
    return qs.order_by("name", "id")


def checkin_search(meeting, query: str, limit: int = 20):
    query = (query or "").strip()
    if not query:
        return Registration.objects.none()
    qs = Registration.objects.filter(meeting=meeting).select_related("registration_type")
    code = query.rsplit("/", 1)[-1].upper()
    exact = qs.filter(ticket_code=code)
    if exact.exists():
        return exact
    digits = "".join(ch for ch in query if ch.isdigit())
    cond = Q(name__icontains=query) | Q(email__iexact=query)
    if len(digits) >= 4:
        cond |= Q(phone__contains=digits)
    return qs.filter(cond).order_by("name", "id")[:limit]


def meeting_statistics(meeting) -> dict:
    """Live figures for the organiser: counts by status and type, check-ins, revenue by currency."""
    regs = Registration.objects.filter(meeting=meeting)
    by_status = dict(regs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    paid = regs.filter(status=Registration.Status.CONFIRMED)
    revenue = {
        row["currency"]: (row["s"] or Decimal("0")) - (row["r"] or Decimal("0"))
        for row in regs.filter(paid_at__isnull=False)
        .values("currency")
        .annotate(s=Sum("total"), r=Sum("refund_amount"))
    }
    types = (
        RegistrationType.objects.filter(meeting=meeting)
        .annotate(
            confirmed=Count("registrations", filter=Q(registrations__status=Registration.Status.CONFIRMED)),
            held=Count("registrations", filter=Q(registrations__status=Registration.Status.HELD)),
            waitlisted=Count("registrations", filter=Q(registrations__status=Registration.Status.WAITLISTED)),
            checked_in=Count("registrations", filter=Q(registrations__checked_in_at__isnull=False)),
        )
        .select_related("quota")
        .order_by("position", "id")
    )
    meeting_quota = Quota.objects.filter(meeting=meeting, registration_type__isnull=True, addon__isnull=True).first()
    return {
        "registered": by_status.get(Registration.Status.CONFIRMED, 0) + by_status.get(Registration.Status.HELD, 0),
        "confirmed": by_status.get(Registration.Status.CONFIRMED, 0),
        "held": by_status.get(Registration.Status.HELD, 0),
        "waitlisted": by_status.get(Registration.Status.WAITLISTED, 0),
        "cancelled": by_status.get(Registration.Status.CANCELLED, 0),
        "paid": paid.filter(paid_at__isnull=False).count(),
        "checked_in": regs.filter(checked_in_at__isnull=False).count(),
        "revenue": dict(sorted(revenue.items())),
        "types": list(types),
        "meeting_quota": meeting_quota,
    }
