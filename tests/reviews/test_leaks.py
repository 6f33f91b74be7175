"""The blind-review leak suite.

For each role, crawl every reviews page reachable from "My papers and reviews" and the chair
console (links followed breadth-first), the PDFs, the API, the exports and every e-mail the
person received, and look for strings that role must never see about a paper.
"""

import re
from collections import deque

import pytest
from django.core import mail

from reviews.models import Outcome
from reviews.services import decisions
from tests.conftest import client_for
from tests.reviews.conftest import P1_AUTHORS, P2_AUTHORS

LINK = re.compile(r'href="(/(?:reviews|api/v1/reviews)/[^"#]*)"')
P1_IDENTITY = [part for author in P1_AUTHORS for part in author] + ["Zhang Wei", "zhangwei.pdf"]
P2_IDENTITY = [part for author in P2_AUTHORS for part in author] + ["Qian"]
P1_REVIEWS = ["REVIEW-TEXT-P1", "CONFIDENTIAL-P1", "DRAFT-P1"]
P2_REVIEWS = ["REVIEW-TEXT-P2", "CONFIDENTIAL-P2"]


def crawl(client, start: list[str], limit: int = 80) -> dict[str, bytes]:
    """GET every same-site reviews/API link reachable from ``start``; bodies by URL."""
    seen: dict[str, bytes] = {}
    queue = deque(start)
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        seen[url] = body
        if response.get("Content-Type", "").startswith("text/html"):
            queue.extend(u.replace("&amp;", "&") for u in LINK.findall(body.decode()) if u not in seen)
    return seen


def mail_to(user) -> list[str]:
    texts = []
    for message in mail.outbox:
        if user.email in message.to:
            texts.append(message.message().as_string())
            texts.append(message.subject + message.body)
            texts.extend(str(a[1]) for a in message.attachments)
    return texts


def assert_absent(sources: dict[str, bytes] | list[str], forbidden: list[str]):
    items = sources.items() if isinstance(sources, dict) else enumerate(sources)
    for where, body in items:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        for secret in forbidden:
            assert secret not in text, f"{secret!r} leaked in {where}"


@pytest.fixture
def decided(society_a, in_schema, world, call, django_capture_on_commit_callbacks):
    """P1 decided (not yet notified) so decision pages and e-mails exist too."""
    with in_schema(society_a), django_capture_on_commit_callbacks(execute=True):
        decisions.decide(actor=world["users"]["chair"], submission=world["p1"], outcome=Outcome.ACCEPT_ORAL)
        decisions.decide(actor=world["users"]["chair"], submission=world["p2"], outcome=Outcome.REJECT)
    return world


def start_urls(call, world):
    return [
        "/reviews/",
        f"/reviews/calls/{call.pk}/",
        f"/reviews/calls/{call.pk}/bids/",
        f"/reviews/reviews/{world['a1'].pk}/",
        f"/reviews/reviews/{world['a2'].pk}/",
        f"/reviews/reviews/{world['a3'].pk}/",
        f"/reviews/reviews/{world['a1'].pk}/pdf/",
        f"/reviews/reviews/{world['a3'].pk}/pdf/",
        f"/reviews/papers/{world['p1'].pk}/",
        f"/reviews/papers/{world['p2'].pk}/",
        f"/reviews/console/{call.pk}/",
        f"/reviews/console/{call.pk}/assignment/",
        f"/reviews/console/{call.pk}/papers/{world['p1'].pk}/",
        f"/reviews/console/{call.pk}/papers/{world['p2'].pk}/",
        f"/reviews/console/{call.pk}/programme.csv",
        f"/reviews/console/{call.pk}/abstracts.pdf",
        "/api/v1/reviews/calls/",
        f"/api/v1/reviews/calls/{call.pk}/papers/",
    ]


def test_reviewer_never_sees_authors(society_a, world, decided, call):
    client = client_for(society_a)
    client.force_login(world["users"]["reviewer"])
    pages = crawl(client, start_urls(call, world))
    assert b"REVIEW-TEXT-P1" in pages[f"/reviews/reviews/{world['a1'].pk}/"]  # the crawl really saw the paper
    assert pages[f"/reviews/reviews/{world['a1'].pk}/pdf/"].startswith(b"%PDF")
    assert_absent(pages, P1_IDENTITY + P2_IDENTITY)
    assert_absent(mail_to(world["users"]["reviewer"]), P1_IDENTITY + P2_IDENTITY)


def test_conflicted_member_sees_neither_authors_nor_reviews(society_a, world, decided, call):
    client = client_for(society_a)
    client.force_login(world["users"]["conflicted"])
    pages = crawl(client, start_urls(call, world))
    assert_absent(pages, P1_IDENTITY + P1_REVIEWS + ["录用（口头报告）", "6.25", "6.67"])
    assert_absent(mail_to(world["users"]["conflicted"]), P1_IDENTITY + P1_REVIEWS)
    # Not even the bidding list shows the conflicted paper's title.
    assert "基于图神经网络的分子性质预测" not in pages[f"/reviews/calls/{call.pk}/bids/"].decode()


def test_author_never_sees_reviewers_or_confidential_comments(society_a, in_schema, world, decided, call):
    with in_schema(society_a):
        decisions.notify_decisions(actor=world["users"]["chair"], call=call)
    for role in ("author", "coauthor"):
        client = client_for(society_a)
        client.force_login(world["users"][role])
        pages = crawl(client, start_urls(call, world))
        assert b"REVIEW-TEXT-P1" in pages[f"/reviews/papers/{world['p1'].pk}/"]
        forbidden = ["赵审稿", "孙审稿", "zhao@nju", "sun@ustc", "南京大学", "CONFIDENTIAL-P1", "DRAFT-P1"]
        assert_absent(pages, forbidden + P2_IDENTITY + P2_REVIEWS)
        assert_absent(mail_to(world["users"][role]), forbidden)


def test_chair_who_is_an_author_learns_nothing_of_their_paper(society_a, world, decided, call):
    client = client_for(society_a)
    client.force_login(world["users"]["chair_author"])
    pages = crawl(client, start_urls(call, world))
    # The chair works on the other paper normally...
    assert b"REVIEW-TEXT-P1" in pages[f"/reviews/console/{call.pk}/papers/{world['p1'].pk}/"]
    # ...but their own paper's reviews, scores, reviewer and decision stay hidden everywhere.
    assert_absent(
        pages,
        P2_REVIEWS
        + ["10.00", 'badge">不录用', '"decision":"reject"', 'data-testid="assign-paper-2"', 'data-testid="pick-2"'],
    )
    own = pages[f"/reviews/console/{call.pk}/papers/{world['p2'].pk}/"].decode()
    assert "您与此论文存在利益冲突" in own
    api = pages[f"/api/v1/reviews/calls/{call.pk}/papers/"].decode()
    assert '"hidden_for_conflicts":1' in api and '"number":2' not in api
    assert_absent(mail_to(world["users"]["chair_author"]), P2_REVIEWS)


def test_sanitised_pdf_names_nobody(society_a, world, call):
    client = client_for(society_a)
    client.force_login(world["users"]["reviewer"])
    response = client.get(f"/reviews/reviews/{world['a1'].pk}/pdf/")
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF")
    assert b"Zhang" not in body and "张伟".encode("utf-16-be") not in body and b"zhangwei" not in body
    assert response["Content-Disposition"] == "attachment; filename*=UTF-8''paper-1.pdf"
