"""The membership status machine and what moves it: transitions with history, member numbers,
activation with terms, charges (joining, renewal, upgrade, reinstatement) and their settlement.

Called by ``members.services`` (applications), ``members.renewal`` (the periodic job),
``members.billing`` (payments) and the console.  Every public function is keyword-only with an
explicit ``actor`` and runs in one transaction with its audit entries.
"""

import datetime
from decimal import Decimal

from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from board.tasks import request_refresh
from common.audit import audited, record_audit
from members.models import (
    TRANSITIONS,
    ApplicationStatus,
    ChargeStatus,
    Member,
    MembershipCategory,
    MembershipCharge,
    MembershipSettings,
    MemberStatus,
    MemberTerm,
    NumberCounter,
    StatusChange,
    Term,
    TermBasis,
    TermKind,
)
from tenants.services import current_society, link_person, society_url

S = MemberStatus
# What a member may change on their own page; the rest only the secretariat.
MEMBER_EDITABLE_FIELDS = ["name_en", "work_unit", "title", "discipline", "degree", "mobile", "address", "region"]


class MembershipError(Exception):
    """A request the membership rules do not allow; the message is for the user."""


class InvalidTransition(MembershipError):
    def __init__(self, member: Member, to_status: str):
        self.member, self.to_status = member, to_status
        super().__init__(
            _("A member who is “%(current)s” cannot become “%(target)s”.")
            % {"current": S(member.status).label, "target": S(to_status).label}
        )


# --- helpers ---------------------------------------------------------------------------------


def today() -> datetime.date:
    return timezone.localdate()


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def term_for(category: MembershipCategory, start: datetime.date) -> tuple[datetime.date, datetime.date | None]:
    """The (start, end) of a term of ``category`` beginning on ``start``; lifetime has no end."""
    if category.term == Term.LIFETIME:
        return start, None
    years = category.term_years if category.term == Term.MULTI_YEAR else 1
    if category.term_basis == TermBasis.CALENDAR:
        return start, datetime.date(start.year + years - 1, 12, 31)
    return start, _add_years(start, years) - datetime.timedelta(days=1)


def site_link(path: str) -> str:
    return society_url(current_society(), path)


def send_email_on_commit(*, to: str, template: str, context: dict) -> None:
    """Render ``members/email/<template>_subject.txt`` / ``.txt`` now (in the caller's language
    and schema) and send after the commit."""
    if not to:
        return
    context = {"society": current_society(), **context}
    subject = " ".join(render_to_string(f"members/email/{template}_subject.txt", context).split())
    body = render_to_string(f"members/email/{template}.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [to], fail_silently=False))


def lock_member(member: Member) -> Member:
    return Member.objects.select_for_update().get(pk=member.pk)


def set_status(*, member: Member, to_status: str, actor, reason: str = "") -> Member:
    """Move ``member`` to ``to_status`` when the transition is allowed, with its history row.

    Must run inside the caller's transaction on a row it has locked.  Raises InvalidTransition.
    """
    if to_status not in TRANSITIONS.get(member.status, set()):
        raise InvalidTransition(member, to_status)
    with audited(member, ["status"], action="members.change_status", actor=actor, reason=reason) as audit:
        member.status = to_status
        member.save(update_fields=["status", "updated_at"])
        StatusChange.objects.create(
            member=member,
            from_status=audit.before["status"],
            to_status=to_status,
            actor_id=getattr(actor, "pk", None),
            actor_label=(getattr(actor, "email", "") or "system")[:254],
            reason=reason,
        )
    request_refresh()  # the board's member figures
    return member


def change_status(*, member: Member, to_status: str, actor, reason: str) -> Member:
    """Secretariat's manual status change (resign, terminate, deceased, lapse...)."""
    if to_status in (S.RESIGNED, S.TERMINATED) and not reason.strip():
        raise MembershipError(_("Give a reason for this change."))
    with transaction.atomic():
        member = lock_member(member)
        return set_status(member=member, to_status=to_status, actor=actor, reason=reason)


def allocate_number(*, year: int) -> str:
    """The next member number of ``year`` in the society's format (prefix, year, zero-padded
    sequence).  Runs in the caller's transaction and holds the year's counter row locked until
    it commits, so two approvals at once queue here; numbers already taken (imports) are skipped."""
    settings_row = MembershipSettings.current()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {NumberCounter._meta.db_table} (year, last) VALUES (%s, 0) ON CONFLICT (year) DO NOTHING",
            [year],
        )
    counter = NumberCounter.objects.select_for_update().get(year=year)
    while True:
        counter.last += 1
        number = f"{settings_row.number_prefix}{year}{counter.last:0{settings_row.number_digits}d}"
        if not Member.objects.filter(number=number).exists():
            break
    counter.save(update_fields=["last"])
    return number


