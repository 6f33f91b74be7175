"""Meetings in a browser: an organiser sets a meeting up; a member registers and pays on a phone
and gets the QR ticket; staff check the attendee in by searching."""

import datetime

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from common.models import Role
from meetings.models import Meeting, Registration
from tests.browser_fixtures import log_in
from tests.conftest import committed
from tests.meetings.conftest import make_active_member, make_meeting

pytestmark = [pytest.mark.browser, committed]
PASSWORD = "pw-Test-2026"


def test_organiser_creates_and_publishes_meeting_with_two_types(page, site_url, society_a, make_user, screenshot):
    from tenants.services import grant_role

    organiser = make_user("hui.wu@example.cn", "会务老师", password=PASSWORD)
    with schema_context(society_a.schema_name):
        grant_role(user=organiser, role=Role.ORGANISER)
    log_in(page, site_url(society_a, "/accounts/login/?next=/meetings/console/"), organiser.email, PASSWORD)
    page.click("[data-testid=new-meeting]")
    page.fill("#id_title_zh", "第十届催化化学学术会议")
    page.fill("#id_title_en", "10th Catalysis Conference")
    page.fill("#id_slug", "catalysis-10")
    page.fill("#id_starts_on", "2026-10-12")
    page.fill("#id_ends_on", "2026-10-14")
    page.fill("#id_venue", "大连")
    page.fill("#id_capacity", "300")
    page.click("[data-testid=save]")
    expect(page.locator("[data-testid=meeting-status]")).to_have_text("草稿")
    for name, kind, price in (("会员代表", "member", "900"), ("非会员代表", "non_member", "1500")):
        page.click("[data-testid=add-type]")
        page.fill("#id_name_zh", name)
        page.select_option("#id_kind", kind)
        page.fill("#id_price", price)
        page.click("[data-testid=save]")
    expect(page.locator("[data-testid=types] tbody tr")).to_have_count(2)
    page.click("[data-testid=status-open]")
    expect(page.locator("[data-testid=meeting-status]")).to_have_text("报名开放")
    screenshot(page, "meetings-console-dashboard")
    page.goto(site_url(society_a, "/meetings/catalysis-10/"))
    expect(page.locator("[data-testid=meeting-title]")).to_have_text("第十届催化化学学术会议")
    expect(page.locator("[data-testid=register]")).to_be_visible()
    with schema_context(society_a.schema_name):
        meeting = Meeting.objects.get(slug="catalysis-10")
        assert (meeting.status, meeting.types.count()) == ("open", 2)


def test_member_registers_and_pays_on_phone_then_is_checked_in(
    phone,
    page,
    site_url,
    society_a,
    society_b,
    make_user,
    fake_stripe,
    connect_society,
    screenshot,
    mailoutbox,
    eager_tasks,
):
    from tenants.services import grant_role

    connect_society(society_a)
    organiser = make_user("hui.wu@example.cn", "会务老师", password=PASSWORD)
    member = make_user("wang.fang@example.cn", "王芳", password=PASSWORD)
    with schema_context(society_a.schema_name):
        grant_role(user=organiser, role=Role.ORGANISER)
        make_active_member(member)
        start = datetime.date.today() + datetime.timedelta(days=60)
        meeting, member_type, _other = make_meeting(
            organiser=organiser, slug="annual-2026", starts_on=start, ends_on=start + datetime.timedelta(days=2)
        )
    log_in(phone, site_url(society_a, "/accounts/login/?next=/meetings/annual-2026/"), member.email, PASSWORD)
    phone.click("[data-testid=register]")
    screenshot(phone, "meetings-register-choose-type-phone")
    phone.click(f"[data-testid=choose-{member_type.pk}]")
    expect(phone.locator("#id_name")).to_have_value("王芳")
    phone.fill("#id_phone", "13912345678")
    phone.fill("#id_unit", "北京大学化学学院")
    screenshot(phone, "meetings-register-details-phone")
    phone.click("[data-testid=register-submit]")
    expect(phone.locator("[data-testid=status]")).to_have_text("待支付")
    screenshot(phone, "meetings-registration-held-phone")
    phone.click("[data-testid=pay]")
    phone.click("[data-testid=continue]")
    phone.click("button.alipay")
    expect(phone.locator("[data-testid=status]").first).to_have_text("已付款")
    with schema_context(society_a.schema_name):
        reg = Registration.objects.get(user=member)
        assert (reg.status, reg.registration_type_id) == ("confirmed", member_type.pk)
    phone.goto(site_url(society_a, "/meetings/mine/"))
    phone.click("[data-testid=my-registration] a")
    expect(phone.locator("[data-testid=ticket] svg")).to_be_visible()
    expect(phone.locator("[data-testid=ticket] .code")).to_have_text(reg.ticket_code)
    screenshot(phone, "meetings-ticket-phone")
    assert any(m.to == [member.email] and reg.ticket_code in m.body for m in mailoutbox)

    checkin = site_url(society_a, "/accounts/login/?next=/meetings/console/annual-2026/checkin/")
    log_in(page, checkin, organiser.email, PASSWORD)
    page.fill("[data-testid=checkin-search]", "王芳")
    page.keyboard.press("Enter")
    page.click(f"[data-testid=checkin-{reg.pk}]")
    expect(page.locator("[data-testid=checkin-result]")).to_contain_text("签到成功：王芳。")
    screenshot(page, "meetings-checkin-desk")
    page.fill("[data-testid=ticket-code]", reg.ticket_code)
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=checkin-result]")).to_contain_text("已于")
    with schema_context(society_b.schema_name):
        assert Registration.objects.count() == 0


