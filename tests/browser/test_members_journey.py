"""A person applies on a phone, the secretariat approves, payment arrives, the member sees the
status and downloads the card; a secretariat imports a GB18030 CSV through the preview."""

from types import SimpleNamespace

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from members.billing import invoice_paid
from members.models import Member, MembershipCharge
from tests.browser_fixtures import log_in
from tests.conftest import committed
from tests.members.conftest import make_categories

pytestmark = [pytest.mark.browser, committed]


def test_apply_approve_pay_and_download_the_card(
    page, phone, site_url, society_a, make_user, screenshot, celery_worker_thread
):
    with schema_context(society_a.schema_name):
        categories = make_categories()
    make_user("zhang.wei@example.cn", "张伟", password="Xuehui-2026-pass")

    log_in(
        phone, site_url(society_a, "/accounts/login/?next=/members/apply/"), "zhang.wei@example.cn", "Xuehui-2026-pass"
    )
    expect(phone.locator("h1")).to_have_text("申请入会")
    phone.select_option("#id_category", str(categories["regular"].pk))
    phone.fill("#id_name_en", "Zhang Wei")
    phone.select_option("#id_gender", "M")
    phone.select_option("#id_id_type", "resident_id")
    phone.fill("#id_id_number", "110105194912310021")
    phone.fill("#id_work_unit", "北京大学化学学院")
    phone.fill("#id_mobile", "138 0013 8000")
    phone.click("[data-testid=save-draft]")
    expect(phone.locator(".errorlist")).to_have_text("这不是有效的 18 位居民身份证号码（校验码不符或位数不对）。")
    phone.fill("#id_id_number", "11010519491231002X")
    screenshot(phone, "members-apply-phone")
    phone.click("[data-testid=submit-application]")
    expect(phone.locator(".messages")).to_contain_text("您的申请已提交")
    expect(phone.locator("[data-testid=application-status]")).to_contain_text("等待审核")

    log_in(
        page,
        site_url(society_a, "/accounts/login/?next=/members/console/applications/"),
        "admin@alpha.example.cn",
        "pw-Admin-2026",
    )
    page.get_by_role("link", name="张伟").click()
    expect(page.locator("h1")).to_contain_text("张伟")
    screenshot(page, "members-review")
    page.click("[data-testid=approve]")
    expect(page.locator(".messages")).to_have_text("申请已批准。")

    phone.goto(site_url(society_a, "/members/me/"))
    expect(phone.locator("[data-testid=member-status]")).to_have_text("待缴费")
    expect(phone.locator("[data-testid=membership]")).to_contain_text("待缴费用：200.00 CNY。")
    with schema_context(society_a.schema_name):
        charge = MembershipCharge.objects.get()
        # What dues does when the invoice is paid (Stripe or a confirmed bank transfer).
        invoice_paid(SimpleNamespace(purpose=charge.purpose, subject_id=str(charge.pk)), actor=None)
        number = Member.objects.get().number
    for _ in range(20):
        phone.goto(site_url(society_a, "/members/me/"))
        if phone.locator("[data-testid=card-download]").count():
            break
        phone.wait_for_timeout(300)
    expect(phone.locator("[data-testid=member-status]")).to_have_text("正常")
    expect(phone.locator("[data-testid=member-number]")).to_have_text(number)
    expect(phone.locator("[data-testid=history]")).to_contain_text("已收到付款")
    screenshot(phone, "members-me-phone")
    with phone.expect_download() as download_info:
        phone.click("[data-testid=card-download]")
    path = download_info.value.path()
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"

    page.goto(site_url(society_a, "/members/console/?q=张"))
    expect(page.locator("[data-testid=member-table]")).to_contain_text(number)
    screenshot(page, "members-console")
    page.get_by_role("link", name="张伟").click()
    expect(page.locator("[data-testid=id-number]")).to_contain_text("110***********002X")
    expect(page.locator("[data-testid=history]")).to_contain_text("已收到付款")
    screenshot(page, "members-console-member")
    phone.select_option("[data-testid=language]", "en")
    expect(phone.locator("[data-testid=member-status]")).to_have_text("Active")
    screenshot(phone, "members-me-phone-en")
    with schema_context(society_a.schema_name):
        token = Member.objects.get().verify_token
    phone.goto(site_url(society_a, f"/members/verify/{token}/"))
    expect(phone.locator("[data-testid=verify-result]")).to_contain_text("Valid membership on")
    screenshot(phone, "members-verify-phone")


def test_secretariat_imports_a_gb18030_csv_through_the_preview(page, site_url, society_a, tmp_path, screenshot):
    with schema_context(society_a.schema_name):
        make_categories()
    path = tmp_path / "老会员名单.csv"
    path.write_bytes(
        (
            "姓名,性别,证件号码,工作单位,手机,电子邮箱,会员类别,入会日期,到期日期\n"
            "张伟,男,11010519491231002X,北京大学,13800138000,zw@example.cn,普通会员,2019年3月1日,2099-12-31\n"
            "李娜,女,,清华大学,１３９００１３９０００,ln@example.cn,学生会员,2020/9/1,2099/6/30\n"
        ).encode("gb18030")
    )
    log_in(
        page,
        site_url(society_a, "/accounts/login/?next=/members/console/import/"),
        "admin@alpha.example.cn",
        "pw-Admin-2026",
    )
    page.set_input_files("#id_file", str(path))
    page.click("[data-testid=import-upload]")
    expect(page.locator("[data-testid=count-created]")).to_have_text("2")
    expect(page.locator("[data-testid=preview]")).to_contain_text("李娜")
    expect(page.locator("[data-testid=job-status]")).to_have_text("已检查")
    with schema_context(society_a.schema_name):
        assert Member.objects.count() == 0
    screenshot(page, "members-import-preview")
    page.click("[data-testid=import-confirm]")
    expect(page.locator("[data-testid=import-done]")).to_have_text("导入完成。")
    with schema_context(society_a.schema_name):
        assert sorted(Member.objects.values_list("name_zh", "mobile")) == [
            ("张伟", "+8613800138000"),
            ("李娜", "+8613900139000"),
        ]
    page.goto(site_url(society_a, "/members/console/"))
    expect(page.locator("[data-testid=result-count]")).to_have_text("共 2 位会员")