def activate(*, member: Member, category: MembershipCategory, actor, reason: str, kind: str, start=None) -> Member:
    """Member becomes active with a new term (and a number on first activation); queues the card."""
    start = start or today()
    term_start, term_end = term_for(category, start)
    if not member.number:
        member.number = allocate_number(year=start.year)
    member.category = category
    member.joined_on = member.joined_on or start
    member.term_start, member.term_end = term_start, term_end
    member.save(update_fields=["number", "category", "joined_on", "term_start", "term_end", "updated_at"])
    MemberTerm.objects.create(member=member, category=category, kind=kind, starts_on=term_start, ends_on=term_end)
    request_refresh()  # the board's joins and renewals
    if member.status != S.ACTIVE:
        set_status(member=member, to_status=S.ACTIVE, actor=actor, reason=reason)
    if member.user_id:
        link_person(user=member.user)
    queue_card(member=member)
    return member


def queue_card(*, member: Member) -> None:
    from common.tasks import enqueue
    from members.tasks import render_member_card

    enqueue(render_member_card, member_id=member.pk)


def open_charge(*, member, category, purpose, amount, period_start=None, period_end=None, actor) -> MembershipCharge:
    charge = MembershipCharge.objects.create(
        member=member,
        category=category,
        purpose=purpose,
        amount=amount,
        currency=category.currency,
        period_start=period_start,
        period_end=period_end,
    )
    _bill(charge=charge, actor=actor)
    record_audit(
        actor=actor,
        action="members.open_charge",
        obj=charge,
        after={"purpose": purpose, "amount": amount, "currency": category.currency},
    )
    return charge


def _bill(*, charge: MembershipCharge, actor) -> None:
    """Have the dues capability issue the invoice for a charge (in this transaction); dues calls
    ``members.billing.invoice_paid`` once it is fully paid.  A free charge needs no invoice."""
    from dues.errors import DuesError
    from dues.services import create_invoice

    if charge.amount <= 0:
        return
    member = charge.member
    try:
        invoice = create_invoice(
            buyer_user=member.user,
            buyer={"name": member.name_zh, "email": member.email},
            lines=[
                {
                    "description": f"{charge.category.name_zh} {charge.purpose_label}",
                    "quantity": 1,
                    "unit_price": charge.amount,
                    "tax_rate": Decimal("0"),
                }
            ],
            currency=charge.currency,
            purpose=charge.purpose,
            subject_id=str(charge.pk),
            actor=actor,
        )
    except DuesError as exc:
        raise MembershipError(" ".join(exc.messages)) from None
    charge.invoice_id = invoice.pk
    charge.save(update_fields=["invoice_id"])


# --- payments, renewal, category change, reinstatement ---------------------------------------