def test_organiser_edits_addon_price_and_deactivates_used_code_on_phone(
    phone, site_url, society_a, society_b, make_user, screenshot
):
    from decimal import Decimal

    from meetings.models import AddOn, DiscountCode
    from meetings.services import organise
    from meetings.services.registration import register
    from tenants.services import grant_role
    from tests.meetings.conftest import attendee

    organiser = make_user("hui.wu@example.cn", "会务老师", password=PASSWORD)
    buyer = make_user("zhao.liu@example.cn", "赵六")
    with schema_context(society_a.schema_name):
        grant_role(user=organiser, role=Role.ORGANISER)
        meeting, _member, other = make_meeting(organiser=organiser, slug="annual-2026")
        banquet = organise.save_addon(
            meeting=meeting, data={"name_zh": "欢迎晚宴", "price": Decimal("300"), "capacity": 100}, actor=organiser
        )
        code = organise.save_discount_code(
            meeting=meeting, data={"code": "EARLY", "kind": "amount", "value": Decimal("100")}, actor=organiser
        )
        register(
            meeting=meeting,
            registration_type=other,
            user=buyer,
            attendee=attendee(email=buyer.email),
            code="EARLY",
            actor=buyer,
        )
    console = site_url(society_a, "/accounts/login/?next=/meetings/console/annual-2026/")
    log_in(phone, console, organiser.email, PASSWORD)
    phone.click(f"[data-testid=edit-addon-{banquet.pk}]")
    expect(phone.locator("#id_price")).to_have_value("300.00")
    phone.fill("#id_price", "360")
    phone.click("[data-testid=save]")
    expect(phone.locator("[data-testid=addons]")).to_contain_text("欢迎晚宴 · 360.00")
    phone.click(f"[data-testid=remove-code-{code.pk}]")
    expect(phone.locator("[data-testid=in-use]")).to_contain_text("已有报名使用了该优惠码，因此不能删除。")
    expect(phone.locator("[data-testid=delete]")).to_have_count(0)
    screenshot(phone, "meetings-extras-remove-used-code-phone")
    phone.click("[data-testid=deactivate]")
    expect(phone.locator(f"[data-testid=code-inactive-{code.pk}]")).to_have_text("已停用")
    screenshot(phone, "meetings-extras-dashboard-phone")
    phone.click(f"[data-testid=edit-code-{code.pk}]")
    expect(phone.locator("#id_value")).to_be_disabled()
    expect(phone.locator("#id_active")).not_to_be_checked()
    screenshot(phone, "meetings-extras-used-code-form-phone")
    with schema_context(society_a.schema_name):
        assert AddOn.objects.get().price == Decimal("360.00")
        assert (DiscountCode.objects.get().active, DiscountCode.objects.get().used) == (False, 1)
    with schema_context(society_b.schema_name):
        assert (AddOn.objects.count(), DiscountCode.objects.count()) == (0, 0)
