"""Registering for a meeting: seats taken under row locks, held while paying, confirmed by payment.

Each public function is one transaction with its audit entry.  Seats are counted only in
``Quota`` rows through ``meetings.capacity``; a registration's status says which counter it
occupies (HELD → ``held``, CONFIRMED → ``sold``, others none).
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import audited, record_audit
from common.files import store_file
from common.models import Role
from meetings import capacity
from meetings.capacity import SoldOut
from meetings.models import AddOn, DiscountCode, Meeting, Registration
from meetings.notifications import notify_after_commit
from meetings.pricing import PricingError, quote
from meetings.selectors import live_registration, membership_of

ZERO = Decimal("0")


class RegistrationError(ValueError):
    """Bad input or a state that does not allow the step; the message is for the user."""


class SeatsGone(RegistrationError):
    """Every seat is sold or held (the attendee may join the waiting list)."""


@dataclass
class Attendee:
    name: str
    email: str
    phone: str = ""
    unit: str = ""
    answers: dict = field(default_factory=dict)


def _check_open(meeting: Meeting, registration_type) -> None:
    if not meeting.accepts_registrations:
        raise RegistrationError(_("Registration for this meeting is not open."))
    if registration_type.meeting_id != meeting.pk or not registration_type.active:
        raise RegistrationError(_("This registration type is not on sale."))


def _use_code(meeting: Meeting, code_text: str) -> DiscountCode | None:
    """Find and count one use of a discount code, under the code's row lock."""
    code_text = (code_text or "").strip()
    if not code_text:
        return None
    code = DiscountCode.objects.filter(meeting=meeting, code__iexact=code_text).first()
    if code is None:
        raise RegistrationError(_("Unknown discount code."))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {DiscountCode._meta.db_table} SET used = used + 1 "
            "WHERE id = %s AND (max_uses IS NULL OR used < max_uses) RETURNING id",
            [code.pk],
        )
        if cursor.fetchone() is None:
            raise RegistrationError(_("This discount code has been used up."))
    # Read again under the row lock just taken: an organiser's change committed meanwhile (a
    # new value, deactivated) applies; the pricing rules then judge the code as it is now.
    # ``used`` stays the count before this use, as the pricing rules expect.
    code.refresh_from_db(fields=[f.attname for f in DiscountCode._meta.concrete_fields if f.name != "used"])
    return code


def _release_code(registration: Registration) -> None:
    if registration.discount_code_id:
        DiscountCode.objects.filter(pk=registration.discount_code_id, used__gt=0).update(used=F("used") - 1)


def seat_quota_ids(registration: Registration) -> list[int]:
    return capacity.quota_ids_for(
        meeting=registration.meeting,
        registration_type=registration.registration_type,
        addons=list(registration.addons.all()),
    )


def register(
    *,
    meeting: Meeting,
    registration_type,
    user,
    attendee: Attendee,
    addons=(),
    code: str = "",
    join_waitlist: bool = False,
    actor,
    now=None,
) -> Registration:
    """Register ``user`` for ``meeting``: price it, take a seat in every quota it needs (held
    for ``meeting.hold_minutes`` when there is something to pay, sold when free) and create the
    registration, all in one transaction with a bounded lock wait.

    When a quota is full: a waitlisted registration if ``join_waitlist``, else RegistrationError.
    Raises RegistrationError for bad input, django.db.OperationalError on lock timeout.
    A free registration is confirmed at once and its ticket e-mailed after commit.
    """
    now = now or timezone.now()
    _check_open(meeting, registration_type)
    # Read from the database: an add-on the organiser stopped selling since the form was shown is dropped.
    addons = list(AddOn.objects.filter(pk__in=[a.pk for a in addons], meeting=meeting, active=True)) if addons else []
    if user is not None and live_registration(meeting, user) is not None:
        raise RegistrationError(_("You are already registered for this meeting."))
    is_member, category = membership_of(user)
    args = dict(
        meeting=meeting,
        registration_type=registration_type,
        user=user,
        attendee=attendee,
        addons=addons,
        code=code,
        is_member=is_member,
        category=category,
        actor=actor,
        now=now,
    )
    try:
        return _register_once(**args, join_waitlist=False)
    except IntegrityError as exc:  # the same person registering twice at once: the unique constraint
        raise RegistrationError(_("You are already registered for this meeting.")) from exc
    except _Full:
        # Holds past their time still count until released: release them lazily, then try again.
        if release_expired_holds(meeting=meeting, actor=None, now=now):
            try:
                return _register_once(**args, join_waitlist=False)
            except _Full:
                pass
        if not join_waitlist:
            raise SeatsGone(_("Sorry, no seats are left for this registration.")) from None
        return _register_once(**args, join_waitlist=True)


