"""Demo data: a call for papers on the demo meeting, ~12 submissions with generated PDFs,
a committee of four reviewers, bids, an optimal assignment and some reviews."""

from __future__ import annotations

import datetime
import io
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from meetings.models import Meeting
from reviews.models import Bid, Call, CommitteeMember
from reviews.services import assignment_service, calls, reviews, submissions
from reviews.services.submissions import AuthorData, PaperData

TITLES = [
    ("基于图神经网络的分子性质预测", "Molecular property prediction with graph neural networks"),
    ("单原子催化剂的电子结构调控", "Tuning the electronic structure of single-atom catalysts"),
    ("钙钛矿太阳能电池的稳定性研究", "Stability of perovskite solar cells"),
    ("机器学习辅助的反应条件优化", "Machine-learning-guided reaction optimisation"),
    ("二维材料的界面电荷转移", "Interfacial charge transfer in 2D materials"),
    ("锂金属负极的枝晶抑制策略", "Suppressing dendrites on lithium-metal anodes"),
    ("蛋白质折叠的量子化学计算", "Quantum-chemical studies of protein folding"),
    ("金属有机框架的气体吸附", "Gas adsorption in metal–organic frameworks"),
    ("光催化二氧化碳还原", "Photocatalytic CO2 reduction"),
    ("高通量筛选新型电解质", "High-throughput screening of electrolytes"),
    ("手性分子的不对称合成", "Asymmetric synthesis of chiral molecules"),
    ("纳米药物的靶向递送", "Targeted delivery of nanomedicines"),
]
AUTHORS = [
    ("陈晓明", "北京大学化学学院", "pku.edu.cn"),
    ("刘洋", "清华大学化学系", "tsinghua.edu.cn"),
    ("杨帆", "复旦大学化学系", "fudan.edu.cn"),
    ("黄丽", "浙江大学化学系", "zju.edu.cn"),
    ("周杰", "南京大学化学化工学院", "nju.edu.cn"),
    ("吴静", "中国科学技术大学", "ustc.edu.cn"),
]
# Each reviewer on a mail domain of their own: sharing the submitters' demo domain would make
# every reviewer conflicted with every paper (the same-domain rule).
REVIEWERS = [
    ("sun.li@whu.demo.xuehui.cn", "审稿人·孙立", "武汉大学", ["机器学习", "量子化学"]),
    ("ma.li@scu.demo.xuehui.cn", "审稿人·马丽", "四川大学", ["催化", "能源材料"]),
    ("zhu.jiang@sdu.demo.xuehui.cn", "审稿人·朱江", "山东大学", ["能源材料", "机器学习"]),
    ("hu.min@xmu.demo.xuehui.cn", "审稿人·胡敏", "厦门大学", ["量子化学", "催化"]),
]
TOPICS = ["机器学习", "量子化学", "催化", "能源材料"]


