import datetime
from decimal import Decimal

import pytest

from meetings.models import DiscountCode
from meetings.pricing import PricingError, quote
from meetings.services import organise
from tests.meetings.conftest import make_meeting


@pytest.fixture
def types(society_a, in_schema, organiser):
    with in_schema(society_a):
        meeting, member, other = make_meeting(organiser=organiser)
        student = organise.save_registration_type(
            meeting=meeting,
            data={"name_zh": "学生", "kind": "student", "price": Decimal("400"), "currency": "CNY"},
            actor=organiser,
        )
        overseas = organise.save_registration_type(
            meeting=meeting,
            data={
                "name_zh": "海外代表",
                "name_en": "Overseas",
                "kind": "non_member",
                "price": Decimal("300"),
                "currency": "USD",
            },
            actor=organiser,
        )
        banquet = organise.save_addon(
            meeting=meeting, data={"name_zh": "晚宴", "price": Decimal("200")}, actor=organiser
        )
        yield {
            "meeting": meeting,
            "member": member,
            "other": other,
            "student": student,
            "overseas": overseas,
            "banquet": banquet,
        }


@pytest.mark.parametrize(
    ("day", "phase", "price"),
    [
        (datetime.date(2026, 4, 15), "early", Decimal("800")),  # the deadline day is still early bird
        (datetime.date(2026, 4, 16), "regular", Decimal("1000")),
        (datetime.date(2026, 5, 11), "regular", Decimal("1000")),
        (datetime.date(2026, 5, 12), "onsite", Decimal("1200")),  # from the first meeting day
    ],
)
def test_member_price_by_date(types, society_a, in_schema, day, phase, price):
    with in_schema(society_a):
        result = quote(types["member"], on=day, is_member=True)
        assert (result.phase, result.total, result.currency) == (phase, price, "CNY")


def test_prices_by_kind_and_currency(types, society_a, in_schema):
    day = datetime.date(2026, 4, 1)
    with in_schema(society_a):
        assert quote(types["other"], on=day).total == Decimal("1500")
        assert quote(types["student"], on=day).total == Decimal("400")
        overseas = quote(types["overseas"], on=day)
        assert (overseas.total, overseas.currency) == (Decimal("300"), "USD")


def test_member_price_refused_to_non_member(types, society_a, in_schema):
    with in_schema(society_a):
        with pytest.raises(PricingError, match="only for active members"):
            quote(types["member"], on=datetime.date(2026, 4, 1), is_member=False)


def test_member_category_restriction(types, society_a, in_schema):
    with in_schema(society_a):
        member = types["member"]
        member.member_category = "senior"
        with pytest.raises(PricingError, match="another membership category"):
            quote(member, on=datetime.date(2026, 4, 1), is_member=True, member_category="student")
        assert quote(member, on=datetime.date(2026, 4, 1), is_member=True, member_category="senior").total == 800


def test_percent_and_amount_codes_with_addon(types, society_a, in_schema, organiser):
    day = datetime.date(2026, 4, 20)
    with in_schema(society_a):
        percent = organise.save_discount_code(
            meeting=types["meeting"], data={"code": "half", "kind": "percent", "value": Decimal("50")}, actor=organiser
        )
        amount = organise.save_discount_code(
            meeting=types["meeting"],
            data={"code": "minus100", "kind": "amount", "value": Decimal("100")},
            actor=organiser,
        )
        result = quote(types["other"], on=day, addons=[types["banquet"]], code=percent)
        assert (result.subtotal, result.discount, result.total) == (
            Decimal("1700"),
            Decimal("850.00"),
            Decimal("850.00"),
        )
        assert quote(types["other"], on=day, code=amount).total == Decimal("1400")
        assert percent.code == "HALF"


def test_code_validity_type_and_uses(types, society_a, in_schema, organiser):
    with in_schema(society_a):
        code = organise.save_discount_code(
            meeting=types["meeting"],
            types=[types["student"]],
            data={
                "code": "STU",
                "kind": "amount",
                "value": Decimal("5000"),
                "max_uses": 1,
                "valid_from": datetime.date(2026, 4, 1),
                "valid_until": datetime.date(2026, 4, 30),
            },
            actor=organiser,
        )
        # an amount larger than the price takes the price to zero, never below
        assert quote(types["student"], on=datetime.date(2026, 4, 2), code=code).total == Decimal("0")
        with pytest.raises(PricingError, match="not valid yet"):
            quote(types["student"], on=datetime.date(2026, 3, 31), code=code)
        with pytest.raises(PricingError, match="expired"):
            quote(types["student"], on=datetime.date(2026, 5, 1), code=code)
        with pytest.raises(PricingError, match="does not apply"):
            quote(types["other"], on=datetime.date(2026, 4, 2), code=code)
        DiscountCode.objects.filter(pk=code.pk).update(used=1)
        code.refresh_from_db()
        with pytest.raises(PricingError, match="used up"):
            quote(types["student"], on=datetime.date(2026, 4, 2), code=code)


def test_other_society_sees_no_meeting(types, society_b, in_schema):
    from meetings.models import Meeting, RegistrationType

    with in_schema(society_b):
        assert Meeting.objects.count() == 0 and RegistrationType.objects.count() == 0