class _Full(Exception):
    pass


def _stored_answers(answers: dict, *, owner) -> dict:
    """Answers as JSON: an uploaded file is stored (in the caller's transaction, so a failed
    registration leaves no file row behind) and named by its id."""
    out = {}
    for label, value in answers.items():
        if hasattr(value, "read"):
            stored = store_file(
                content=value.read(),
                filename=value.name,
                kind="meetings.answer",
                owner=owner,
                mimetype=getattr(value, "content_type", "") or "application/octet-stream",
                staff_role=Role.ORGANISER,
            )
            value = {"file": stored.pk, "name": value.name}
        out[label] = value
    return out


def _register_once(
    *, meeting, registration_type, user, attendee, addons, code, is_member, category, join_waitlist, actor, now
) -> Registration:
    """One attempt, one transaction (see ``register``); raises _Full when a quota is full and
    the attendee does not join the waiting list."""
    with transaction.atomic():
        capacity.set_lock_timeout()
        discount_code = _use_code(meeting, code)
        try:
            priced = quote(
                registration_type,
                on=timezone.localdate(now),
                addons=addons,
                code=discount_code,
                is_member=is_member,
                member_category=category,
            )
        except PricingError as exc:
            raise RegistrationError(str(exc)) from exc
        free = priced.total == ZERO
        quota_ids = capacity.quota_ids_for(meeting=meeting, registration_type=registration_type, addons=addons)
        status = Registration.Status.CONFIRMED if free else Registration.Status.HELD
        if join_waitlist:
            try:
                with transaction.atomic():  # a savepoint: on SoldOut the registration goes on
                    capacity.take(quota_ids, hold=not free)
            except SoldOut:
                status = Registration.Status.WAITLISTED
        else:
            try:
                capacity.take(quota_ids, hold=not free)
            except SoldOut:
                raise _Full from None  # the whole transaction rolls back, whatever take() changed
        registration = Registration.objects.create(
            meeting=meeting,
            registration_type=registration_type,
            user=user,
            name=attendee.name.strip(),
            email=attendee.email.strip().lower(),
            phone=attendee.phone.strip(),
            unit=attendee.unit.strip(),
            answers=_stored_answers(attendee.answers, owner=user),
            status=status,
            hold_expires_at=now + timedelta(minutes=meeting.hold_minutes)
            if status == Registration.Status.HELD
            else None,
            price=priced.subtotal,
            discount=priced.discount,
            total=priced.total,
            currency=priced.currency,
            discount_code=discount_code,
        )
        if addons:
            registration.addons.set(addons)
        record_audit(
            actor=actor,
            action="meetings.register",
            obj=registration,
            after={
                "status": status,
                "type": registration_type.pk,
                "total": priced.total,
                "currency": priced.currency,
                "addons": [a.pk for a in addons],
                "code": discount_code.code if discount_code else "",
            },
        )
        if status == Registration.Status.CONFIRMED:
            notify_after_commit(registration, "ticket", attach_ticket=True)
        elif status == Registration.Status.WAITLISTED:
            notify_after_commit(registration, "waitlisted")
    return registration


