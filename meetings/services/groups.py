"""Group registration by an institution (单位集体报名): one contact registers several people,
pays one invoice with the institution's fapiao details, and may substitute a person (换人)
until the meeting's substitution deadline."""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import record_audit
from meetings import capacity
from meetings.capacity import SoldOut
from meetings.models import GroupOrder, Registration, new_ticket_code
from meetings.notifications import notify_after_commit
from meetings.pricing import PricingError, quote
from meetings.services.registration import Attendee, RegistrationError, seat_quota_ids

ZERO = Decimal("0")


def create_group_order(
    *, meeting, contact, institution: str, buyer: dict, attendees: list[tuple], actor, now=None
) -> GroupOrder:
    """Register ``attendees`` — (registration type, Attendee) pairs — for ``institution``:
    every seat is held in one transaction (all or none), priced at today's non-member prices.
    Member-only types are refused (membership is personal; members register themselves)."""
    now = now or timezone.now()
    if not meeting.accepts_registrations:
        raise RegistrationError(_("Registration for this meeting is not open."))
    if not attendees:
        raise RegistrationError(_("Add at least one person."))
    if not institution.strip():
        raise RegistrationError(_("The institution's name is required."))
    today = timezone.localdate(now)
    priced = []
    for rtype, person in attendees:
        if rtype.meeting_id != meeting.pk or not rtype.active:
            raise RegistrationError(_("This registration type is not on sale."))
        try:
            priced.append((rtype, person, quote(rtype, on=today)))
        except PricingError as exc:
            raise RegistrationError(f"{person.name}: {exc}") from exc
    currencies = {q.currency for _t, _p, q in priced}
    if len(currencies) != 1:
        raise RegistrationError(_("All people of one group must be registered in the same currency."))
    with transaction.atomic():
        capacity.set_lock_timeout()
        order = GroupOrder.objects.create(
            meeting=meeting,
            contact=contact,
            institution=institution.strip(),
            buyer=buyer,
            total=sum((q.total for _t, _p, q in priced), ZERO),
            currency=currencies.pop(),
        )
        quota_ids = []
        for rtype, _person, _q in priced:
            quota_ids += capacity.quota_ids_for(meeting=meeting, registration_type=rtype)
        try:
            capacity.take(quota_ids, hold=True)
        except SoldOut as exc:
            raise RegistrationError(_("Not enough seats are left for the whole group.")) from exc
        expires = now + timedelta(minutes=meeting.hold_minutes)
        for rtype, person, q in priced:
            Registration.objects.create(
                meeting=meeting,
                registration_type=rtype,
                group=order,
                name=person.name.strip(),
                email=person.email.strip().lower(),
                phone=person.phone.strip(),
                unit=person.unit.strip() or institution,
                status=Registration.Status.HELD,
                hold_expires_at=expires,
                price=q.subtotal,
                total=q.total,
                currency=q.currency,
            )
        record_audit(
            actor=actor,
            action="meetings.create_group_order",
            obj=order,
            after={"people": len(priced), "total": order.total, "currency": order.currency},
        )
    return order


def group_invoice_lines(order: GroupOrder) -> list[dict]:
    return [
        {
            "description": f"{order.meeting.title_zh} · {r.registration_type.name_zh} · {r.name}",
            "quantity": Decimal("1"),
            "unit_price": r.total,
        }
        for r in order.registrations.select_related("registration_type").order_by("id")
    ]


def start_group_payment(*, order: GroupOrder, actor):
    """One invoice for the whole group, with the institution's fapiao details."""
    from meetings.billing import PURPOSE_GROUP, PaymentUnavailable, dues_services

    services = dues_services()
    if services is None:
        raise PaymentUnavailable(_("Online payment is not available yet; please contact the organisers."))
    with transaction.atomic():
        order = GroupOrder.objects.select_for_update(of=("self",)).select_related("meeting").get(pk=order.pk)
        if order.invoice_id:
            from dues.models import Invoice

            return Invoice.objects.get(pk=order.invoice_id)
        try:
            invoice = services.create_invoice(
                buyer_user=order.contact,
                buyer={**order.buyer, "name": order.buyer.get("name") or order.institution},
                lines=group_invoice_lines(order),
                currency=order.currency,
                purpose=PURPOSE_GROUP,
                subject_id=str(order.pk),
                actor=actor,
            )
        except ValidationError as exc:  # dues.errors.DuesError: its message is for the user
            raise ValueError(" ".join(exc.messages)) from exc
        order.invoice_id = invoice.pk
        order.save(update_fields=["invoice_id"])
        record_audit(actor=actor, action="meetings.start_group_payment", obj=order, after={"invoice": invoice.pk})
    return invoice


