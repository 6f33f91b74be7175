"""In the browser: a secretariat opens its board and filters by year; the operator changes the
index weights and sees the ranking change."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from board.fill import fill_society
from board.services import compute_index_scores
from tests.board.conftest import at, seed_invoice
from tests.browser_fixtures import log_in
from tests.conftest import committed

pytestmark = [pytest.mark.browser, committed]


def test_secretariat_opens_board_and_filters_by_year(page, phone, site_url, seeded, screenshot):
    society_a, society_b = seeded
    fill_society(society=society_a)
    fill_society(society=society_b)
    compute_index_scores()
    log_in(page, site_url(society_a, "/accounts/login/?next=/board/"), "admin@alpha.example.cn", "pw-Admin-2026")
    expect(page.locator("h1")).to_have_text("数据看板")
    expect(page.locator("[data-testid=freshness]")).to_contain_text("数据截至")
    page.select_option("#id_year", "2025")
    page.click("[data-testid=board-apply]")
    expect(page.locator("[data-testid=chart-meetings] .board-canvas")).to_have_attribute("data-ready", "1")
    expect(page.locator("[data-testid=chart-meetings] canvas")).to_have_count(1)
    page.locator("[data-testid=chart-meetings] summary").click()
    expect(page.locator("[data-testid=chart-meetings] tbody tr")).to_have_text(["a1-20250598675.0%6,400.00"])
    assert "year=2025" in page.url
    screenshot(page, "board-society-2025")
    with page.expect_download() as download:
        page.click("[data-testid=csv-meetings]")
    assert download.value.suggested_filename == "alpha-meetings-2025.csv"

    page.select_option("#id_year", "2026")
    page.click("[data-testid=board-apply]")
    page.locator("[data-testid=chart-meetings] summary").click()
    expect(page.locator("[data-testid=chart-meetings] tbody tr")).to_have_text(["a2-202603<5<5<5–2,400.00"])
    expect(page.locator("body")).not_to_contain_text("b1-202505")

    log_in(phone, site_url(society_a, "/accounts/login/?next=/board/%3Fyear%3D2025"), "admin@alpha.example.cn",
           "pw-Admin-2026")
    expect(phone.locator("[data-testid=chart-members] .board-canvas")).to_have_attribute("data-ready", "1")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "board-society-phone")


def test_operator_changes_weights_and_sees_ranking_change(page, phone, site_url, seeded, in_schema, screenshot):
    society_a, society_b = seeded
    with in_schema(society_b):  # B takes in more money in 2025 than A (5,999 against 1,300 CNY)
        seed_invoice(number="INV-2025-0002", total="5000.00", purpose="membership.join", issued=at(2025, 3, 1),
                     paid=[("5000.00", "bank_transfer", at(2025, 3, 2))])
    fill_society(society=society_a)
    fill_society(society=society_b)
    compute_index_scores()
    get_user_model().objects.create_user("office@cast.example.cn", "Office-2026-pw", name="学会部", is_staff=True)
    log_in(page, site_url(None, "/accounts/login/?next=/board/%3Fyear%3D2025"), "office@cast.example.cn",
           "Office-2026-pw")
    rows = page.locator("[data-testid=ranking-row]")
    # The default weights favour members and registrations, where A leads.
    expect(rows.nth(0)).to_contain_text("测试化学会")
    expect(page.locator("[data-testid=chart-scores] .board-canvas")).to_have_attribute("data-ready", "1")
    screenshot(page, "board-operator-before")
    page.locator("[data-testid=weights] summary").click()
    for name in ("members", "growth", "revenue", "meetings", "registrations", "submissions"):
        page.fill(f"#id_w_{name}", "0")
    page.fill("#id_w_revenue", "1")
    page.click("[data-testid=weights-save]")
    expect(page.locator(".messages")).to_have_text("权重已保存，排名已重新计算。")
    expect(rows.nth(0)).to_contain_text("测试物理学会")
    expect(rows.nth(1)).to_contain_text("测试化学会")
    screenshot(page, "board-operator-after")
    page.select_option("#id_group", "工科")
    page.click("[data-testid=board-apply]")
    expect(page.locator("[data-testid=ranking]")).to_contain_text("该学科组暂无学会。")

    log_in(phone, site_url(None, "/accounts/login/?next=/board/"), "office@cast.example.cn", "Office-2026-pw")
    expect(phone.locator("[data-testid=chart-history] .board-canvas")).to_have_attribute("data-ready", "1")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "board-operator-phone")
