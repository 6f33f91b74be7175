import datetime

import pytest
from django.core import mail
from django.utils import timezone

from common.models import AuditEntry, StoredFile
from reviews.exceptions import ReviewsError
from reviews.models import Call, Submission, SubmissionFile
from reviews.services import submissions
from tests.conftest import client_for
from tests.reviews.conftest import make_pdf, paper_data

AUTHORS = [("张伟", "zhang.wei@pku.example.cn", "北京大学化学学院"), ("李娜", "li.na@tsinghua.example.cn", "清华大学")]


@pytest.fixture
def author(make_user):
    return make_user("zhang.wei@pku.example.cn", "张伟")


def submit(call, author, **kwargs):
    return submissions.submit_paper(
        actor=author, call=call, data=paper_data(*AUTHORS, **kwargs), content=make_pdf(), filename="zhang-wei-final.pdf"
    )


def test_submit_stores_ordered_authors_files_and_notifies_coauthors(
    society_a, society_b, in_schema, call, author, django_capture_on_commit_callbacks
):
    with in_schema(society_a), django_capture_on_commit_callbacks(execute=True):
        first = submit(call, author)
        second = submit(call, author, title="第二篇")
    with in_schema(society_a):
        assert (first.number, second.number) == (1, 2)
        assert [(a.position, a.name, a.is_corresponding) for a in first.authors.all()] == [
            (1, "张伟", True),
            (2, "李娜", False),
        ]
        assert first.authors.get(position=1).user == author
        files = {f.kind: f for f in first.files.filter(is_current=True)}
        assert set(files) == {SubmissionFile.Kind.ORIGINAL, SubmissionFile.Kind.SANITISED}
        assert files[SubmissionFile.Kind.SANITISED].stored.filename == "paper-1.pdf"
        assert files[SubmissionFile.Kind.ORIGINAL].stored.owner_id == author.pk
        assert AuditEntry.objects.filter(action="reviews.submit_paper").count() == 2
    # Only the co-author is told (the submitter knows), once per paper.
    assert [m.to for m in mail.outbox] == [["li.na@tsinghua.example.cn"], ["li.na@tsinghua.example.cn"]]
    assert mail.outbox[0].subject == "您是投稿 #1 的作者"
    with in_schema(society_b):
        assert Submission.objects.count() == 0 and StoredFile.objects.count() == 0


def test_coauthor_sees_the_paper_on_their_page_and_stranger_does_not(
    society_a, society_b, in_schema, call, author, make_user
):
    coauthor = make_user("li.na@tsinghua.example.cn", "李娜")
    stranger = make_user("x@example.cn", "路人")
    with in_schema(society_a):
        paper = submit(call, author)
    client = client_for(society_a)
    client.force_login(coauthor)
    page = client.get("/reviews/").content.decode()
    assert "基于图神经网络的分子性质预测" in page
    detail = client.get(f"/reviews/papers/{paper.pk}/")
    assert detail.status_code == 200 and "zhang.wei@pku.example.cn" in detail.content.decode()
    pdf = client.get(f"/reviews/papers/{paper.pk}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    other = client_for(society_a)
    other.force_login(stranger)
    assert other.get(f"/reviews/papers/{paper.pk}/").status_code == 404
    on_b = client_for(society_b)
    on_b.force_login(coauthor)
    assert on_b.get(f"/reviews/papers/{paper.pk}/").status_code == 404
    assert "基于图神经网络" not in on_b.get("/reviews/").content.decode()


def test_submission_after_deadline_is_refused(society_a, in_schema, call, author):
    with in_schema(society_a):
        Call.objects.filter(pk=call.pk).update(submission_deadline=timezone.now() - datetime.timedelta(minutes=1))
        call.refresh_from_db()
        with pytest.raises(ReviewsError) as exc:
            submit(call, author)
        assert str(exc.value) == "The submission deadline has passed."
        assert Submission.objects.count() == 0


def test_edit_until_deadline_then_refused_but_withdraw_any_time(society_a, in_schema, call, author):
    with in_schema(society_a):
        paper = submit(call, author)
        data = paper_data(*AUTHORS, title="修改后的标题")
        submissions.update_paper(
            actor=author, submission=paper, data=data, content=make_pdf(pages=3), filename="v2.pdf"
        )
        paper.refresh_from_db()
        assert paper.title_zh == "修改后的标题"
        assert paper.files.get(kind=SubmissionFile.Kind.ORIGINAL, is_current=True).pages == 3
        assert paper.files.filter(kind=SubmissionFile.Kind.ORIGINAL).count() == 2
        Call.objects.filter(pk=call.pk).update(submission_deadline=timezone.now() - datetime.timedelta(seconds=1))
        paper = Submission.objects.get(pk=paper.pk)
        with pytest.raises(ReviewsError) as exc:
            submissions.update_paper(actor=author, submission=paper, data=paper_data(*AUTHORS, title="太晚了"))
        assert str(exc.value) == "The submission deadline has passed; the paper can no longer be edited."
        submissions.withdraw_paper(actor=author, submission=paper)
        paper.refresh_from_db()
        assert paper.title_zh == "修改后的标题" and paper.status == Submission.Status.WITHDRAWN


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04 a word file renamed", "The file is not a PDF (its content is not PDF, whatever its name)."),
        (make_pdf(pages=5), "The PDF has 5 pages; the limit is 4."),
    ],
)
def test_bad_pdf_gives_message_and_writes_nothing(society_a, in_schema, call, author, content, message):
    with in_schema(society_a):
        with pytest.raises(ReviewsError) as exc:
            submissions.submit_paper(
                actor=author, call=call, data=paper_data(*AUTHORS), content=content, filename="a.pdf"
            )
        assert str(exc.value) == message
        assert Submission.objects.count() == 0 and StoredFile.objects.count() == 0


@pytest.mark.parametrize(
    ("authors", "message"),
    [
        ([], "List at least one author."),
        ([("张伟", "z@x.cn", "北大"), ("李娜", "z@x.cn", "清华")], "Each author must have a different e-mail address."),
        ([("张伟", "z@x.cn", "")], "Every author needs a name, an e-mail address and an affiliation."),
    ],
)
def test_author_list_is_validated(society_a, in_schema, call, author, authors, message):
    with in_schema(society_a):
        with pytest.raises(ReviewsError) as exc:
            submissions.submit_paper(
                actor=author, call=call, data=paper_data(*authors), content=make_pdf(), filename="a.pdf"
            )
        assert str(exc.value) == message


def test_submit_page_shows_the_pdf_error_in_chinese(society_a, in_schema, call, author):
    client = client_for(society_a)
    client.force_login(author)
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = {
        "title_zh": "标题",
        "abstract_zh": "摘要",
        "authors-TOTAL_FORMS": "4",
        "authors-INITIAL_FORMS": "0",
        "authors-MIN_NUM_FORMS": "4",
        "authors-MAX_NUM_FORMS": "30",
        "authors-0-name": "张伟",
        "authors-0-email": "zhang.wei@pku.example.cn",
        "authors-0-affiliation": "北京大学",
        "authors-0-is_corresponding": "on",
        "authors-0-is_presenting": "on",
        "pdf": SimpleUploadedFile("paper.pdf", b"not really a pdf", content_type="application/pdf"),
    }
    response = client.post(f"/reviews/calls/{call.pk}/submit/", form)
    assert response.status_code == 200
    assert "该文件不是 PDF（按内容判断，与文件名无关）。" in response.content.decode()
    with in_schema(society_a):
        assert Submission.objects.count() == 0
