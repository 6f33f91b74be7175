"""A person signs up, logs in, switches language, opens a society site and logs out."""

import pytest

from tests.conftest import committed

pytestmark = [pytest.mark.browser, committed]


def test_sign_up_log_in_switch_language_open_society_log_out(page, phone, site_url, society_a, screenshot):
    page.goto(site_url())
    assert page.locator("[data-testid=society-list]").inner_text().count("测试化学会") == 1
    page.get_by_text("创建账户").first.click()
    page.fill("#id_name", "陈晨")
    page.fill("#id_email", "chen.chen@example.cn")
    page.fill("#id_password1", "Xuehui-2026-pass")
    page.fill("#id_password2", "Xuehui-2026-wrong")
    page.click("[data-testid=signup-submit]")
    assert "两次输入的密码不一致" in page.locator(".errorlist").inner_text()
    page.fill("#id_password1", "Xuehui-2026-pass")
    page.fill("#id_password2", "Xuehui-2026-pass")
    page.click("[data-testid=signup-submit]")
    assert "欢迎，陈晨" in page.locator(".messages").inner_text()
    screenshot(page, "foundation-platform-home-zh")

    page.select_option("[data-testid=language]", "en")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Xuehui — the home of China's national societies"
    assert "Test Chemical Society" in page.locator("[data-testid=society-list]").inner_text()
    screenshot(page, "foundation-platform-home-en")

    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    assert page.get_by_text("Log in").first.is_visible()

    # On the society's own site (phone-sized), log in with the same account.
    phone.goto(site_url(society_a, "/accounts/login/"))
    phone.fill("#id_username", "chen.chen@example.cn")
    phone.fill("#id_password", "wrong-password")
    phone.click("[data-testid=login-submit]")
    assert "电子邮箱或密码不正确" in phone.locator(".form-errors").inner_text()
    phone.fill("#id_password", "Xuehui-2026-pass")
    phone.click("[data-testid=login-submit]")
    assert phone.locator("h1").inner_text() == "测试化学会"
    assert phone.locator("[data-testid=user-menu]").inner_text() == "陈晨"
    screenshot(phone, "foundation-society-home-phone")
    phone.click("[data-testid=user-menu]")
    phone.click("[data-testid=logout]")
    assert phone.get_by_text("登录").first.is_visible()
