"""What a registration costs: the type's price for the day (early bird, regular, on site), the
add-ons, and a discount code.  Pure functions of their inputs; no database writes."""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CENT = Decimal("0.01")

PHASE_LABELS = {
    "early": gettext_lazy("Early bird"),
    "regular": gettext_lazy("Regular"),
    "onsite": gettext_lazy("On site"),
}


class PricingError(ValueError):
    """Input that cannot be priced (an unusable code, a member price for a non-member)."""


@dataclass
class Quote:
    currency: str
    phase: str
    base: Decimal
    addons: Decimal = Decimal("0")
    discount: Decimal = Decimal("0")
    lines: list[dict] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return self.base + self.addons

    @property
    def total(self) -> Decimal:
        return max(Decimal("0"), self.subtotal - self.discount)

    @property
    def phase_label(self) -> str:
        return str(PHASE_LABELS[self.phase])


def price_phase(registration_type, on: date) -> tuple[str, Decimal]:
    """The price of ``registration_type`` on day ``on``: on site from the meeting's first day
    (when an on-site price is set), early bird up to and including its deadline, else regular."""
    meeting = registration_type.meeting
    if registration_type.price_onsite is not None and on >= meeting.starts_on:
        return "onsite", registration_type.price_onsite
    if (
        registration_type.price_early is not None
        and registration_type.early_bird_until is not None
        and on <= registration_type.early_bird_until
    ):
        return "early", registration_type.price_early
    return "regular", registration_type.price


def check_eligibility(registration_type, *, is_member: bool, member_category: str | None) -> None:
    """Member prices are for active members of the society (of the type's category, if set)."""
    if registration_type.kind != registration_type.Kind.MEMBER:
        return
    if not is_member:
        raise PricingError(_("The member price is only for active members of the society."))
    if registration_type.member_category and registration_type.member_category != member_category:
        raise PricingError(_("This registration type is for another membership category."))


def discount_for(code, *, registration_type, subtotal: Decimal, on: date) -> Decimal:
    """The amount ``code`` takes off ``subtotal``; raises PricingError when the code cannot be
    used (dates, type, uses).  The use itself is counted under a lock by the registration service."""
    if code.meeting_id != registration_type.meeting_id:
        raise PricingError(_("This discount code is not valid for this meeting."))
    if not code.active:
        raise PricingError(_("This discount code is no longer valid."))
    if code.valid_from and on < code.valid_from:
        raise PricingError(_("This discount code is not valid yet."))
    if code.valid_until and on > code.valid_until:
        raise PricingError(_("This discount code has expired."))
    type_ids = [t.pk for t in code.types.all()]
    if type_ids and registration_type.pk not in type_ids:
        raise PricingError(_("This discount code does not apply to this registration type."))
    if code.max_uses is not None and code.used >= code.max_uses:
        raise PricingError(_("This discount code has been used up."))
    if code.kind == code.Kind.PERCENT:
        amount = (subtotal * min(code.value, Decimal("100")) / Decimal("100")).quantize(CENT, ROUND_HALF_UP)
    else:
        amount = code.value
    return min(amount, subtotal)


def quote(registration_type, *, on: date, addons=(), code=None, is_member: bool = False, member_category=None) -> Quote:
    """Price one registration.  Raises PricingError for an ineligible type or unusable code."""
    check_eligibility(registration_type, is_member=is_member, member_category=member_category)
    phase, base = price_phase(registration_type, on)
    result = Quote(currency=registration_type.currency, phase=phase, base=base)
    result.lines.append(
        {
            "description": f"{registration_type.meeting.title_zh} · {registration_type.name_zh}",
            "quantity": "1",
            "unit_price": str(base),
        }
    )
    for addon in addons:
        result.addons += addon.price
        result.lines.append({"description": addon.name_zh, "quantity": "1", "unit_price": str(addon.price)})
    if code is not None:
        result.discount = discount_for(code, registration_type=registration_type, subtotal=result.subtotal, on=on)
        result.lines.append(
            {
                "description": _("Discount %(code)s") % {"code": code.code},
                "quantity": "1",
                "unit_price": str(-result.discount),
            }
        )
    return result
