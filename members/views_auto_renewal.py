"""The member's automatic-renewal page: the saved card, the next renewal, turn on/off, remove.

The card and the choice belong to dues (``dues.AutoRenewal``); this page adds what the
membership knows (the next term and its fee).  Every action names the row in its URL and only
the row's own person finds it (404 for anybody else).
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dues import services as dues_services
from dues.errors import DuesError
from dues.models import AutoRenewal
from dues.selectors import auto_renewal_of
from dues.services.autorenewal import RETRY_AFTER_DAYS, consent_text
from members import selectors
from members.models import ChargeStatus, MembershipSettings


def _next_renewal(member) -> dict | None:
    """The next term's start, its amount, and when the card would be charged."""
    if member is None or member.term_end is None:
        return None
    open_charge = member.charges.filter(purpose="membership.renewal", status=ChargeStatus.OPEN).first()
    lead = MembershipSettings.current().renewal_lead_days
    return {
        "starts_on": member.term_end + datetime.timedelta(days=1),
        "amount": open_charge.amount if open_charge else member.category.fee,
        "currency": open_charge.currency if open_charge else member.category.currency,
        # The renewal job charges the card when it issues the renewal invoice (or at its next run).
        "charge_on": max(member.term_end - datetime.timedelta(days=lead), timezone.localdate()),
        "invoice_id": open_charge.invoice_id if open_charge else None,
    }


@login_required
def auto_renewal(request):
    member = selectors.member_of(request.user)
    if member is None:
        return redirect("members:me")
    context = {
        "member": member,
        "plan": auto_renewal_of(request.user),
        "next": _next_renewal(member),
        "consent": consent_text(),
        "retry_days": RETRY_AFTER_DAYS,
    }
    return render(request, "members/auto_renewal.html", context)


@require_POST
@login_required
def auto_renewal_action(request, plan_id: int, action: str):
    plan = AutoRenewal.objects.filter(pk=plan_id, user=request.user).first()
    if plan is None or action not in ("on", "off", "remove"):
        raise Http404
    try:
        if action == "remove":
            dues_services.remove_saved_card(auto_renewal=plan, actor=request.user)
            messages.success(request, _("Your card has been removed; automatic renewal is off."))
        else:
            dues_services.set_auto_renewal(auto_renewal=plan, enabled=action == "on", actor=request.user)
            if action == "on":
                messages.success(request, _("Automatic renewal is on."))
            else:
                messages.success(request, _("Automatic renewal is off; your card stays saved until you remove it."))
    except DuesError as exc:
        messages.error(request, exc.message)
    return redirect("members:auto_renewal")