def confirm_payment(*, registration: Registration, amount: Decimal, currency: str, actor, now=None) -> bool:
    """Payment for ``registration`` has been captured.  In one transaction, with the
    registration's row locked: a live hold becomes a sold seat; a hold that had already been
    released gets a seat if one is free now; otherwise the registration records a refund due
    and the attendee is told.  Returns True when the attendee has a seat.  Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        capacity.set_lock_timeout()
        reg = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("meeting", "registration_type")
            .get(pk=registration.pk)
        )
        if reg.paid_at is not None:
            return reg.status == Registration.Status.CONFIRMED
        with audited(reg, ["status"], action="meetings.confirm_payment", actor=actor) as audit:
            quota_ids = seat_quota_ids(reg)
            seated = True
            if reg.status == Registration.Status.HELD:
                # A hold past its time but not yet released still counts: its seat was never given away.
                capacity.convert_hold(quota_ids)
            elif reg.status in (Registration.Status.EXPIRED, Registration.Status.WAITLISTED):
                try:
                    with transaction.atomic():
                        capacity.take(quota_ids, hold=False)
                except SoldOut:
                    seated = False
            elif reg.status == Registration.Status.CANCELLED:
                seated = False
            reg.paid_at = now
            if seated:
                reg.status = Registration.Status.CONFIRMED
                reg.hold_expires_at = None
            else:
                reg.refund_amount = amount
                reg.refund_note = _("Paid after the seat hold expired and the meeting was full: refunded in full.")
            reg.save(update_fields=["status", "hold_expires_at", "paid_at", "refund_amount", "refund_note"])
            audit.extra.update(seated=seated, amount=amount, currency=currency)
        notify_after_commit(reg, "ticket" if seated else "late_refund", attach_ticket=seated)
    return seated


def release_expired_holds(*, meeting: Meeting | None = None, actor=None, now=None) -> int:
    """Release holds past their expiry (beat task and lazily before selling): the seats return
    to their quotas, codes get their use back.  Rows being paid right now are skipped (SKIP
    LOCKED) and looked at next time.  One transaction; returns how many were released.  Seats
    freed this way are offered to the waiting list by ``waitlist.promote_waitlist``."""
    from meetings.services.waitlist import promote_waitlist

    now = now or timezone.now()
    with transaction.atomic():
        qs = Registration.objects.filter(status=Registration.Status.HELD, hold_expires_at__lte=now)
        if meeting is not None:
            qs = qs.filter(meeting=meeting)
        expired = list(
            qs.select_for_update(skip_locked=True, of=("self",)).select_related("meeting", "registration_type")[:500]
        )
        if not expired:
            return 0
        all_quota_ids = []
        for reg in expired:
            all_quota_ids += seat_quota_ids(reg)
        capacity.give_back(all_quota_ids, held=True)
        for reg in expired:
            _release_code(reg)
        Registration.objects.filter(pk__in=[r.pk for r in expired]).update(status=Registration.Status.EXPIRED)
        for reg in expired:
            record_audit(
                actor=actor,
                action="meetings.expire_hold",
                obj=reg,
                before={"status": "held"},
                after={"status": "expired"},
            )
        meetings = {reg.meeting_id for reg in expired}
    for meeting_id in meetings:
        promote_waitlist(meeting=Meeting.objects.get(pk=meeting_id), actor=actor, now=now)
    return len(expired)


def refund_percent(meeting: Meeting, on) -> int:
    """The cancellation policy's refund for a cancellation on day ``on``."""
    rule = meeting.refund_rules.filter(until__gte=on).order_by("until").first()
    return rule.percent if rule else 0


