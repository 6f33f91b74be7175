"""Group registration by an institution: one invoice, all seats or none, substitution until the deadline."""

import datetime
from decimal import Decimal

import pytest

from dues.models import Invoice
from meetings import billing
from meetings.models import GroupOrder, Quota, Registration
from meetings.services import groups
from meetings.services.registration import RegistrationError
from tests.meetings.conftest import FakeInvoice, attendee, make_meeting

BUYER = {"name": "浙江大学化学系", "taxpayer_id": "12330000470003281X", "kind": "special"}


@pytest.fixture
def meeting3(society_a, in_schema, organiser):
    with in_schema(society_a):
        return make_meeting(organiser=organiser, seats=3, substitution_deadline=datetime.date(2026, 5, 5))


def people(n):
    return [attendee(name=f"成员{i}", email=f"m{i}@zju.example.cn") for i in range(n)]


def test_group_holds_all_seats_and_pays_once(meeting3, society_a, society_b, in_schema, make_user):
    contact = make_user("contact@zju.example.cn", "联系人")
    with in_schema(society_a):
        meeting, _member, other = meeting3
        order = groups.create_group_order(
            meeting=meeting,
            contact=contact,
            institution="浙江大学",
            buyer=BUYER,
            attendees=[(other, p) for p in people(3)],
            actor=contact,
        )
        assert (order.total, order.currency, order.registrations.count()) == (Decimal("4500"), "CNY", 3)
        assert (Quota.objects.get(registration_type=other).held,) == (3,)
        invoice = groups.start_group_payment(order=order, actor=contact)
        assert (invoice.purpose, invoice.subject_id, invoice.total, invoice.buyer["taxpayer_id"]) == (
            "meeting.group",
            str(order.pk),
            Decimal("4500.00"),
            "12330000470003281X",
        )
        assert invoice.lines.count() == 3
        billing.invoice_paid(invoice, actor=None)
        order.refresh_from_db()
        assert order.status == "paid"
        assert sorted(order.registrations.values_list("status", flat=True)) == ["confirmed"] * 3
        q = Quota.objects.get(registration_type=other)
        assert (q.sold, q.held) == (3, 0)
    with in_schema(society_b):
        assert GroupOrder.objects.count() == 0 and Invoice.objects.count() == 0


def test_group_larger_than_seats_takes_nothing(meeting3, society_a, in_schema, make_user):
    contact = make_user("contact@zju.example.cn")
    with in_schema(society_a):
        meeting, _member, other = meeting3
        with pytest.raises(RegistrationError, match="Not enough seats"):
            groups.create_group_order(
                meeting=meeting,
                contact=contact,
                institution="浙江大学",
                buyer=BUYER,
                attendees=[(other, p) for p in people(4)],
                actor=contact,
            )
        assert GroupOrder.objects.count() == 0 and Registration.objects.count() == 0
        assert Quota.objects.get(registration_type=other).held == 0


def test_member_type_not_in_group(meeting3, society_a, in_schema, make_user):
    contact = make_user("contact@zju.example.cn")
    with in_schema(society_a):
        meeting, member, _other = meeting3
        with pytest.raises(RegistrationError, match="only for active members"):
            groups.create_group_order(
                meeting=meeting,
                contact=contact,
                institution="浙江大学",
                buyer=BUYER,
                attendees=[(member, people(1)[0])],
                actor=contact,
            )


def test_substitution_until_deadline(meeting3, society_a, in_schema, make_user):
    contact = make_user("contact@zju.example.cn")
    with in_schema(society_a):
        meeting, _member, other = meeting3
        order = groups.create_group_order(
            meeting=meeting,
            contact=contact,
            institution="浙江大学",
            buyer=BUYER,
            attendees=[(other, p) for p in people(2)],
            actor=contact,
        )
        billing.invoice_paid(FakeInvoice(purpose="meeting.group", subject_id=order.pk, total=order.total), actor=None)
        reg = order.registrations.order_by("id").first()
        old = reg.ticket_code
        reg = groups.substitute_attendee(
            registration=reg,
            attendee=attendee(name="替换人", email="new@zju.example.cn"),
            actor=contact,
            today=datetime.date(2026, 5, 5),
        )
        assert (reg.name, reg.email, reg.status, reg.unit) == ("替换人", "new@zju.example.cn", "confirmed", "浙江大学")
        assert reg.ticket_code != old
        with pytest.raises(RegistrationError, match="Substitutions closed on 2026-05-05"):
            groups.substitute_attendee(
                registration=reg,
                attendee=attendee(name="再换", email="x@zju.example.cn"),
                actor=contact,
                today=datetime.date(2026, 5, 6),
            )
        reg.refresh_from_db()
        assert reg.name == "替换人"
