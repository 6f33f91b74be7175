import pytest
from django.core import mail

from reviews.exceptions import ReviewsError
from reviews.models import Decision, NotificationTemplate, Outcome
from reviews.services import calls, decisions
from tests.conftest import client_for


def test_notification_uses_the_edited_template_and_attaches_reviews_blind(
    society_a, society_b, in_schema, world, call, django_capture_on_commit_callbacks
):
    chair, p1 = world["users"]["chair"], world["p1"]
    with in_schema(society_a):
        template = NotificationTemplate.objects.get(call=call, outcome=Outcome.ACCEPT_POSTER)
        calls.update_notification_template(
            actor=chair,
            template=template,
            subject="录用：{title}",
            body="#{number} 录为{outcome}。\n{reviews}\n{unknown}",
        )
        decisions.decide(actor=chair, submission=p1, outcome=Outcome.ACCEPT_POSTER)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert decisions.notify_decisions(actor=chair, call=call) == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert decisions.notify_decisions(actor=chair, call=call) == 0  # once only
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["zhang.wei@pku.edu.cn", "li.na@tsinghua.edu.cn"]
    assert message.subject == "录用：基于图神经网络的分子性质预测"
    assert message.body.startswith("#1 录为录用（墙报）。\n评审 1\n创新性: 4; 严谨性: 3\nREVIEW-TEXT-P1 方法新颖。")
    assert message.body.endswith("{unknown}")
    assert message.attachments[0][0] == "reviews-1.txt"
    everything = message.message().as_string()
    for secret in ("赵审稿", "zhao@nju", "CONFIDENTIAL-P1", "DRAFT-P1", "孙审稿"):
        assert secret not in message.body and secret not in message.attachments[0][1]
    assert "zhao" not in everything
    with in_schema(society_a):
        with pytest.raises(ReviewsError) as exc:
            decisions.decide(actor=chair, submission=p1, outcome=Outcome.REJECT)
        assert str(exc.value) == "The authors of #1 were notified; the decision is final."
    with in_schema(society_b):
        assert Decision.objects.count() == 0


def test_author_sees_decision_and_reviews_only_after_notification(society_a, in_schema, world, call):
    chair, p1 = world["users"]["chair"], world["p1"]
    client = client_for(society_a)
    client.force_login(world["users"]["coauthor"])
    with in_schema(society_a):
        decisions.decide(actor=chair, submission=p1, outcome=Outcome.ACCEPT_ORAL)
    before = client.get(f"/reviews/papers/{p1.pk}/").content.decode()
    assert "评审中" in before and "录用（口头报告）" not in before and "REVIEW-TEXT-P1" not in before
    with in_schema(society_a):
        decisions.notify_decisions(actor=chair, call=call)
    after = client.get(f"/reviews/papers/{p1.pk}/").content.decode()
    assert "录用（口头报告）" in after and "REVIEW-TEXT-P1" in after
    assert "CONFIDENTIAL-P1" not in after and "赵审稿" not in after
    # No author has paid for the meeting yet: the paper waits outside the programme.
    assert 'data-testid="registration-required"' in after
    with in_schema(society_a):
        assert decisions.enters_programme(p1) is False


def test_conflicted_chair_cannot_decide_and_bulk_is_all_or_nothing(society_a, in_schema, world, call):
    chair_author = world["users"]["chair_author"]
    with in_schema(society_a):
        with pytest.raises(ReviewsError) as exc:
            decisions.bulk_decide(
                actor=chair_author, submissions=[world["p1"], world["p2"]], outcome=Outcome.ACCEPT_ORAL
            )
        assert str(exc.value) == "You cannot decide on paper #2."
        assert Decision.objects.count() == 0
        assert decisions.bulk_decide(actor=chair_author, submissions=[world["p1"]], outcome=Outcome.REJECT) == 1
        assert Decision.objects.get().outcome == Outcome.REJECT


def test_ranked_table_orders_by_weighted_score_and_hides_conflicts(society_a, in_schema, world, call):
    from reviews.selectors import ranked_table

    with in_schema(society_a):
        rows, hidden = ranked_table(call, world["users"]["chair"])
        assert [(r["submission"].number, str(r["weighted"]), r["count"], r["assigned"]) for r in rows] == [
            (2, "10.00", 1, 1),
            (1, "6.67", 1, 2),
        ]
        assert hidden == 0
        rows, hidden = ranked_table(call, world["users"]["chair_author"])
        assert [r["submission"].number for r in rows] == [1] and hidden == 1


def test_camera_ready_needs_acceptance_and_the_checklist(society_a, in_schema, world, call):
    from reviews.models import SubmissionFile
    from reviews.services import submissions
    from tests.reviews.conftest import make_pdf

    author, p1 = world["users"]["author"], world["p1"]
    with in_schema(society_a):
        with pytest.raises(ReviewsError) as exc:
            submissions.upload_camera_ready(
                actor=author, submission=p1, content=make_pdf(), filename="f.pdf", checklist=[]
            )
        assert str(exc.value) == "Only accepted papers can upload a camera-ready version."
        decisions.decide(actor=world["users"]["chair"], submission=p1, outcome=Outcome.ACCEPT_ORAL)
        decisions.notify_decisions(actor=world["users"]["chair"], call=call)
        with pytest.raises(ReviewsError) as exc:
            submissions.upload_camera_ready(
                actor=author, submission=p1, content=make_pdf(), filename="f.pdf", checklist=["format"]
            )
        assert str(exc.value) == "Confirm every item of the checklist."
        submissions.upload_camera_ready(
            actor=author,
            submission=p1,
            content=make_pdf(pages=3),
            filename="final.pdf",
            checklist=["format", "names", "copyright"],
        )
        final = p1.files.get(kind=SubmissionFile.Kind.CAMERA_READY, is_current=True)
        assert (final.pages, final.stored.filename) == (3, "final.pdf")


