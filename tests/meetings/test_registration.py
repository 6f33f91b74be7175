"""Registering: holds, free registrations, member prices, expiry, late payment, cancellation,
transfer, waitlist, codes and add-ons; society B sees none of it."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from common.models import AuditEntry
from meetings import billing
from meetings.models import DiscountCode, Quota, Registration
from meetings.services import organise
from meetings.services import registration as services
from tests.meetings.conftest import FakeInvoice, attendee, make_meeting
from tests.meetings.conftest import register as register_as

NOW = timezone.make_aware(datetime.datetime(2026, 4, 1, 10, 0))


def quota_of(rtype):
    return Quota.objects.get(registration_type=rtype)


def register(meeting, rtype, user, now=NOW, **kw):
    return register_as(meeting, rtype, user, now=now, **kw)


def pay(reg, actor=None, now=None):
    invoice = FakeInvoice(purpose="meeting.registration", subject_id=reg.pk, total=reg.total, currency=reg.currency)
    billing.invoice_paid(invoice, actor=actor) if now is None else services.confirm_payment(
        registration=reg, amount=reg.total, currency=reg.currency, actor=actor, now=now
    )
    reg.refresh_from_db()
    return reg


def test_register_holds_seat_until_paid(
    open_meeting,
    society_a,
    society_b,
    in_schema,
    make_user,
    mailoutbox,
    eager_tasks,
    django_capture_on_commit_callbacks,
):
    buyer = make_user("li.si@example.cn", "李四")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        reg = register(meeting, other, buyer)
        assert (reg.status, reg.total, reg.currency) == ("held", Decimal("1500"), "CNY")
        assert reg.hold_expires_at == NOW + datetime.timedelta(minutes=30)
        q = quota_of(other)
        assert (q.sold, q.held, q.size) == (0, 1, 2)
        with django_capture_on_commit_callbacks(execute=True):
            reg = pay(reg, actor=buyer)
        assert (reg.status, reg.hold_expires_at) == ("confirmed", None)
        q.refresh_from_db()
        assert (q.sold, q.held) == (1, 0)
        assert AuditEntry.objects.filter(action="meetings.confirm_payment", object_id=str(reg.pk)).count() == 1
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["li.si@example.cn"]
    assert reg.ticket_code in mailoutbox[0].body
    assert mailoutbox[0].attachments[0][0] == f"ticket-{reg.ticket_code}.png"
    with in_schema(society_b):
        assert Registration.objects.count() == 0 and Quota.objects.count() == 0


def test_paying_twice_changes_nothing(open_meeting, society_a, in_schema, make_user):
    buyer = make_user("li.si@example.cn", "李四")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        reg = pay(pay(register(meeting, other, buyer)))
        assert reg.status == "confirmed"
        q = quota_of(other)
        assert (q.sold, q.held) == (1, 0)


def test_free_registration_confirmed_at_once(society_a, in_schema, organiser, make_user):
    guest = make_user("guest@example.cn", "嘉宾")
    with in_schema(society_a):
        meeting, _m, _o = make_meeting(organiser=organiser)
        free = organise.save_registration_type(
            meeting=meeting, data={"name_zh": "嘉宾", "price": Decimal("0"), "capacity": 1}, actor=organiser
        )
        reg = register(meeting, free, guest)
        assert (reg.status, reg.hold_expires_at, reg.total) == ("confirmed", None, Decimal("0"))
        assert (quota_of(free).sold, quota_of(free).held) == (1, 0)


def test_member_type_refused_to_non_member(open_meeting, society_a, in_schema, make_user):
    # The members capability answers "not a member" for this person (no membership row).
    person = make_user("not.member@example.cn")
    with in_schema(society_a):
        meeting, member, _other = open_meeting
        with pytest.raises(services.RegistrationError, match="only for active members"):
            register(meeting, member, person)
        assert Registration.objects.count() == 0


def test_sold_out_refused_or_waitlisted(open_meeting, society_a, in_schema, make_user):
    users = [make_user(f"p{i}@example.cn") for i in range(4)]
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        register(meeting, other, users[0])
        register(meeting, other, users[1])
        with pytest.raises(services.RegistrationError, match="no seats are left"):
            register(meeting, other, users[2])
        waiting = register(meeting, other, users[2], join_waitlist=True)
        assert waiting.status == "waitlisted"
        q = quota_of(other)
        assert (q.sold, q.held) == (0, 2)


def test_expired_hold_released_and_waitlist_promoted(
    open_meeting, society_a, in_schema, make_user, mailoutbox, eager_tasks, django_capture_on_commit_callbacks
):
    users = [make_user(f"p{i}@example.cn") for i in range(3)]
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        first = register(meeting, other, users[0])
        register(meeting, other, users[1])
        waiting = register(meeting, other, users[2], join_waitlist=True)
        later = NOW + datetime.timedelta(minutes=31)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.release_expired_holds(meeting=meeting, now=later) == 2
        first.refresh_from_db()
        waiting.refresh_from_db()
        assert first.status == "expired"
        assert (waiting.status, waiting.hold_expires_at) == ("held", later + datetime.timedelta(minutes=30))
        q = quota_of(other)
        assert (q.sold, q.held) == (0, 1)
    assert [(m.to, m.subject) for m in mailoutbox] == [(["p2@example.cn"], "空位已为您保留：2026年学术年会")]


def test_late_payment_gets_free_seat(open_meeting, society_a, in_schema, make_user):
    buyer = make_user("late@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        reg = register(meeting, other, buyer)
        services.release_expired_holds(meeting=meeting, now=NOW + datetime.timedelta(hours=1))
        reg = pay(reg)
        assert (reg.status, reg.refund_amount) == ("confirmed", Decimal("0"))
        q = quota_of(other)
        assert (q.sold, q.held) == (1, 0)


def test_late_payment_refunded_when_full(
    open_meeting, society_a, in_schema, make_user, mailoutbox, eager_tasks, django_capture_on_commit_callbacks
):
    users = [make_user(f"p{i}@example.cn") for i in range(3)]
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        late = register(meeting, other, users[0])
        later = NOW + datetime.timedelta(hours=1)
        services.release_expired_holds(meeting=meeting, now=later)
        register(meeting, other, users[1], now=later)
        register(meeting, other, users[2], now=later)
        with django_capture_on_commit_callbacks(execute=True):
            late = pay(late)
        assert (late.status, late.refund_amount, late.paid_at is not None) == ("expired", Decimal("1500"), True)
        q = quota_of(other)
        assert (q.sold, q.held) == (0, 2)
    assert mailoutbox[-1].to == ["p0@example.cn"]
    assert "1500" in mailoutbox[-1].body


def test_hold_past_expiry_not_yet_released_is_honoured(open_meeting, society_a, in_schema, make_user):
    buyer = make_user("slow@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        reg = register(meeting, other, buyer)
        reg = pay(reg, now=NOW + datetime.timedelta(hours=2))
        assert reg.status == "confirmed"
        assert (quota_of(other).sold, quota_of(other).held) == (1, 0)


@pytest.mark.parametrize(
    ("day", "percent", "refund"),
    [
        (datetime.date(2026, 4, 30), 100, Decimal("1500.00")),
        (datetime.date(2026, 5, 1), 100, Decimal("1500.00")),
        (datetime.date(2026, 5, 2), 50, Decimal("750.00")),
        (datetime.date(2026, 5, 11), 0, Decimal("0.00")),
    ],
)
def test_cancellation_refund_by_policy(open_meeting, society_a, in_schema, make_user, organiser, day, percent, refund):
    buyer = make_user("cancel@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        organise.set_refund_rules(
            meeting=meeting, rules=[(datetime.date(2026, 5, 1), 100), (datetime.date(2026, 5, 10), 50)], actor=organiser
        )
        reg = pay(register(meeting, other, buyer))
        when = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
        reg = services.cancel_registration(registration=reg, actor=buyer, now=when)
        assert services.refund_percent(meeting, day) == percent
        assert (reg.status, reg.refund_amount) == ("cancelled", refund)
        assert (quota_of(other).sold, quota_of(other).held) == (0, 0)
        with pytest.raises(services.RegistrationError, match="already cancelled"):
            services.cancel_registration(registration=reg, actor=buyer, now=when)


def test_cancel_unpaid_hold_frees_seat_and_code(open_meeting, society_a, in_schema, make_user, organiser):
    buyer = make_user("c@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        organise.save_discount_code(
            meeting=meeting, data={"code": "ONE", "kind": "amount", "value": 100, "max_uses": 1}, actor=organiser
        )
        reg = register(meeting, other, buyer, code="one")
        assert (reg.total, DiscountCode.objects.get().used) == (Decimal("1400"), 1)
        services.cancel_registration(registration=reg, actor=buyer, now=NOW)
        assert DiscountCode.objects.get().used == 0
        assert (quota_of(other).sold, quota_of(other).held) == (0, 0)


def test_code_usage_limit(open_meeting, society_a, in_schema, make_user, organiser):
    a, b = make_user("a@example.cn"), make_user("b@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        organise.save_discount_code(
            meeting=meeting, data={"code": "ONE", "kind": "percent", "value": 10, "max_uses": 1}, actor=organiser
        )
        assert register(meeting, other, a, code="ONE").total == Decimal("1350.00")
        with pytest.raises(services.RegistrationError, match="used up"):
            register(meeting, other, b, code="ONE")
        with pytest.raises(services.RegistrationError, match="Unknown discount code"):
            register(meeting, other, b, code="NOPE")
        assert Registration.objects.count() == 1


def test_addon_capacity(open_meeting, society_a, in_schema, make_user, organiser):
    a, b = make_user("a@example.cn"), make_user("b@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        banquet = organise.save_addon(
            meeting=meeting, data={"name_zh": "晚宴", "price": Decimal("300"), "capacity": 1}, actor=organiser
        )
        reg = register(meeting, other, a, addons=[banquet])
        assert reg.total == Decimal("1800")
        with pytest.raises(services.RegistrationError, match="no seats are left"):
            register(meeting, other, b, addons=[banquet])
        # the failed attempt took nothing from the type's quota either
        assert (quota_of(other).held, Quota.objects.get(addon=banquet).held) == (1, 1)
        assert register(meeting, other, b).status == "held"


def test_meeting_capacity_limits_all_types(society_a, in_schema, organiser, make_user):
    a, b = make_user("a@example.cn"), make_user("b@example.cn")
    with in_schema(society_a):
        meeting, _member, other = make_meeting(organiser=organiser, capacity=1)
        register(meeting, other, a)
        with pytest.raises(services.RegistrationError):
            register(meeting, other, b)


def test_transfer_to_colleague_changes_ticket(open_meeting, society_a, in_schema, make_user):
    a, b = make_user("a@example.cn", "甲"), make_user("b@example.cn", "乙")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        reg = pay(register(meeting, other, a))
        old_code = reg.ticket_code
        reg = services.transfer_registration(
            registration=reg, to_user=b, attendee=attendee(name="乙", email="b@example.cn"), actor=a
        )
        assert (reg.user_id, reg.name, reg.status) == (b.pk, "乙", "confirmed")
        assert reg.ticket_code != old_code
        with pytest.raises(services.RegistrationError, match="already belongs"):
            services.transfer_registration(registration=reg, to_user=b, attendee=attendee(), actor=b)


def test_one_live_registration_per_person(open_meeting, society_a, in_schema, make_user):
    a = make_user("a@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        register(meeting, other, a)
        with pytest.raises(services.RegistrationError, match="already registered"):
            register(meeting, other, a)


def test_closed_meeting_refuses(open_meeting, society_a, in_schema, make_user, organiser):
    a = make_user("a@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        organise.set_meeting_status(meeting=meeting, status="closed", actor=organiser)
        meeting.refresh_from_db()
        with pytest.raises(services.RegistrationError, match="not open"):
            register(meeting, other, a)


def test_capacity_cannot_shrink_below_taken(open_meeting, society_a, in_schema, make_user, organiser):
    a, b = make_user("a@example.cn"), make_user("b@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        register(meeting, other, a)
        register(meeting, other, b)
        with pytest.raises(organise.OrganiseError, match="2 seats are already taken"):
            organise.save_registration_type(
                meeting=meeting, registration_type=other, data={"capacity": 1}, actor=organiser
            )
        assert quota_of(other).size == 2


def test_has_paid_registration(open_meeting, society_a, society_b, in_schema, make_user):
    from meetings.selectors import has_paid_registration

    a, b = make_user("a@example.cn"), make_user("b@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        reg = register(meeting, other, a)
        assert has_paid_registration(meeting, a) is False
        pay(reg)
        assert has_paid_registration(meeting, a) is True
        assert has_paid_registration(meeting, b) is False
    with in_schema(society_b):
        assert Registration.objects.filter(user=a).count() == 0


def test_file_answer_stored_only_with_registration(society_a, in_schema, organiser, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from common.models import StoredFile

    a, b = make_user("a@example.cn"), make_user("b@example.cn")
    with in_schema(society_a):
        meeting, _member, other = make_meeting(organiser=organiser, seats=1)
        person = attendee(email=a.email)
        person.answers = {"学生证": SimpleUploadedFile("card.pdf", b"%PDF-1.4 card", "application/pdf")}
        reg = register(meeting, other, a, person=person)
        stored = StoredFile.objects.get(kind="meetings.answer")
        assert reg.answers == {"学生证": {"file": stored.pk, "name": "card.pdf"}}
        assert (stored.owner_id, stored.staff_role) == (a.pk, "organiser")
        refused = attendee(email=b.email)
        refused.answers = {"学生证": SimpleUploadedFile("b.pdf", b"%PDF-1.4 b", "application/pdf")}
        with pytest.raises(services.RegistrationError):
            register(meeting, other, b, person=refused)
        assert StoredFile.objects.filter(kind="meetings.answer").count() == 1


def test_paid_registrants_agrees_with_has_paid_registration(open_meeting, society_a, society_b, in_schema, make_user):
    from meetings.selectors import has_paid_registration, paid_registrants

    a, b, c = make_user("a@example.cn"), make_user("b@example.cn"), make_user("c@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        pay(register(meeting, other, a))
        register(meeting, other, b)  # held, not paid
        assert list(paid_registrants(meeting)) == [a]
        assert [u for u in (a, b, c) if has_paid_registration(meeting, u)] == [a]
    with in_schema(society_b):
        assert Registration.objects.filter(user=a).count() == 0
