"""The renewal job: renewal charges N days before expiry, reminders, grace, lapse, and the
saved-card charge for members with automatic renewal on.

``run_renewals(today=...)`` is idempotent: a renewal charge is unique per member and term, a
reminder per member, term and offset, and status moves only happen once by construction.  Each
member is handled in its own short transaction so one bad row does not stop the run.  Open
renewal invoices of members with automatic renewal are handed to ``dues.charge_saved_card``
every run; dues keeps the retry schedule and never charges an invoice twice.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import DateField, Exists, ExpressionWrapper, OuterRef
from django.urls import reverse
from django.utils.translation import gettext as _

from common.audit import record_audit
from common.tasks import enqueue
from dues.selectors import auto_renewal_users
from dues.tasks import charge_saved_card
from members.lifecycle import open_charge, send_email_on_commit, set_status, settle_charge, site_link, term_for
from members.models import (
    ChargeStatus,
    Member,
    MembershipCharge,
    MembershipSettings,
    MemberStatus,
    ReminderSent,
)

S = MemberStatus


def run_renewals(*, today: datetime.date, actor=None) -> dict:
    """One pass of the renewal job for the current society; returns what it did."""
    rules = MembershipSettings.current()
    done = {"charges": 0, "card_charges_queued": 0, "reminders": 0, "grace": 0, "lapsed": 0}
    horizon = today + datetime.timedelta(days=rules.renewal_lead_days)
    due = Member.objects.filter(status__in=[S.ACTIVE, S.GRACE], term_end__isnull=False, term_end__lte=horizon).exclude(
        Exists(_next_term_charges())
    )
    for member in due.select_related("category").iterator(chunk_size=500):
        if _ensure_renewal_charge(member=member, actor=actor):
            done["charges"] += 1
    for invoice_id in _auto_renewal_invoices():
        enqueue(charge_saved_card, invoice_id=invoice_id, today=today.isoformat())
        done["card_charges_queued"] += 1
    offsets = sorted({int(x) for x in rules.reminder_offsets}, reverse=True)
    for offset in offsets:
        target = today + datetime.timedelta(days=offset)
        # Members with automatic renewal get no reminders: a failed charge e-mails them itself.
        unpaid = (
            Member.objects.filter(status__in=[S.ACTIVE, S.GRACE], term_end=target)
            .exclude(user_id__in=auto_renewal_users())
            .exclude(Exists(_next_term_charges(status=ChargeStatus.PAID)))
            .exclude(Exists(ReminderSent.objects.filter(member=OuterRef("pk"), term_end=target, offset_days=offset)))
        )
        for member in unpaid.iterator(chunk_size=500):
            if _send_reminder(member=member, offset=offset):
                done["reminders"] += 1
    for member in Member.objects.filter(status=S.ACTIVE, term_end__lt=today).iterator(chunk_size=500):
        with transaction.atomic():
            member = Member.objects.select_for_update().get(pk=member.pk)
            if member.status == S.ACTIVE and member.term_end < today:
                set_status(member=member, to_status=S.GRACE, actor=actor, reason=_("Term expired"))
                done["grace"] += 1
    lapse_before = today - datetime.timedelta(days=rules.grace_days)
    for member in Member.objects.filter(status=S.GRACE, term_end__lt=lapse_before).iterator(chunk_size=500):
        with transaction.atomic():
            member = Member.objects.select_for_update().get(pk=member.pk)
            if member.status == S.GRACE:
                set_status(member=member, to_status=S.LAPSED, actor=actor, reason=_("Grace period over"))
                MembershipCharge.objects.filter(
                    member=member, purpose="membership.renewal", status=ChargeStatus.OPEN
                ).update(status=ChargeStatus.CANCELLED)
                done["lapsed"] += 1
    return done


def _next_term_charges(**filters):
    """The renewal charges (for ``Exists``) of the term after the outer member's current one."""
    next_start = ExpressionWrapper(OuterRef("term_end") + datetime.timedelta(days=1), output_field=DateField())
    return MembershipCharge.objects.filter(
        member=OuterRef("pk"), purpose="membership.renewal", period_start=next_start, **filters
    )


def _auto_renewal_invoices() -> list[int]:
    """Open renewal invoices of members in good standing who chose automatic renewal."""
    return list(
        MembershipCharge.objects.filter(
            purpose="membership.renewal",
            status=ChargeStatus.OPEN,
            invoice_id__isnull=False,
            member__status__in=[S.ACTIVE, S.GRACE],
            member__user_id__in=auto_renewal_users(),
        ).values_list("invoice_id", flat=True)
    )


def _ensure_renewal_charge(*, member: Member, actor) -> bool:
    start = member.term_end + datetime.timedelta(days=1)
    _start, end = term_for(member.category, start)
    try:
        with transaction.atomic():
            charge = open_charge(
                member=member,
                category=member.category,
                purpose="membership.renewal",
                amount=member.category.fee,
                period_start=start,
                period_end=end,
                actor=actor,
            )
            if charge.amount == 0:  # nothing to pay: the next term is granted straight away
                settle_charge(charge=charge, actor=actor)
    except IntegrityError:  # a concurrent run created it first
        return False
    return True


def _send_reminder(*, member: Member, offset: int) -> bool:
    try:
        with transaction.atomic():
            ReminderSent.objects.create(member=member, term_end=member.term_end, offset_days=offset)
            record_audit(actor=None, action="members.send_renewal_reminder", obj=member, after={"offset": offset})
            send_email_on_commit(
                to=member.email,
                template="renewal_reminder",
                context={"member": member, "days": offset, "link": site_link(reverse("members:me"))},
            )
    except IntegrityError:
        return False
    return True
