"""What the dues capability calls when a membership invoice is fully paid."""

from members.lifecycle import settle_charge
from members.models import MembershipCharge


def invoice_paid(invoice, *, actor) -> bool:
    """Settle the charge named by ``invoice.subject_id`` (purpose ``membership.*``): activate,
    renew, upgrade or reinstate.  Idempotent: a second call for the same invoice returns False
    and changes nothing.  Runs in its own transaction (nested in the caller's when there is one)."""
    purpose = getattr(invoice, "purpose", "")
    if purpose not in MembershipCharge.PURPOSES:
        return False
    charge = MembershipCharge.objects.filter(pk=int(invoice.subject_id), purpose=purpose).first()
    if charge is None:
        return False
    return settle_charge(charge=charge, actor=actor)
