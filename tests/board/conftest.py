"""Seeded source rows for the board tests, made through the source apps' own models, plus the
browser fixtures (shared from tests/browser)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hour=12):
    return datetime(y, m, d, hour, tzinfo=SHANGHAI)


def seed_meetings(*, prefix: str, registrations: list[tuple[str, bool]], starts_on: date):
    """One open meeting with registrations ``(status, checked in?)``."""
    from meetings.models import Meeting, Registration, RegistrationType

    meeting = Meeting.objects.create(
        slug=f"{prefix}-{starts_on:%Y%m}",
        title_zh=f"{prefix}年会",
        starts_on=starts_on,
        ends_on=starts_on,
        status=Meeting.Status.REGISTRATION_OPEN,
    )
    kind = RegistrationType.objects.create(meeting=meeting, name_zh="普通", price=Decimal("800"))
    for i, (status, checked_in) in enumerate(registrations):
        Registration.objects.create(
            meeting=meeting,
            registration_type=kind,
            name=f"参会人{i}",
            email=f"p{i}@{prefix}.example.cn",
            status=status,
            checked_in_at=at(starts_on.year, starts_on.month, starts_on.day) if checked_in else None,
            total=Decimal("800") if status == "confirmed" else Decimal("0"),
            paid_at=at(starts_on.year, starts_on.month, 1) if status == "confirmed" else None,
        )
    return meeting


def seed_invoice(*, number: str, total: str, purpose: str, issued: datetime, paid: list[tuple[str, str, datetime]]):
    """An issued invoice with confirmed payments ``(amount, method, confirmed_at)``."""
    from dues.models import Invoice, Payment

    invoice = Invoice.objects.create(
        number=number,
        sequence=int(number[-4:]),
        currency="CNY",
        total=Decimal(total),
        total_net=Decimal(total),
        purpose=purpose,
        issued_at=issued,
    )
    for amount, method, confirmed_at in paid:
        Payment.objects.create(
            invoice=invoice,
            provider="stripe" if method != "bank_transfer" else "bank_transfer",
            method_detail=method if method != "bank_transfer" else "",
            state=Payment.State.CONFIRMED,
            amount=Decimal(amount),
            currency="CNY",
            confirmed_at=confirmed_at,
        )
    return invoice


def seed_members(
    *,
    prefix: str,
    category_code: str,
    count: int,
    history: list[tuple[str, str, datetime]],
    renewed: datetime | None = None,
):
    """``count`` members of one category, each with the same status history ``(from, to, at)``."""
    from members.models import Member, MembershipCategory, MemberTerm, StatusChange

    category, _created = MembershipCategory.objects.get_or_create(
        code=category_code, defaults={"name_zh": category_code, "fee": Decimal("100")}
    )
    members = []
    for i in range(count):
        member = Member.objects.create(
            name_zh=f"{prefix}会员{i}",
            email=f"{prefix}{i}@{category_code}.example.cn",
            category=category,
            status=history[-1][1],
            joined_on=history[0][2].date(),
        )
        for from_status, to_status, when in history:
            StatusChange.objects.create(member=member, from_status=from_status, to_status=to_status, at=when)
        MemberTerm.objects.create(member=member, category=category, kind="join", starts_on=history[0][2].date())
        if renewed:
            term = MemberTerm.objects.create(member=member, category=category, kind="renewal", starts_on=renewed.date())
            MemberTerm.objects.filter(pk=term.pk).update(created_at=renewed)
        members.append(member)
    return members


def seed_papers(*, meeting, author, outcomes: list[str | None], withdrawn: int = 0):
    """A call for papers on ``meeting`` with one submission per outcome (None: undecided)."""
    from reviews.models import Call, Decision, Submission

    deadline = at(2026, 12, 31)
    call = Call.objects.create(
        meeting=meeting,
        submission_deadline=deadline,
        review_deadline=deadline,
        decision_date=deadline,
        camera_ready_deadline=deadline,
    )
    for number, outcome in enumerate(outcomes + [None] * withdrawn, start=1):
        submission = Submission.objects.create(
            call=call,
            number=number,
            title_zh=f"论文{number}",
            submitter=author,
            status="withdrawn" if number > len(outcomes) else "submitted",
        )
        if outcome:
            Decision.objects.create(submission=submission, outcome=outcome, decided_by=author)


JOINED = [("", "applicant", at(2025, 1, 10)), ("applicant", "active", at(2025, 1, 15))]
LAPSED = JOINED + [("active", "grace", at(2025, 3, 1)), ("grace", "lapsed", at(2025, 6, 1))]


@pytest.fixture
def seeded(society_a, society_b, in_schema, make_user):
    """Society A: ten members (two lapse), two meetings with registrations and check-ins,
    invoices and payments over two years; society B: three members, one small meeting and one
    invoice of its own."""
    confirmed, cancelled, waitlisted = "confirmed", "cancelled", "waitlisted"
    with in_schema(society_a):
        a1 = seed_meetings(
            prefix="a1",
            starts_on=date(2025, 5, 20),
            registrations=[(confirmed, True)] * 6
            + [(confirmed, False)] * 2
            + [(cancelled, False), (waitlisted, False)],
        )
        seed_meetings(prefix="a2", starts_on=date(2026, 3, 1), registrations=[(confirmed, True)] * 3)
        seed_invoice(
            number="INV-2025-0001",
            total="500.00",
            purpose="membership.renewal",
            issued=at(2025, 1, 31, 23),
            paid=[("500.00", "alipay", at(2025, 2, 1, 0))],
        )
        seed_invoice(
            number="INV-2025-0002",
            total="800.00",
            purpose="meeting.registration",
            issued=at(2025, 4, 2),
            paid=[("300.00", "bank_transfer", at(2025, 4, 3)), ("500.00", "wechat_pay", at(2025, 5, 1, 1))],
        )
        seed_invoice(number="INV-2026-0003", total="500.00", purpose="membership.join", issued=at(2026, 1, 10), paid=[])
        seed_papers(
            meeting=a1,
            author=make_user("author@alpha.example.cn"),
            outcomes=["accept_oral", "accept_poster", "reject", None],
            withdrawn=1,
        )
        seed_members(prefix="a", category_code="regular", count=5, history=JOINED, renewed=at(2026, 1, 5))
        seed_members(prefix="al", category_code="regular", count=2, history=LAPSED)
        seed_members(
            prefix="as",
            category_code="student",
            count=3,
            history=[("", "active", at(2025, 2, 10))],
            renewed=at(2026, 2, 1),
        )
    with in_schema(society_b):
        seed_members(prefix="b", category_code="regular", count=3, history=JOINED)
        seed_meetings(prefix="b1", starts_on=date(2025, 5, 20), registrations=[(confirmed, True)] * 2)
        seed_invoice(
            number="INV-2025-0001",
            total="999.00",
            purpose="membership.join",
            issued=at(2025, 1, 5),
            paid=[("999.00", "card", at(2025, 1, 6))],
        )
    return society_a, society_b
