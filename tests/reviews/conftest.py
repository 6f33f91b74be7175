"""Fixtures for the reviews tests: a meeting with a double-blind call, people, synthetic PDFs."""

import datetime
import io

import pikepdf
import pytest
from django.utils import timezone

from common.models import Role
from meetings.models import Meeting
from reviews.models import CommitteeMember
from reviews.services import calls
from reviews.services.submissions import AuthorData, PaperData
from tenants.services import grant_role


def make_pdf(
    *, pages: int = 2, author: str = "", title: str = "", text: str = "Anonymous paper", xmp_creator: str = ""
):
    """A real PDF from reportlab; ``author``/``title`` go to the info dictionary, ``xmp_creator`` to XMP."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    if author:
        pdf.setAuthor(author)
        pdf.setCreator(f"{author}'s Word")
        pdf.setProducer(f"Produced for {author}")
    if title:
        pdf.setTitle(title)
    for number in range(pages):
        pdf.drawString(72, 750, f"{text} page {number + 1}")
        pdf.showPage()
    pdf.save()
    content = buffer.getvalue()
    if xmp_creator:
        with pikepdf.open(io.BytesIO(content)) as doc:
            with doc.open_metadata(set_pikepdf_as_editor=False) as meta:
                meta["dc:creator"] = [xmp_creator]
                meta["pdf:Producer"] = xmp_creator
            out = io.BytesIO()
            doc.save(out)
            content = out.getvalue()
    return content


@pytest.fixture(autouse=True)
def english_messages():
    """Service messages asserted in English; pages and e-mails pick their own language."""
    from django.utils import translation

    with translation.override("en"):
        yield


def paper_data(*authors, title="基于图神经网络的分子性质预测", topics=(), track=None, abstract="我们提出一种新方法。"):
    """Authors as (name, email, affiliation); the first is corresponding and presenting."""
    return PaperData(
        title_zh=title,
        title_en="Molecular property prediction with graph networks",
        abstract_zh=abstract,
        abstract_en="We propose a new method.",
        keywords="GNN; 分子",
        track=track,
        topics=list(topics),
        authors=[
            AuthorData(name=n, email=e, affiliation=a, is_corresponding=i == 0, is_presenting=i == 0)
            for i, (n, e, a) in enumerate(authors)
        ],
    )


@pytest.fixture
def meeting(society_a, in_schema):
    with in_schema(society_a):
        return Meeting.objects.create(
            slug="annual-2026",
            title_zh="2026年学术年会",
            title_en="Annual Meeting 2026",
            starts_on=datetime.date(2026, 10, 20),
            ends_on=datetime.date(2026, 10, 22),
        )


@pytest.fixture
def organiser(make_user, society_a, in_schema):
    user = make_user("chair@alpha.example.cn", "程主席")
    with in_schema(society_a):
        grant_role(user=user, role=Role.ORGANISER)
    return user


@pytest.fixture
def call(society_a, in_schema, meeting, organiser):
    now = timezone.now()
    with in_schema(society_a):
        return calls.create_call(
            actor=organiser,
            meeting=meeting,
            title="2026年会征文",
            submission_deadline=now + datetime.timedelta(days=7),
            review_deadline=now + datetime.timedelta(days=21),
            decision_date=now + datetime.timedelta(days=28),
            camera_ready_deadline=now + datetime.timedelta(days=40),
            max_pages=4,
            max_size_mb=1,
            reviewers_per_paper=2,
            tracks=["化学信息学"],
            topics=["机器学习", "量子化学", "催化"],
            criteria=[("创新性", 1, 5, 2), ("严谨性", 1, 5, 1)],
        )


def add_member(call, user, *, affiliation="", max_load=5, role=CommitteeMember.Role.REVIEWER, topics=()):
    """A committee member who has accepted the invitation (through the services)."""
    member = calls.invite_committee_member(
        actor=None, call=call, email=user.email, role=role, affiliation=affiliation, max_load=max_load, topics=topics
    )
    return calls.respond_to_invitation(actor=user, member=member, accept=True)


P1_AUTHORS = [("张伟", "zhang.wei@pku.edu.cn", "北京大学化学学院"), ("李娜", "li.na@tsinghua.edu.cn", "清华大学化学系")]
P2_AUTHORS = [("钱主席", "qian@fudan.edu.cn", "复旦大学"), ("吴合作", "wu@zju.edu.cn", "浙江大学")]


@pytest.fixture
def world(society_a, in_schema, call, organiser, make_user, django_capture_on_commit_callbacks):
    """A double-blind call with two papers, reviews on both, and every role of the leak suite.

    P1 by 张伟 and 李娜, reviewed by 赵 (submitted) and 孙 (draft); 周 shares 张伟's mail domain
    (conflicted).  P2 by 钱 — a chair of the call — reviewed by 赵 (submitted)."""
    from reviews.services import assignment_service, reviews, submissions

    users = {
        "author": make_user("zhang.wei@pku.edu.cn", "张伟"),
        "coauthor": make_user("li.na@tsinghua.edu.cn", "李娜"),
        "chair_author": make_user("qian@fudan.edu.cn", "钱主席"),
        "reviewer": make_user("zhao@nju.edu.cn", "赵审稿"),
        "reviewer2": make_user("sun@ustc.edu.cn", "孙审稿"),
        "conflicted": make_user("zhou@pku.edu.cn", "周冲突"),
        "chair": organiser,
    }
    with in_schema(society_a), django_capture_on_commit_callbacks(execute=True):
        members = {
            "reviewer": add_member(call, users["reviewer"], affiliation="南京大学"),
            "reviewer2": add_member(call, users["reviewer2"], affiliation="中国科学技术大学"),
            "conflicted": add_member(call, users["conflicted"], affiliation="某研究院"),
            "chair_author": add_member(
                call, users["chair_author"], affiliation="复旦大学", role=CommitteeMember.Role.CHAIR
            ),
        }
        p1 = submissions.submit_paper(
            actor=users["author"],
            call=call,
            data=paper_data(*P1_AUTHORS),
            content=make_pdf(author="张伟 Zhang Wei", title="张伟的论文", xmp_creator="Zhang Wei"),
            filename="zhangwei.pdf",
        )
        p2 = submissions.submit_paper(
            actor=users["chair_author"],
            call=call,
            data=paper_data(*P2_AUTHORS, title="催化反应机理研究"),
            content=make_pdf(author="Qian"),
            filename="qian.pdf",
        )
        a1 = assignment_service.assign_by_hand(actor=organiser, submission=p1, member=members["reviewer"])
        a2 = assignment_service.assign_by_hand(actor=organiser, submission=p1, member=members["reviewer2"])
        a3 = assignment_service.assign_by_hand(actor=organiser, submission=p2, member=members["reviewer"])
        criteria = list(call.criteria.order_by("position"))
        reviews.save_review(
            actor=users["reviewer"],
            assignment=a1,
            scores={str(criteria[0].pk): 4, str(criteria[1].pk): 3},
            confidence=4,
            comments_to_authors="REVIEW-TEXT-P1 方法新颖。",
            confidential_comments="CONFIDENTIAL-P1",
            submit=True,
        )
        reviews.save_review(
            actor=users["reviewer2"],
            assignment=a2,
            scores={str(criteria[0].pk): 2},
            confidence=None,
            comments_to_authors="DRAFT-P1",
            confidential_comments="",
            submit=False,
        )
        reviews.save_review(
            actor=users["reviewer"],
            assignment=a3,
            scores={str(criteria[0].pk): 5, str(criteria[1].pk): 5},
            confidence=5,
            comments_to_authors="REVIEW-TEXT-P2 很好。",
            confidential_comments="CONFIDENTIAL-P2",
            submit=True,
        )
    return {"users": users, "members": members, "p1": p1, "p2": p2, "a1": a1, "a2": a2, "a3": a3, "criteria": criteria}
