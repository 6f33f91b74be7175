"""Pages: organiser console, registering on the site, my registrations, check-in, exports."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from meetings import billing
from meetings.models import Meeting, Quota, Registration
from meetings.services import registration as services
from meetings.services.checkin import check_in
from tests.conftest import client_for, committed
from tests.meetings.conftest import FakeInvoice, attendee, make_meeting


def paid_registration(meeting, rtype, user, name="张三", phone="13800138000"):
    reg = services.register(
        meeting=meeting,
        registration_type=rtype,
        user=user,
        attendee=attendee(name=name, email=user.email, mobile=phone),
        actor=user,
    )
    billing.invoice_paid(FakeInvoice(purpose="meeting.registration", subject_id=reg.pk, total=reg.total), actor=None)
    reg.refresh_from_db()
    return reg


def test_organiser_creates_and_opens_meeting(society_a, society_b, in_schema, organiser, make_user):
    client = client_for(society_a)
    client.force_login(organiser)
    response = client.post(
        "/meetings/console/new/",
        {
            "title_zh": "催化学术会议",
            "title_en": "Catalysis Symposium",
            "slug": "cat-2026",
            "starts_on": "2026-09-01",
            "ends_on": "2026-09-03",
            "venue": "大连",
            "capacity": "200",
            "hold_minutes": "20",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/meetings/console/cat-2026/"
    response = client.post(
        "/meetings/console/cat-2026/types/new/",
        {
            "name_zh": "正式代表",
            "kind": "non_member",
            "currency": "CNY",
            "price": "1200",
            "position": "1",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert client.post("/meetings/console/cat-2026/status/", {"status": "open"}).status_code == 302
    with in_schema(society_a):
        meeting = Meeting.objects.get(slug="cat-2026")
        assert (meeting.status, meeting.hold_minutes, meeting.types.get().price) == ("open", 20, Decimal("1200"))
        assert Quota.objects.get(registration_type__isnull=True, addon__isnull=True).size == 200
    page = client.get("/meetings/console/cat-2026/").content.decode()
    assert "正式代表" in page and "报名开放" in page
    # ends before it starts: a clear message, nothing saved
    response = client.post(
        "/meetings/console/new/",
        {"title_zh": "错误", "slug": "bad", "starts_on": "2026-09-03", "ends_on": "2026-09-01", "hold_minutes": "30"},
    )
    assert response.status_code == 200
    with in_schema(society_a):
        assert not Meeting.objects.filter(slug="bad").exists()
    outsider = make_user("member@example.cn")
    other = client_for(society_a)
    other.force_login(outsider)
    assert other.get("/meetings/console/").status_code == 403
    assert client_for(society_b).get("/meetings/cat-2026/").status_code == 404


def test_attendee_registers_and_is_sent_to_payment(open_meeting, society_a, in_schema, make_user):
    user = make_user("li.si@example.cn", "李四")
    client = client_for(society_a)
    client.force_login(user)
    with in_schema(society_a):
        meeting, member, other = open_meeting
    page = client.get("/meetings/annual-2026/register/").content.decode()
    assert f"?type={other.pk}" in page and f"?type={member.pk}" not in page  # member price: members only
    response = client.post(
        f"/meetings/annual-2026/register/?type={other.pk}",
        {"name": "李四", "email": "li.si@example.cn", "phone": "12", "unit": "浙江大学"},
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    response = client.post(
        f"/meetings/annual-2026/register/?type={other.pk}",
        {"name": "李四", "email": "li.si@example.cn", "phone": "13800138000", "unit": "浙江大学"},
    )
    with in_schema(society_a):
        reg = Registration.objects.get()
    assert response["Location"] == f"/meetings/r/{reg.ticket_code}/"
    assert (reg.status, reg.name, reg.unit, reg.total) == ("held", "李四", "浙江大学", Decimal("1500"))
    response = client.post(f"/meetings/r/{reg.ticket_code}/pay/")
    with in_schema(society_a):
        reg.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == f"/dues/invoices/{reg.invoice_id}/pay/"
    # a stranger cannot open the registration
    stranger = client_for(society_a)
    stranger.force_login(make_user("x@example.cn"))
    assert stranger.get(f"/meetings/r/{reg.ticket_code}/").status_code == 404


def test_my_registrations_ticket_and_cancel(open_meeting, society_a, society_b, in_schema, make_user):
    user = make_user("li.si@example.cn", "李四")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        reg = paid_registration(meeting, other, user, name="李四")
    client = client_for(society_a)
    client.force_login(user)
    page = client.get("/meetings/mine/").content.decode()
    assert "2026年学术年会" in page and reg.ticket_code in page
    page = client.get(f"/meetings/r/{reg.ticket_code}/").content.decode()
    assert "<svg" in page and reg.ticket_code in page
    assert client.get(f"/meetings/r/{reg.ticket_code}/qr.svg")["Content-Type"] == "image/svg+xml"
    response = client.post(f"/meetings/r/{reg.ticket_code}/cancel/")
    assert response["Location"] == "/meetings/mine/"
    with in_schema(society_a):
        reg.refresh_from_db()
        assert reg.status == "cancelled"
    on_b = client_for(society_b)
    on_b.force_login(user)
    assert on_b.get(f"/meetings/r/{reg.ticket_code}/").status_code == 404
    assert reg.ticket_code not in on_b.get("/meetings/mine/").content.decode()


def test_checkin_by_search_and_code(open_meeting, society_a, in_schema, make_user, organiser):
    a, b = make_user("a@example.cn"), make_user("b@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        paid = paid_registration(meeting, other, a, name="王小明", phone="13912345678")
        unpaid = services.register(
            meeting=meeting, registration_type=other, user=b, attendee=attendee(name="王大明", email=b.email), actor=b
        )
    client = client_for(society_a)
    client.force_login(organiser)
    page = client.get("/meetings/console/annual-2026/checkin/?q=王").content.decode()
    assert "王小明" in page and "王大明" in page
    page = client.get("/meetings/console/annual-2026/checkin/?q=2345678").content.decode()
    assert "王小明" in page and "王大明" not in page
    page = client.post("/meetings/console/annual-2026/checkin/", {"registration": paid.pk}).content.decode()
    assert 'data-testid="checkin-result"' in page and "王小明" in page
    page = client.post("/meetings/console/annual-2026/checkin/", {"code": paid.ticket_code.lower()}).content.decode()
    with in_schema(society_a):
        paid.refresh_from_db()
        from django.utils import timezone

        at = timezone.localtime(paid.checked_in_at).strftime("%H:%M")
        assert check_in(meeting=meeting, ticket_code=unpaid.ticket_code, actor=organiser).outcome == "unpaid"
        assert check_in(meeting=meeting, ticket_code="NOSUCHCODE", actor=organiser).outcome == "unknown"
    assert at in page
    badge = client.get(f"/meetings/console/annual-2026/registrations/{paid.pk}/badge.pdf")
    assert badge["Content-Type"] == "application/pdf" and badge.content.startswith(b"%PDF")


def test_registration_list_filters_and_csv(open_meeting, society_a, in_schema, make_user, organiser):
    a, b = make_user("a@example.cn"), make_user("b@example.cn")
    with in_schema(society_a):
        meeting, _member, other = open_meeting
        paid_registration(meeting, other, a, name="甲")
        services.register(
            meeting=meeting, registration_type=other, user=b, attendee=attendee(name="乙", email=b.email), actor=b
        )
    client = client_for(society_a)
    client.force_login(organiser)
    page = client.get("/meetings/console/annual-2026/registrations/?status=confirmed").content.decode()
    assert ">甲</a>" in page and ">乙</a>" not in page
    csv = client.get("/meetings/console/annual-2026/registrations/?format=csv").content.decode("utf-8-sig")
    rows = csv.strip().splitlines()
    assert rows[0].startswith("ticket_code,name,email") and len(rows) == 3
    stats = client.get("/meetings/console/annual-2026/").content.decode()
    assert "1500.00 CNY" in stats


@committed
def test_lock_timeout_answers_503(society_a, organiser, make_user):
    user = make_user("busy@example.cn")
    with schema_context(society_a.schema_name):
        meeting, _member, other = make_meeting(organiser=organiser, seats=5)
        quota_id = Quota.objects.get(registration_type=other).pk
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        with schema_context(society_a.schema_name):
            from django.db import transaction

            with transaction.atomic():
                Quota.objects.select_for_update().get(pk=quota_id)
                locked.set()
                release.wait(15)
        connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        client = client_for(society_a)
        client.force_login(user)
        response = client.post(
            f"/meetings/annual-2026/register/?type={other.pk}",
            {"name": "忙碌", "email": "busy@example.cn", "phone": "13800138000"},
        )
    finally:
        release.set()
        holder.join()
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "当前报名人数较多" in response.content.decode()
    with schema_context(society_a.schema_name):
        assert Registration.objects.count() == 0
        assert Quota.objects.get(pk=quota_id).held == 0


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_public_pages_in_both_languages(open_meeting, society_a, language):
    client = client_for(society_a)
    client.cookies["django_language"] = language
    page = client.get("/meetings/annual-2026/").content.decode()
    assert ("Annual Meeting 2026" if language == "en" else "2026年学术年会") in page
    assert client.get("/meetings/").status_code == 200


def test_draft_meeting_is_not_public(society_a, in_schema, organiser):
    from meetings.services import organise

    with in_schema(society_a):
        organise.save_meeting(
            data={
                "slug": "draft",
                "title_zh": "草稿",
                "starts_on": datetime.date(2026, 1, 1),
                "ends_on": datetime.date(2026, 1, 1),
            },
            actor=organiser,
        )
    assert client_for(society_a).get("/meetings/draft/").status_code == 404
    assert "草稿" not in client_for(society_a).get("/meetings/").content.decode()


def test_sold_out_form_offers_waiting_list(society_a, in_schema, organiser, make_user):
    first, second = make_user("first@example.cn"), make_user("second@example.cn")
    with in_schema(society_a):
        meeting, _member, other = make_meeting(organiser=organiser, seats=1)
        services.register(
            meeting=meeting, registration_type=other, user=first, attendee=attendee(email=first.email), actor=first
        )
    client = client_for(society_a)
    client.force_login(second)
    details = {"name": "候补", "email": "second@example.cn", "phone": "13800138000"}
    page = client.get(f"/meetings/annual-2026/register/?type={other.pk}").content.decode()
    assert 'name="join_waitlist"' in page
    response = client.post(f"/meetings/annual-2026/register/?type={other.pk}", {**details, "join_waitlist": "on"})
    with in_schema(society_a):
        reg = Registration.objects.get(user=second)
    assert response["Location"] == f"/meetings/r/{reg.ticket_code}/" and reg.status == "waitlisted"


def test_group_form_holds_seats_for_listed_people(open_meeting, society_a, in_schema, make_user):
    contact = make_user("contact@zju.example.cn", "联系人")
    with in_schema(society_a):
        _meeting, _member, other = open_meeting
    client = client_for(society_a)
    client.force_login(contact)
    form = {
        "institution": "浙江大学",
        "kind": "ordinary",
        "registration_type": other.pk,
        "people": "周明, zhou@zju.example.cn, 13800138001\n吴婷，wu@zju.example.cn，13800138002",
    }
    bad = client.post("/meetings/annual-2026/group/", {**form, "people": "周明, not-an-email"})
    assert bad.status_code == 200 and "第 1 行" in bad.content.decode()
    response = client.post("/meetings/annual-2026/group/", form)
    with in_schema(society_a):
        from meetings.models import GroupOrder

        order = GroupOrder.objects.get()
        names = list(order.registrations.order_by("id").values_list("name", "status"))
    assert response["Location"] == f"/meetings/groups/{order.pk}/"
    assert (order.total, names) == (Decimal("3000"), [("周明", "held"), ("吴婷", "held")])
    page = client.get(f"/meetings/groups/{order.pk}/").content.decode()
    assert "周明" in page and "3000.00 CNY" in page


def test_questions_per_type_and_bulk_email(open_meeting, society_a, in_schema, make_user, organiser, mailoutbox):
    from meetings.services import organise

    user = make_user("q@example.cn", "答题人")
    with in_schema(society_a):
        meeting, member, other = open_meeting
        organise.save_question(
            meeting=meeting,
            data={"label": "饮食要求", "kind": "choice", "choices": "普通\n清真", "required": True},
            types=[other],
            actor=organiser,
        )
        organise.save_question(
            meeting=meeting, data={"label": "会员编号", "kind": "text"}, types=[member], actor=organiser
        )
    client = client_for(society_a)
    client.force_login(user)
    page = client.get(f"/meetings/annual-2026/register/?type={other.pk}").content.decode()
    assert "饮食要求" in page and "会员编号" not in page
    details = {"name": "答题人", "email": "q@example.cn", "phone": "13800138000"}
    missing = client.post(f"/meetings/annual-2026/register/?type={other.pk}", details)
    assert missing.status_code == 200 and "errorlist" in missing.content.decode()
    question_field = next(k for k in ("q1", "q2", "q3") if f'name="{k}"' in page)
    client.post(f"/meetings/annual-2026/register/?type={other.pk}", {**details, question_field: "清真"})
    with in_schema(society_a):
        assert Registration.objects.get().answers == {"饮食要求": "清真"}
    staff = client_for(society_a)
    staff.force_login(organiser)
    response = staff.post(
        "/meetings/console/annual-2026/registrations/email/",
        {"subject": "会议通知", "body": "请准时参会。", "status": "held"},
    )
    assert response.status_code == 302
    assert [(m.subject, m.to) for m in mailoutbox] == [("会议通知", ["q@example.cn"])]
