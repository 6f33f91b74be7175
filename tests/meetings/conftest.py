"""Meetings fixtures: an organiser and an open meeting with two registration types in society A."""

import datetime
from decimal import Decimal

import pytest

from common.models import Role
from tests.dues.fixtures import connect_society, fake_stripe  # noqa: F401  (fixtures for paying through dues)

TODAY = datetime.date(2026, 4, 1)


@pytest.fixture
def organiser(make_user, society_a, in_schema):
    from tenants.services import grant_role

    user = make_user("organiser@alpha.example.cn", "会务组")
    with in_schema(society_a):
        grant_role(user=user, role=Role.ORGANISER)
    return user


def make_meeting(*, organiser, slug="annual-2026", capacity=None, member_seats=None, seats=None, **extra):
    """An open meeting: a member type (early bird 800 until 2026-04-15, 1000, on site 1200)
    and a non-member type (1500), in CNY."""
    from meetings.services import organise

    meeting = organise.save_meeting(
        data={
            "slug": slug,
            "title_zh": "2026年学术年会",
            "title_en": "Annual Meeting 2026",
            "starts_on": datetime.date(2026, 5, 12),
            "ends_on": datetime.date(2026, 5, 14),
            "venue": "杭州",
            "capacity": capacity,
            "hold_minutes": 30,
            **extra,
        },
        actor=organiser,
    )
    member = organise.save_registration_type(
        meeting=meeting,
        data={
            "name_zh": "会员",
            "name_en": "Member",
            "kind": "member",
            "price_early": Decimal("800"),
            "early_bird_until": datetime.date(2026, 4, 15),
            "price": Decimal("1000"),
            "price_onsite": Decimal("1200"),
            "capacity": member_seats,
            "position": 1,
        },
        actor=organiser,
    )
    other = organise.save_registration_type(
        meeting=meeting,
        data={
            "name_zh": "非会员",
            "name_en": "Non-member",
            "kind": "non_member",
            "price": Decimal("1500"),
            "capacity": seats,
            "position": 2,
        },
        actor=organiser,
    )
    organise.set_meeting_status(meeting=meeting, status="open", actor=organiser)
    meeting.refresh_from_db()
    return meeting, member, other


@pytest.fixture
def open_meeting(society_a, in_schema, organiser):
    with in_schema(society_a):
        return make_meeting(organiser=organiser, seats=2)


def attendee(name="张三", email="zhang.san@example.cn", mobile="13800138000", unit="浙江大学"):
    from meetings.services.registration import Attendee

    return Attendee(name=name, email=email, phone=mobile, unit=unit)


def register(meeting, rtype, user, **kw):
    """``registration.register`` with ``user`` attending (or ``person=`` another Attendee)."""
    from meetings.services.registration import register as register_service

    return register_service(
        meeting=meeting,
        registration_type=rtype,
        user=user,
        attendee=kw.pop("person", attendee(email=user.email)),
        actor=user,
        **kw,
    )


class FakeInvoice:
    """What dues hands to meetings.billing.invoice_paid (the attributes the contract names)."""

    def __init__(self, *, purpose, subject_id, total, currency="CNY"):
        self.pk = None
        self.purpose, self.subject_id, self.total, self.currency = purpose, str(subject_id), total, currency


def make_active_member(user, code="regular"):
    """An active member of the current society (the members app's row, as its tests create it)."""
    from members.models import Member, MembershipCategory

    category, _ = MembershipCategory.objects.get_or_create(code=code, defaults={"name_zh": "普通会员"})
    return Member.objects.create(user=user, email=user.email, category=category, status="active", name_zh=user.name)


@pytest.fixture(autouse=True)
def english_messages():
    """Service messages asserted in English; pages set their own language per request."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def eager_tasks():
    """Celery tasks run in the calling thread (e-mails land in the test outbox at commit)."""
    from saas.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