def settle_charge(*, charge: MembershipCharge, actor) -> bool:
    """Apply a paid charge once: activate, extend, upgrade or reinstate.  Returns False when it
    was already settled (a second call changes nothing)."""
    with transaction.atomic():
        charge = MembershipCharge.objects.select_for_update(of=("self",)).select_related("category").get(pk=charge.pk)
        if charge.status != ChargeStatus.OPEN:
            return False
        member = lock_member(charge.member)
        charge.status = ChargeStatus.PAID
        charge.paid_at = timezone.now()
        charge.save(update_fields=["status", "paid_at"])
        record_audit(
            actor=actor,
            action="members.settle_charge",
            obj=charge,
            after={"purpose": charge.purpose, "amount": charge.amount},
        )
        reason = _("Payment received")
        if charge.purpose == "membership.join":
            application = member.applications.select_for_update().order_by("-id").first()
            if application and application.status == ApplicationStatus.AWAITING_PAYMENT:
                application.paid_at = charge.paid_at
                application.status = ApplicationStatus.SUBMITTED
                application.save(update_fields=["paid_at", "status"])
            elif member.status == S.PENDING_PAYMENT:
                activate(member=member, category=charge.category, actor=actor, reason=reason, kind=TermKind.JOIN)
        elif charge.purpose == "membership.renewal":
            if member.status in (S.ACTIVE, S.GRACE, S.LAPSED):
                activate(
                    member=member,
                    category=charge.category,
                    actor=actor,
                    reason=_("Renewed"),
                    kind=TermKind.RENEWAL,
                    start=charge.period_start,
                )
        elif charge.purpose == "membership.upgrade":
            member.category = charge.category
            member.save(update_fields=["category", "updated_at"])
            MemberTerm.objects.create(
                member=member,
                category=charge.category,
                kind=TermKind.UPGRADE,
                starts_on=today(),
                ends_on=member.term_end,
            )
            queue_card(member=member)
        elif charge.purpose == "membership.reinstatement":
            activate(
                member=member,
                category=charge.category,
                actor=actor,
                reason=_("Reinstated"),
                kind=TermKind.REINSTATEMENT,
            )
    return True


def change_category(*, member: Member, category: MembershipCategory, actor) -> MembershipCharge | None:
    """Category change (upgrade): the price difference is charged; free when not dearer."""
    with transaction.atomic():
        member = lock_member(member)
        if not member.in_good_standing:
            raise MembershipError(_("Only members in good standing can change category."))
        if category.pk == member.category_id:
            raise MembershipError(_("The member is already in this category."))
        difference = category.fee - member.category.fee
        if difference > 0:
            return open_charge(
                member=member,
                category=category,
                purpose="membership.upgrade",
                amount=difference,
                period_start=today(),
                period_end=member.term_end,
                actor=actor,
            )
        before = member.category.code
        member.category = category
        member.save(update_fields=["category", "updated_at"])
        MemberTerm.objects.create(
            member=member, category=category, kind=TermKind.UPGRADE, starts_on=today(), ends_on=member.term_end
        )
        record_audit(
            actor=actor,
            action="members.change_category",
            obj=member,
            before={"category": before},
            after={"category": category.code},
        )
        queue_card(member=member)
    return None


def reinstate_member(*, member: Member, actor, with_arrears: bool = False) -> MembershipCharge | None:
    """A lapsed member comes back: charged one term (plus the missed terms with arrears);
    reinstated at once when the category is free."""
    with transaction.atomic():
        member = lock_member(member)
        if member.status != S.LAPSED:
            raise InvalidTransition(member, S.ACTIVE)
        category = member.category
        terms = 1
        if with_arrears and member.term_end:
            terms += max(0, (today() - member.term_end).days // 365)  # whole years missed
        amount = category.fee * terms
        if amount == 0:
            activate(member=member, category=category, actor=actor, reason=_("Reinstated"), kind=TermKind.REINSTATEMENT)
            return None
        charge = open_charge(
            member=member, category=category, purpose="membership.reinstatement", amount=amount, actor=actor
        )
        set_status(member=member, to_status=S.PENDING_PAYMENT, actor=actor, reason=_("Reinstatement requested"))
        return charge


def resign_membership(*, member: Member, actor, reason: str = "") -> Member:
    with transaction.atomic():
        member = lock_member(member)
        return set_status(
            member=member, to_status=S.RESIGNED, actor=actor, reason=reason or _("Resigned by the member")
        )