def cancel_registration(*, registration: Registration, actor, reason: str = "", now=None) -> Registration:
    """Cancel: the seat returns to its quotas, a paid registration is refunded by the meeting's
    policy for today (through dues when an invoice exists), an unpaid invoice is cancelled.  One
    transaction; the waiting list is offered the seat afterwards."""
    from meetings import billing
    from meetings.services.waitlist import promote_waitlist

    now = now or timezone.now()
    with transaction.atomic():
        capacity.set_lock_timeout()
        reg = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("meeting", "registration_type")
            .get(pk=registration.pk)
        )
        if reg.status in (Registration.Status.CANCELLED, Registration.Status.EXPIRED):
            raise RegistrationError(_("This registration is already cancelled."))
        if reg.checked_in_at is not None:
            raise RegistrationError(_("A checked-in registration cannot be cancelled."))
        with audited(reg, ["status"], action="meetings.cancel_registration", actor=actor, reason=reason) as audit:
            quota_ids = seat_quota_ids(reg)
            if reg.status == Registration.Status.HELD:
                capacity.give_back(quota_ids, held=True)
            elif reg.status == Registration.Status.CONFIRMED:
                capacity.give_back(quota_ids, held=False)
            _release_code(reg)
            refund = ZERO
            if reg.paid_at is not None and reg.total > ZERO:
                percent = refund_percent(reg.meeting, timezone.localdate(now))
                refund = (reg.total * percent / Decimal(100)).quantize(Decimal("0.01"))
                reg.refund_amount = refund
                reg.refund_note = _("Cancelled: %(percent)s%% refunded by the cancellation policy.") % {
                    "percent": percent
                }
            reg.status = Registration.Status.CANCELLED
            reg.cancelled_at = now
            reg.hold_expires_at = None
            reg.save(update_fields=["status", "cancelled_at", "hold_expires_at", "refund_amount", "refund_note"])
            audit.extra["refund"] = refund
        billing.settle_cancellation(
            registration=reg,
            refund=refund,
            actor=actor,
            reason=reason or reg.refund_note or _("Registration cancelled."),
        )
        notify_after_commit(reg, "cancelled")
    promote_waitlist(meeting=reg.meeting, actor=actor, now=now)
    return reg


def transfer_registration(*, registration: Registration, to_user, attendee: Attendee, actor) -> Registration:
    """Hand a registration to a colleague: new holder, new ticket code (the old QR stops
    working).  Member-priced registrations only go to members.  One transaction."""
    from meetings.models import new_ticket_code

    with transaction.atomic():
        reg = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("meeting", "registration_type")
            .get(pk=registration.pk)
        )
        if reg.status not in (Registration.Status.CONFIRMED, Registration.Status.HELD):
            raise RegistrationError(_("Only an active registration can be transferred."))
        if reg.checked_in_at is not None:
            raise RegistrationError(_("A checked-in registration cannot be transferred."))
        if to_user is not None:
            if to_user.pk == reg.user_id:
                raise RegistrationError(_("The registration already belongs to this person."))
            if live_registration(reg.meeting, to_user) is not None:
                raise RegistrationError(_("This person is already registered for the meeting."))
            if reg.registration_type.kind == reg.registration_type.Kind.MEMBER and not membership_of(to_user)[0]:
                raise RegistrationError(_("The member price is only for active members of the society."))
        before = {"user": reg.user_id, "name": reg.name, "email": reg.email, "ticket": reg.ticket_code}
        reg.user = to_user
        reg.name, reg.email = attendee.name.strip(), attendee.email.strip().lower()
        reg.phone, reg.unit = attendee.phone.strip(), attendee.unit.strip()
        reg.ticket_code = new_ticket_code()
        reg.save(update_fields=["user", "name", "email", "phone", "unit", "ticket_code"])
        record_audit(
            actor=actor,
            action="meetings.transfer_registration",
            obj=reg,
            before=before,
            after={"user": reg.user_id, "name": reg.name, "email": reg.email, "ticket": reg.ticket_code},
        )
        if reg.status == Registration.Status.CONFIRMED:
            notify_after_commit(reg, "ticket", attach_ticket=True)
    return reg


def release_after_refund(*, registration: Registration, fully: bool, actor) -> None:
    """Finance refunded the registration's invoice (dues calls back).  A full refund of a
    confirmed registration cancels it and frees its seat; the refund itself is dues' record."""
    from meetings.services.waitlist import promote_waitlist

    with transaction.atomic():
        reg = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("meeting", "registration_type")
            .get(pk=registration.pk)
        )
        if not fully or reg.status != Registration.Status.CONFIRMED:
            record_audit(actor=actor, action="meetings.refund_recorded", obj=reg, after={"fully": fully})
            return
        with audited(reg, ["status"], action="meetings.release_after_refund", actor=actor):
            capacity.give_back(seat_quota_ids(reg), held=False)
            reg.status = Registration.Status.CANCELLED
            reg.cancelled_at = timezone.now()
            reg.refund_amount = reg.total
            reg.refund_note = _("Refunded in full by the finance office.")
            reg.save(update_fields=["status", "cancelled_at", "refund_amount", "refund_note"])
        notify_after_commit(reg, "cancelled")
    promote_waitlist(meeting=reg.meeting, actor=actor)
