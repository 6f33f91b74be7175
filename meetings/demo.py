"""Demo data: one published meeting with registration open, two types, a few registrations."""

import datetime
from decimal import Decimal

from django.utils import timezone

from meetings.models import Meeting
from meetings.services import groups, organise
from meetings.services import registration as services

SLUG = "annual-meeting"


def seed(*, society, people, stdout) -> None:
    if Meeting.objects.filter(slug=SLUG).exists():
        return
    organiser = people["organiser"]
    starts = timezone.localdate() + datetime.timedelta(days=60)
    meeting = organise.save_meeting(
        data={
            "slug": SLUG,
            "title_zh": f"{society.name_zh}{starts.year}年学术年会",
            "title_en": f"{society.name_en or society.slug.upper()} Annual Meeting {starts.year}",
            "starts_on": starts,
            "ends_on": starts + datetime.timedelta(days=2),
            "venue": "杭州国际博览中心",
            "description": "年度学术交流大会：大会报告、分会场报告、墙报展示与青年论坛。",
            "organisers": society.name_zh,
            "co_organisers": "浙江大学",
            "contact": "会务组 0571-87950000",
            "capacity": 300,
            "substitution_deadline": starts - datetime.timedelta(days=7),
        },
        actor=organiser,
    )
    organise.save_registration_type(
        meeting=meeting,
        data={
            "name_zh": "会员代表",
            "name_en": "Member delegate",
            "kind": "member",
            "price": Decimal("1200"),
            "price_early": Decimal("900"),
            "early_bird_until": starts - datetime.timedelta(days=30),
            "price_onsite": Decimal("1500"),
            "position": 1,
        },
        actor=organiser,
    )
    delegate = organise.save_registration_type(
        meeting=meeting,
        data={
            "name_zh": "非会员代表",
            "name_en": "Non-member delegate",
            "kind": "non_member",
            "price": Decimal("1800"),
            "price_onsite": Decimal("2000"),
            "capacity": 200,
            "position": 2,
        },
        actor=organiser,
    )
    organise.set_refund_rules(
        meeting=meeting,
        rules=[(starts - datetime.timedelta(days=30), 100), (starts - datetime.timedelta(days=7), 50)],
        actor=organiser,
    )
    organise.set_meeting_status(meeting=meeting, status=Meeting.Status.REGISTRATION_OPEN, actor=organiser)
    meeting.refresh_from_db()
    for index, member in enumerate(people["members"]):
        reg = services.register(
            meeting=meeting,
            registration_type=delegate,
            user=member,
            actor=member,
            attendee=services.Attendee(
                name=member.name, email=member.email, phone=f"1380013800{index}", unit="中国科学院化学研究所"
            ),
        )
        if index == 0:  # one has paid (recorded as if the payment had come through), one is still paying
            services.confirm_payment(registration=reg, amount=reg.total, currency=reg.currency, actor=organiser)
    order = groups.create_group_order(
        meeting=meeting,
        contact=organiser,
        institution="浙江大学化学系",
        buyer={"name": "浙江大学", "taxpayer_id": "12330000470003281X", "kind": "ordinary"},
        attendees=[
            (delegate, services.Attendee(name=name, email=f"zju{i}@demo.xuehui.cn", unit="浙江大学化学系"))
            for i, name in enumerate(["周明", "吴婷", "郑凯"])
        ],
        actor=organiser,
    )
    groups.confirm_group_payment(order=order, actor=organiser)
    stdout.write(f"  meetings: {meeting.slug} with 2 types and 5 registrations")