def demo_pdf(title: str, abstract: str, pages: int = 3) -> bytes:
    """A synthetic paper: title, abstract and filler pages, in the embedded Chinese font."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from common.pdf.fonts import FONT, register_fonts

    register_fonts()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for number in range(pages):
        pdf.setFont(FONT, 16 if number == 0 else 11)
        pdf.drawString(60, 780, title if number == 0 else f"{title} — {number + 1}")
        pdf.setFont(FONT, 10)
        pdf.drawString(60, 750, abstract[:60])
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _meeting(society, organiser) -> Meeting:
    meeting = Meeting.objects.filter(call_for_papers__isnull=True).order_by("starts_on").first()
    if meeting is None:
        starts = timezone.localdate() + datetime.timedelta(days=90)
        meeting = Meeting.objects.create(
            slug="annual-2026",
            title_zh=f"{society.name_zh}2026年学术年会",
            title_en="Annual Meeting 2026",
            starts_on=starts,
            ends_on=starts + datetime.timedelta(days=2),
        )
    return meeting


def seed(*, society, people, stdout) -> None:
    from tenants.management.commands.seed_demo import DEMO_PASSWORD

    if Call.objects.exists():
        return
    User = get_user_model()
    organiser = people["organiser"]
    now = timezone.now()
    call = calls.create_call(
        actor=organiser,
        meeting=_meeting(society, organiser),
        title="学术年会征文",
        submission_deadline=now + datetime.timedelta(days=14),
        review_deadline=now + datetime.timedelta(days=35),
        decision_date=now + datetime.timedelta(days=42),
        camera_ready_deadline=now + datetime.timedelta(days=56),
        reviewers_per_paper=2,
        max_pages=10,
        tracks=["理论与计算", "材料与能源"],
        topics=TOPICS,
        criteria=[("创新性", 1, 5, 2), ("严谨性", 1, 5, 1), ("表达", 1, 5, 1)],
    )
    topics = {t.name: t for t in call.topics.all()}
    tracks = list(call.tracks.all())

    def account(email, name):
        user = User.objects.filter(email=email).first()
        return user or User.objects.create_user(email, DEMO_PASSWORD, name=name)

    members = []
    for email, name, affiliation, expertise in REVIEWERS:
        user = account(email, name)
        member = calls.invite_committee_member(
            actor=organiser,
            call=call,
            email=user.email,
            affiliation=affiliation,
            max_load=8,
            topics=[topics[t] for t in expertise],
        )
        members.append(calls.respond_to_invitation(actor=user, member=member, accept=True))
    rng = random.Random(f"{society.slug}-reviews")
    submitters = people.get("members") or [organiser]
    papers = []
    for i, (title_zh, title_en) in enumerate(TITLES):
        first, second = rng.sample(AUTHORS, 2)
        submitter = submitters[i % len(submitters)]
        authors = [
            AuthorData(
                name=submitter.name,
                email=submitter.email,
                affiliation=first[1],
                is_corresponding=True,
                is_presenting=True,
            ),
            AuthorData(name=second[0], email=f"author{i}@{second[2]}", affiliation=second[1]),
        ]
        abstract = f"本文研究{title_zh}，提出了新的方法并验证了其有效性。"
        papers.append(
            submissions.submit_paper(
                actor=submitter,
                call=call,
                data=PaperData(
                    title_zh=title_zh,
                    title_en=title_en,
                    abstract_zh=abstract,
                    abstract_en=f"We study {title_en.lower()}.",
                    keywords="化学; 计算",
                    track=tracks[i % 2],
                    topics=[topics[TOPICS[i % 4]], topics[TOPICS[(i + 1) % 4]]],
                    authors=authors,
                ),
                content=demo_pdf(title_zh, abstract),
                filename=f"paper-{i + 1}.pdf",
            )
        )
    levels = [Bid.Level.EAGER, Bid.Level.WILLING, Bid.Level.WILLING, Bid.Level.NOT_WILLING]
    for member in members:
        for paper in rng.sample(papers, 6):
            assignment_service.place_bid(actor=member.user, member=member, submission=paper, level=rng.choice(levels))
    summary = assignment_service.assign_reviewers(actor=organiser, call=call)
    criteria = list(call.criteria.all())
    reviewed = 0
    for member in CommitteeMember.objects.filter(call=call).select_related("user"):
        for assignment in member.assignments.select_related("submission__call", "member")[:3]:
            reviews.save_review(
                actor=member.user,
                assignment=assignment,
                scores={str(c.pk): rng.randint(c.scale_min + 1, c.scale_max) for c in criteria},
                confidence=rng.randint(2, 5),
                comments_to_authors="工作扎实，建议补充对比实验。",
                confidential_comments="",
                submit=True,
            )
            reviewed += 1
    stdout.write(
        f"  reviews: {len(papers)} papers, {len(members)} reviewers, "
        f"{summary['assignments']} assignments, {reviewed} reviews"
    )
