"""A person signs up, logs in, switches language, opens a society site and logs out."""

import pytest
from playwright.sync_api import expect

from tests.browser_fixtures import log_in
from tests.conftest import committed

pytestmark = [pytest.mark.browser, committed]


def test_sign_up_log_in_switch_language_open_society_log_out(page, phone, site_url, society_a, screenshot):
    page.goto(site_url())
    expect(page.locator("[data-testid=society-list]")).to_contain_text("测试化学会")
    page.get_by_text("创建账户").first.click()
    page.fill("#id_name", "陈晨")
    page.fill("#id_email", "chen.chen@example.cn")
    page.fill("#id_password1", "Xuehui-2026-pass")
    page.fill("#id_password2", "Xuehui-2026-wrong")
    page.click("[data-testid=signup-submit]")
    expect(page.locator(".errorlist")).to_have_text("两次输入的密码不一致。")
    page.fill("#id_password1", "Xuehui-2026-pass")
    page.fill("#id_password2", "Xuehui-2026-pass")
    page.click("[data-testid=signup-submit]")
    expect(page.locator(".messages")).to_have_text("欢迎，陈晨。您的账户已创建。")
    screenshot(page, "foundation-platform-home-zh")

    page.select_option("[data-testid=language]", "en")
    expect(page.locator("h1")).to_have_text("Xuehui — the home of China's national societies")
    expect(page.locator("[data-testid=society-list]")).to_contain_text("Test Chemical Society")
    screenshot(page, "foundation-platform-home-en")

    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    expect(page.get_by_text("Log in").first).to_be_visible()

    # On the society's own site (phone-sized), log in with the same account.
    phone.goto(site_url(society_a, "/accounts/login/"))
    phone.fill("#id_username", "chen.chen@example.cn")
    phone.fill("#id_password", "wrong-password")
    phone.click("[data-testid=login-submit]")
    expect(phone.locator(".form-errors")).to_contain_text("电子邮箱或密码不正确")
    phone.fill("#id_password", "Xuehui-2026-pass")
    phone.click("[data-testid=login-submit]")
    expect(phone.locator("h1")).to_have_text("测试化学会")
    expect(phone.locator("[data-testid=user-menu]")).to_have_text("陈晨")
    screenshot(phone, "foundation-society-home-phone")
    phone.click("[data-testid=user-menu]")
    phone.click("[data-testid=logout]")
    expect(phone.get_by_text("登录").first).to_be_visible()


def test_phone_header_keeps_the_society_name_whole_and_the_account_menu_on_one_line(
    phone, site_url, society_a, make_user, screenshot
):
    make_user("secretariat@example.cn", "测试化学会秘书处工作人员", password="Xuehui-2026-pass")
    log_in(phone, site_url(society_a, "/accounts/login/"), "secretariat@example.cn", "Xuehui-2026-pass")
    expect(phone.locator("h1")).to_have_text("测试化学会")
    header = phone.evaluate(
        """() => {
            const brand = document.querySelector('.site-header .brand');
            const name = document.createRange();
            name.selectNodeContents(brand.firstChild);
            const menu = document.querySelector('[data-testid=user-menu]');
            const who = menu.querySelector('.who');
            return {
                nameLines: name.getClientRects().length,
                menuLines: Math.round(menu.clientHeight / who.getBoundingClientRect().height),
                nameCut: who.scrollWidth > who.clientWidth,
                title: who.title,
                pageWider: document.documentElement.scrollWidth > window.innerWidth,
            };
        }"""
    )
    assert header == {
        "nameLines": 1, "menuLines": 1, "nameCut": True, "title": "测试化学会秘书处工作人员", "pageWider": False,
    }
    screenshot(phone, "foundation-society-header-phone")
