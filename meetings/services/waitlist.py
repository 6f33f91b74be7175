"""The waiting list: when a seat frees, the longest-waiting attendee whose quotas now have room
gets it, held for ``meeting.hold_minutes`` to pay (or confirmed at once when free)."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from common.audit import record_audit
from meetings import capacity
from meetings.capacity import SoldOut
from meetings.models import Registration
from meetings.notifications import notify_after_commit


def _promote_one(*, registration_id: int, actor, now) -> bool:
    """One promotion, one transaction (so quota locks are always taken in one ascending run)."""
    from meetings.services.registration import seat_quota_ids

    with transaction.atomic():
        capacity.set_lock_timeout()
        reg = (
            Registration.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("meeting", "registration_type")
            .filter(pk=registration_id, status=Registration.Status.WAITLISTED)
            .first()
        )
        if reg is None:
            return False
        free = reg.total == Decimal("0")
        try:
            with transaction.atomic():
                capacity.take(seat_quota_ids(reg), hold=not free)
        except SoldOut:
            return False
        if free:
            reg.status = Registration.Status.CONFIRMED
        else:
            reg.status = Registration.Status.HELD
            reg.hold_expires_at = now + timedelta(minutes=reg.meeting.hold_minutes)
        reg.save(update_fields=["status", "hold_expires_at"])
        record_audit(
            actor=actor,
            action="meetings.promote_waitlist",
            obj=reg,
            before={"status": "waitlisted"},
            after={"status": reg.status, "hold_expires_at": reg.hold_expires_at},
        )
        notify_after_commit(reg, "ticket" if free else "promoted", attach_ticket=free)
    return True


def promote_waitlist(*, meeting, actor=None, now=None, limit: int = 50) -> int:
    """Offer free seats to waiting attendees, first come first served per registration type.
    Each promotion is its own transaction; returns how many were promoted."""
    now = now or timezone.now()
    if not meeting.accepts_registrations:
        return 0
    promoted = 0
    blocked_types: set[int] = set()
    waiting = (
        Registration.objects.filter(meeting=meeting, status=Registration.Status.WAITLISTED)
        .order_by("created_at", "id")
        .values_list("pk", "registration_type_id")[:limit]
    )
    for registration_id, type_id in waiting:
        if type_id in blocked_types:
            continue  # an earlier waiter of this type is still waiting: keep the queue's order
        if _promote_one(registration_id=registration_id, actor=actor, now=now):
            promoted += 1
        else:
            blocked_types.add(type_id)
    return promoted