def confirm_group_payment(*, order: GroupOrder, actor, now=None) -> Decimal:
    """The group's invoice is paid: each live hold becomes a sold seat; a person whose hold had
    been released gets a seat if one is free, else is refunded.  Returns the amount to refund.
    One transaction, registrations locked in id order; idempotent."""
    now = now or timezone.now()
    refund = ZERO
    with transaction.atomic():
        capacity.set_lock_timeout()
        order = GroupOrder.objects.select_for_update(of=("self",)).get(pk=order.pk)
        if order.status == GroupOrder.Status.PAID:
            return ZERO
        regs = list(
            order.registrations.select_for_update(of=("self",))
            .select_related("meeting", "registration_type")
            .order_by("id")
        )
        for reg in regs:
            quota_ids = seat_quota_ids(reg)
            seated = True
            if reg.status == Registration.Status.HELD:
                capacity.convert_hold(quota_ids)
            elif reg.status == Registration.Status.EXPIRED:
                try:
                    with transaction.atomic():
                        capacity.take(quota_ids, hold=False)
                except SoldOut:
                    seated = False
            else:
                seated = False
            reg.paid_at = now
            if seated:
                reg.status, reg.hold_expires_at = Registration.Status.CONFIRMED, None
                notify_after_commit(reg, "ticket", attach_ticket=True)
            elif reg.status != Registration.Status.CANCELLED:
                reg.refund_amount = reg.total
                reg.refund_note = _("Paid after the seat hold expired and the meeting was full: refunded in full.")
                refund += reg.total
            reg.save(update_fields=["status", "hold_expires_at", "paid_at", "refund_amount", "refund_note"])
        order.status = GroupOrder.Status.PAID
        order.save(update_fields=["status"])
        record_audit(actor=actor, action="meetings.confirm_group_payment", obj=order, after={"refund": refund})
    return refund


def substitute_attendee(*, registration: Registration, attendee: Attendee, actor, today=None) -> Registration:
    """换人: another person takes a group seat (same type and price), until the deadline.  The
    old ticket code stops working.  One transaction."""
    today = today or timezone.localdate()
    with transaction.atomic():
        reg = Registration.objects.select_for_update(of=("self",)).select_related("meeting").get(pk=registration.pk)
        deadline = reg.meeting.substitution_deadline or reg.meeting.starts_on
        if reg.group_id is None:
            raise RegistrationError(
                _("Only group registrations can be substituted; transfer the registration instead.")
            )
        if today > deadline:
            raise RegistrationError(_("Substitutions closed on %(date)s.") % {"date": deadline.isoformat()})
        if reg.status not in (Registration.Status.HELD, Registration.Status.CONFIRMED) or reg.checked_in_at:
            raise RegistrationError(_("Only an active, not yet checked-in registration can be substituted."))
        if not attendee.name.strip() or "@" not in attendee.email:
            raise RegistrationError(_("Give the new person's name and e-mail."))
        before = {"name": reg.name, "email": reg.email, "ticket": reg.ticket_code}
        reg.name, reg.email = attendee.name.strip(), attendee.email.strip().lower()
        reg.phone = attendee.phone.strip()
        reg.unit = attendee.unit.strip() or reg.unit
        reg.ticket_code = new_ticket_code()
        reg.save(update_fields=["name", "email", "phone", "unit", "ticket_code"])
        record_audit(
            actor=actor,
            action="meetings.substitute_attendee",
            obj=reg,
            before=before,
            after={"name": reg.name, "email": reg.email, "ticket": reg.ticket_code},
        )
        if reg.status == Registration.Status.CONFIRMED:
            notify_after_commit(reg, "ticket", attach_ticket=True)
    return reg
