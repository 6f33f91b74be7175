"""Reads: reusable querysets for pages, the API, other apps (meetings' member prices)."""

import datetime

from django.db.models import Q, QuerySet

from members import normalize
from members.models import (
    IN_GOOD_STANDING,
    Application,
    ApplicationStatus,
    Member,
    MembershipCategory,
    MemberStatus,
)


def member_of(user) -> Member | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Member.objects.select_related("category", "card_file").filter(user=user).first()


def is_active_member(user) -> bool:
    """True when ``user`` is a member in good standing (active or in grace) of this society."""
    if not getattr(user, "is_authenticated", False):
        return False
    return Member.objects.filter(user=user, status__in=IN_GOOD_STANDING).exists()


def member_category_code(user) -> str | None:
    """The category code of a member in good standing, for member prices; None otherwise."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Member.objects.filter(user=user, status__in=IN_GOOD_STANDING).values_list("category__code", flat=True).first()
    )


def open_categories() -> QuerySet[MembershipCategory]:
    return MembershipCategory.objects.filter(open_for_applications=True)


def review_queue() -> QuerySet[Application]:
    return Application.objects.filter(status=ApplicationStatus.SUBMITTED).select_related("category", "evidence")


def open_application_of(user) -> Application | None:
    return (
        Application.objects.filter(user=user)
        .exclude(status__in=[ApplicationStatus.APPROVED, ApplicationStatus.REJECTED])
        .select_related("category")
        .order_by("-id")
        .first()
    )


SORTS = {
    "number": "number",
    "-number": "-number",
    "name": "name_zh",
    "-name": "-name_zh",
    "expiry": "term_end",
    "-expiry": "-term_end",
    "joined": "joined_on",
    "-joined": "-joined_on",
    "newest": "-id",
}


def search_members(
    *,
    q: str = "",
    status: str = "",
    category: str = "",
    region: str = "",
    discipline: str = "",
    expiry_month: str = "",
    sort: str = "newest",
) -> QuerySet[Member]:
    """The secretariat's member list: prefix search over Chinese and English name, number,
    e-mail, mobile and work unit, each an indexed LIKE 'q%', plus filters; ordered and ready to
    paginate (category joined, so the page costs the same queries whatever its size)."""
    qs = Member.objects.select_related("category")
    q = normalize.text(q)
    if q:
        term = Q(name_zh__startswith=q) | Q(name_en_key__startswith=q.lower()) | Q(email__startswith=q.lower())
        term |= Q(number__startswith=q.upper()) | Q(work_unit__startswith=q)
        digits = q.replace(" ", "").removeprefix("+")
        if digits.isdigit():
            term |= Q(mobile__startswith="+86" + digits) | Q(mobile__startswith="+" + digits)
        qs = qs.filter(term)
    if status:
        qs = qs.filter(status=status)
    else:
        qs = qs.exclude(status__in=[MemberStatus.APPLICANT, MemberStatus.REJECTED])
    if category:
        qs = qs.filter(category__code=category)
    if region:
        qs = qs.filter(region=region)
    if discipline:
        qs = qs.filter(discipline=discipline)
    if expiry_month:
        try:
            year, month = (int(x) for x in expiry_month.split("-"))
            first = datetime.date(year, month, 1)
        except ValueError:
            return qs.none()
        following = datetime.date(year + month // 12, month % 12 + 1, 1)
        qs = qs.filter(term_end__gte=first, term_end__lt=following)
    return qs.order_by(SORTS.get(sort, "-id"), "-id")


def member_detail(member_id: int) -> Member:
    return Member.objects.select_related("category", "user", "card_file").get(pk=member_id)


def member_history(member: Member):
    return member.history.all()


def member_invoices(member: Member):
    """The dues invoices issued for the member's charges (joining, renewals, upgrades...)."""
    from dues.models import Invoice

    charge_ids = [str(pk) for pk in member.charges.values_list("pk", flat=True)]
    return Invoice.objects.filter(purpose__startswith="membership.", subject_id__in=charge_ids).order_by("-issued_at")


def verify_card(token: str) -> Member | None:
    return Member.objects.select_related("category").filter(verify_token=token).exclude(number=None).first()
