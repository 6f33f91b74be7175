"""On-site check-in (签到)."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from board.tasks import request_refresh
from common.audit import record_audit
from meetings.models import Registration


@dataclass
class CheckinResult:
    registration: Registration | None
    outcome: str  # checked_in | already | unpaid | cancelled | waitlisted | unknown
    message: str

    @property
    def ok(self) -> bool:
        return self.outcome == "checked_in"


def check_in(*, meeting, ticket_code: str = "", registration_id: int | None = None, actor, now=None) -> CheckinResult:
    """Check an attendee in by ticket code (the QR) or id (search result).  Only a confirmed
    registration is checked in, once; the result says at once why not otherwise.  One
    transaction with the registration's row locked (two desks scanning the same ticket)."""
    now = now or timezone.now()
    code = (ticket_code or "").strip().rsplit("/", 1)[-1].upper()
    with transaction.atomic():
        qs = Registration.objects.select_for_update(of=("self",)).filter(meeting=meeting)
        if registration_id is not None:
            reg = qs.filter(pk=registration_id).first()
        else:
            reg = qs.filter(ticket_code=code).first() if code else None
        if reg is None:
            return CheckinResult(None, "unknown", _("No registration with this ticket for this meeting."))
        if reg.checked_in_at is not None:
            at = timezone.localtime(reg.checked_in_at).strftime("%H:%M")
            return CheckinResult(reg, "already", _("Already checked in at %(time)s.") % {"time": at})
        if reg.status == Registration.Status.CANCELLED or reg.status == Registration.Status.EXPIRED:
            return CheckinResult(reg, "cancelled", _("This registration is cancelled."))
        if reg.status == Registration.Status.WAITLISTED:
            return CheckinResult(reg, "waitlisted", _("This person is on the waiting list, without a seat."))
        if reg.status == Registration.Status.HELD:
            return CheckinResult(reg, "unpaid", _("Not paid yet: the registration awaits payment."))
        reg.checked_in_at = now
        reg.checked_in_by = actor if getattr(actor, "pk", None) else None
        reg.save(update_fields=["checked_in_at", "checked_in_by"])
        request_refresh()  # the board's check-ins
        record_audit(actor=actor, action="meetings.check_in", obj=reg, after={"checked_in_at": now})
        return CheckinResult(reg, "checked_in", _("Checked in: %(name)s.") % {"name": reg.name})