def test_exports_hold_only_papers_in_the_programme(society_a, in_schema, world, call):
    client = client_for(society_a)
    client.force_login(world["users"]["chair"])
    with in_schema(society_a):
        decisions.decide(actor=world["users"]["chair"], submission=world["p1"], outcome=Outcome.ACCEPT_ORAL)
        decisions.notify_decisions(actor=world["users"]["chair"], call=call)
    csv_body = client.get(f"/reviews/console/{call.pk}/programme.csv").content.decode("utf-8-sig")
    # Accepted but nobody registered: header only.
    assert csv_body.splitlines() == ["编号,录用决定,分会场,中文标题,英文标题,作者,报告人"]
    xlsx = client.get(f"/reviews/console/{call.pk}/programme.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    book = client.get(f"/reviews/console/{call.pk}/abstracts.pdf")
    assert book.status_code == 200 and book.content.startswith(b"%PDF")


def test_ranked_table_query_count_does_not_grow_with_papers(society_a, in_schema, world, call, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reviews.services import submissions
    from tests.reviews.conftest import make_pdf, paper_data

    client = client_for(society_a)
    client.force_login(world["users"]["chair"])
    url = f"/reviews/console/{call.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as two_papers:
        client.get(url)
    with in_schema(society_a):
        for i in range(2):
            submissions.submit_paper(
                actor=world["users"]["author"],
                call=call,
                data=paper_data(("某", f"x{i}@x.example.cn", "某所")),
                content=make_pdf(),
                filename="p.pdf",
            )
    with CaptureQueriesContext(connection) as four_papers:
        client.get(url)
    assert len(four_papers) == len(two_papers)


def test_abstract_book_embeds_the_chinese_font_and_both_languages(society_a, in_schema, world, call):
    import io

    import pikepdf
    from pypdf import PdfReader

    from reviews.exports import render_abstract_book

    with in_schema(society_a):
        pdf = render_abstract_book(call, [world["p1"]])
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "基于图神经网络的分子性质预测" in text and "Molecular property prediction with graph networks" in text
    assert "张伟" in text and "北京大学化学学院" in text
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        embedded = set()
        for page in doc.pages:
            for font in page.Resources.Font.values():
                descriptor = font.get("/DescendantFonts", [font])[0].get("/FontDescriptor")
                if descriptor is not None and "/FontFile2" in descriptor:
                    embedded.add(str(font.BaseFont).split("+", 1)[1])
    assert "WenQuanYi-Zen-Hei-Medium" in embedded


def test_paper_enters_the_programme_once_an_author_has_paid(society_a, in_schema, world, call):
    from django.utils import timezone

    from meetings.models import Registration, RegistrationType

    chair, p1 = world["users"]["chair"], world["p1"]
    with in_schema(society_a):
        decisions.decide(actor=chair, submission=p1, outcome=Outcome.ACCEPT_ORAL)
        decisions.notify_decisions(actor=chair, call=call)
        kind = RegistrationType.objects.create(meeting=call.meeting, name_zh="作者注册")
        coauthor = world["users"]["coauthor"]
        Registration.objects.create(
            meeting=call.meeting,
            registration_type=kind,
            user=coauthor,
            name=coauthor.name,
            email=coauthor.email,
            status=Registration.Status.CONFIRMED,
            paid_at=timezone.now(),
        )
        assert decisions.registered_author(p1) == coauthor
        assert decisions.enters_programme(p1) is True
    client = client_for(society_a)
    client.force_login(chair)
    rows = client.get(f"/reviews/console/{call.pk}/programme.csv").content.decode("utf-8-sig").splitlines()
    assert rows[1] == (
        "1,录用（口头报告）,,基于图神经网络的分子性质预测,Molecular property prediction with graph networks,"
        "张伟 (北京大学化学学院); 李娜 (清华大学化学系),张伟"
    )


def test_chair_paper_page_asks_about_conflicts_and_the_call_once(society_a, world, call):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(society_a)
    client.force_login(world["users"]["chair"])
    url = f"/reviews/console/{call.pk}/papers/{world['p1'].pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as page:
        response = client.get(url)
    assert response.status_code == 200
    tables = [
        sum(f'FROM "{table}"' in query["sql"] for query in page.captured_queries)
        for table in ("reviews_conflict", "reviews_call", "reviews_submissionauthor")
    ]
    # Conflict: asked once (not by the view, the reviews and the discussion each); the call:
    # read by the decorator only; authors: read once for the list and the registration check, and
    # whether the viewer is one of them.
    assert tables == [1, 1, 2]
