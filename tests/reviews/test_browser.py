"""Browser journeys: an author submits; a reviewer bids, is assigned and reviews blind; the
chair decides and the author receives the decision."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from reviews.services import calls
from tests.conftest import committed
from tests.reviews.conftest import add_member, make_pdf

pytestmark = [pytest.mark.browser, committed]
PASSWORD = "pw-Test-2026"


def log_in(tab, site_url, society, user, next_path):
    tab.goto(site_url(society, f"/accounts/login/?next={next_path}"))
    tab.fill("#id_username", user.email)
    tab.fill("#id_password", PASSWORD)
    tab.click("[data-testid=login-submit]")


def log_out(tab):
    tab.click("[data-testid=user-menu]")
    tab.click("[data-testid=logout]")


def test_submit_bid_assign_review_decide_notify(
    page,
    phone,
    site_url,
    screenshot,
    society_a,
    in_schema,
    call,
    organiser,
    make_user,
    tmp_path,
):
    author = make_user("zhang.wei@pku.edu.cn", "张伟")
    reviewer = make_user("zhao@nju.edu.cn", "赵审稿")
    second = make_user("sun@ustc.edu.cn", "孙审稿")
    with in_schema(society_a):
        calls.update_call(actor=organiser, call=call, reviewers_per_paper=1)
        add_member(call, reviewer, affiliation="南京大学")
        add_member(call, second, affiliation="中国科学技术大学", max_load=0)
    pdf = tmp_path / "张伟-论文.pdf"
    pdf.write_bytes(make_pdf(author="张伟 Zhang Wei", title="张伟 draft"))

    # 1. The author submits on a phone; a wrong file first, then the PDF.
    log_in(phone, site_url, society_a, author, f"/reviews/calls/{call.pk}/submit/")
    phone.fill("#id_title_zh", "基于图神经网络的分子性质预测")
    phone.fill("#id_abstract_zh", "我们提出一种新方法。")
    phone.check("text=机器学习")
    phone.fill("[name=authors-1-name]", "李娜")
    phone.fill("[name=authors-1-email]", "li.na@tsinghua.edu.cn")
    phone.fill("[name=authors-1-affiliation]", "清华大学")
    phone.fill("[name=authors-0-affiliation]", "北京大学化学学院")
    phone.check("[name=authors-0-is_presenting]")
    notpdf = tmp_path / "paper.pdf"
    notpdf.write_bytes(b"just text")
    phone.set_input_files("#id_pdf", str(notpdf))
    phone.click("[data-testid=paper-submit]")
    expect(phone.locator(".form-errors")).to_contain_text("该文件不是 PDF（按内容判断，与文件名无关）。")
    phone.set_input_files("#id_pdf", str(pdf))
    phone.click("[data-testid=paper-submit]")
    expect(phone.locator(".messages")).to_have_text("论文 #1 已提交。")
    expect(phone.locator("[data-testid=authors]")).to_contain_text("李娜")
    screenshot(phone, "reviews-author-submitted-phone")
    assert [m.to for m in mail.outbox][-1] == ["li.na@tsinghua.edu.cn"]  # after the two invitations

    # 2. The reviewer bids, the chair assigns, the reviewer reviews without seeing the authors.
    log_in(page, site_url, society_a, reviewer, "/reviews/")
    page.click(f"[data-testid=bids-{call.pk}]")
    expect(page.locator("[data-testid=bid-paper-1]")).to_contain_text("基于图神经网络的分子性质预测")
    expect(page.locator("main")).not_to_contain_text("张伟")
    page.select_option("[data-testid=bid-1]", "eager")
    page.click("[data-testid=save-bids]")
    expect(page.locator(".messages")).to_have_text("投标已保存（更改 1 项）。")
    screenshot(page, "reviews-reviewer-bids")
    log_out(page)

    log_in(page, site_url, society_a, organiser, f"/reviews/console/{call.pk}/assignment/")
    page.click("[data-testid=run-assignment]")
    expect(page.locator(".messages")).to_contain_text("已完成 1 项分配")
    expect(page.locator("[data-testid=loads]")).to_contain_text("1/5")
    screenshot(page, "reviews-chair-assignment")
    log_out(page)

    log_in(page, site_url, society_a, reviewer, "/reviews/")
    page.click("[data-testid=review-link]")
    expect(page.locator("[data-testid=paper]")).to_contain_text("双盲评审：不显示作者信息。")
    for text in ("张伟", "李娜", "北京大学", "清华大学", "zhang.wei"):
        expect(page.locator("body")).not_to_contain_text(text)
    criteria = page.locator("select[name^=score_]")
    for i in range(criteria.count()):
        criteria.nth(i).select_option("4")
    page.select_option("#id_confidence", "4")
    page.fill("#id_comments_to_authors", "方法新颖，实验充分。")
    page.fill("#id_confidential_comments", "可以接收。")
    page.click("[data-testid=submit-review]")
    expect(page.locator(".messages")).to_have_text("评审已提交。")
    with page.expect_download() as download:
        page.click("[data-testid=review-pdf]")
    body = open(download.value.path(), "rb").read()
    assert body.startswith(b"%PDF") and b"Zhang" not in body
    screenshot(page, "reviews-reviewer-review")
    log_out(page)

    # 3. The chair decides and notifies; the author sees the decision and gets the e-mail.
    log_in(page, site_url, society_a, organiser, f"/reviews/console/{call.pk}/")
    expect(page.locator("[data-testid=ranked]")).to_contain_text("7.50")
    screenshot(page, "reviews-chair-ranked")
    page.click("text=基于图神经网络的分子性质预测")
    page.select_option("[data-testid=outcome]", "accept_oral")
    page.click("[data-testid=decide]")
    expect(page.locator("[data-testid=current-decision]")).to_have_text("录用（口头报告）")
    page.click("[data-testid=nav-notifications]")
    page.click("[data-testid=send-notifications]")
    expect(page.locator(".messages")).to_have_text("已通知 1 篇论文的作者。")
    decision_mail = [m for m in mail.outbox if "zhang.wei@pku.edu.cn" in m.to]
    assert len(decision_mail) == 1 and decision_mail[0].subject.startswith("录用通知")
    assert "方法新颖，实验充分。" in decision_mail[0].body and "赵审稿" not in decision_mail[0].body

    phone.goto(site_url(society_a, "/reviews/"))
    expect(phone.locator("[data-testid=my-papers]")).to_contain_text("录用（口头报告）")
    phone.click("text=基于图神经网络的分子性质预测")
    expect(phone.locator("[data-testid=decision]")).to_have_text("录用（口头报告）")
    expect(phone.locator("[data-testid=reviews-for-authors]")).to_contain_text("方法新颖，实验充分。")
    expect(phone.locator("body")).not_to_contain_text("可以接收。")
    expect(phone.locator("[data-testid=registration-required]")).to_be_visible()
    screenshot(phone, "reviews-author-decision-phone")
    phone.select_option("[data-testid=language]", "en")
    expect(phone.locator("[data-testid=decision]")).to_have_text("Accept (oral)")
    expect(phone.locator("[data-testid=registration-required]")).to_contain_text("Registration required")
    screenshot(phone, "reviews-author-decision-phone-en")
