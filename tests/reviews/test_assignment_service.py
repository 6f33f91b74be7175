import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from reviews.exceptions import ReviewsError
from reviews.models import Assignment, Bid, CommitteeMember
from reviews.services import assignment_service, reviews, submissions
from tests.conftest import client_for
from tests.reviews.conftest import add_member, make_pdf, paper_data


@pytest.fixture
def setup(society_a, in_schema, call, make_user, organiser):
    """4 papers, 3 reviewers (load 3), k=2: 8 slots for 9 capacity."""
    author = make_user("author@pku.example.cn", "作者甲")
    people = [make_user(f"r{i}@inst{i}.example.cn", f"审稿人{i}") for i in range(3)]
    with in_schema(society_a):
        topics = {t.name: t for t in call.topics.all()}
        members = [add_member(call, p, max_load=3, affiliation=f"研究所{i}") for i, p in enumerate(people)]
        members[0].topics.set([topics["机器学习"]])
        papers = [
            submissions.submit_paper(
                actor=author,
                call=call,
                data=paper_data(
                    ("作者甲", "author@pku.example.cn", "北京大学"), title=f"论文{i}", topics=[topics["机器学习"]]
                ),
                content=make_pdf(),
                filename="p.pdf",
            )
            for i in range(4)
        ]
    return {"author": author, "people": people, "members": members, "papers": papers}


def test_assignment_respects_k_loads_conflicts_and_bids(
    society_a, society_b, in_schema, call, organiser, setup, django_capture_on_commit_callbacks
):
    members, papers = setup["members"], setup["papers"]
    with in_schema(society_a):
        assignment_service.place_bid(
            actor=setup["people"][1], member=members[1], submission=papers[0], level=Bid.Level.EAGER
        )
        assignment_service.place_bid(
            actor=setup["people"][2], member=members[2], submission=papers[0], level=Bid.Level.CONFLICT
        )
        assignment_service.place_bid(
            actor=setup["people"][2], member=members[2], submission=papers[1], level=Bid.Level.NOT_WILLING
        )
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            summary = assignment_service.assign_reviewers(actor=organiser, call=call)
        pairs = set(Assignment.objects.values_list("submission__number", "member__user__email"))
        assert summary["assignments"] == 8
        # Paper 1: the eager bidder and the topic expert (reviewer 2 declared a conflict).
        assert {e for n, e in pairs if n == 1} == {"r0@inst0.example.cn", "r1@inst1.example.cn"}
        # Paper 2: the "not willing" reviewer is avoided when others have room.
        assert "r2@inst2.example.cn" not in {e for n, e in pairs if n == 2}
        for number in (1, 2, 3, 4):
            assert len([1 for n, _e in pairs if n == number]) == 2
        for member in members:
            assert Assignment.objects.filter(member=member).count() <= 3
        # Reviewer 0 (topic match, 0.6) fills 3 slots, the eager bid is 1.0, the other four slots
        # are "no bid" (0.1) pairs: 1.8 + 1.0 + 0.4.  Any "not willing" slot (0) would lose 0.1.
        assert summary["total_affinity"] == pytest.approx(3.2, abs=1e-6)
        assert sorted(m.to[0] for m in mail.outbox) == [
            "r0@inst0.example.cn",
            "r1@inst1.example.cn",
            "r2@inst2.example.cn",
        ]
        assert all("作者甲" not in m.body and "author@pku" not in m.body for m in mail.outbox)
    with in_schema(society_b):
        assert Assignment.objects.count() == 0


def test_infeasible_assignment_explains_and_writes_nothing(society_a, in_schema, call, organiser, setup):
    with in_schema(society_a):
        CommitteeMember.objects.update(max_load=1)  # 3 slots for 8 needed
        with pytest.raises(ReviewsError) as exc:
            assignment_service.assign_reviewers(actor=organiser, call=call)
        assert str(exc.value).startswith("No assignment is possible: ")
        assert Assignment.objects.count() == 0


def test_rerun_is_refused_once_reviews_exist_and_hand_edits_check_load(society_a, in_schema, call, organiser, setup):
    members, papers = setup["members"], setup["papers"]
    with in_schema(society_a):
        assignment_service.assign_reviewers(actor=organiser, call=call, objective="fair")
        assert Assignment.objects.count() == 8
        first = Assignment.objects.filter(member=members[0]).first()
        reviews.save_review(
            actor=setup["people"][0],
            assignment=first,
            scores={},
            confidence=None,
            comments_to_authors="",
            confidential_comments="",
            submit=False,
        )
        with pytest.raises(ReviewsError) as exc:
            assignment_service.assign_reviewers(actor=organiser, call=call)
        assert str(exc.value) == "Reviews have started; adjust the assignment by hand."
        full = max(members, key=lambda m: Assignment.objects.filter(member=m).count())
        target = next(p for p in papers if not Assignment.objects.filter(member=full, submission=p).exists())
        if Assignment.objects.filter(member=full).count() >= full.max_load:
            with pytest.raises(ReviewsError) as exc:
                assignment_service.assign_by_hand(actor=organiser, submission=target, member=full)
            assert str(exc.value) == "This reviewer has reached the maximum load."


def test_chair_page_shows_loads_and_affinity(society_a, society_b, in_schema, call, organiser, setup):
    client = client_for(society_a)
    client.force_login(organiser)
    response = client.post(
        f"/reviews/console/{call.pk}/assignment/", {"action": "run", "objective": "total"}, follow=True
    )
    page = response.content.decode()
    assert "已完成 8 项分配" in page
    assert page.count("审稿人0") >= 2 and "/3</td>" in page
    assert 'data-testid="assign-paper-4"' in page
    other = client_for(society_b)
    other.force_login(organiser)
    assert other.get(f"/reviews/console/{call.pk}/assignment/").status_code == 404


def test_command_wraps_the_solver(tmp_path):
    problem = {
        "papers": ["p1", "p2"],
        "reviewers": [{"id": "a", "max_load": 2}, {"id": "b", "max_load": 2}],
        "reviewers_per_paper": 1,
        "affinity": [["p1", "a", 0.9], ["p2", "b", 0.8]],
    }
    source, target = tmp_path / "problem.json", tmp_path / "result.json"
    source.write_text(json.dumps(problem))
    call_command("assign_reviewers", "--input", str(source), "--output", str(target))
    result = json.loads(target.read_text())
    assert result["assignments"] == [["p1", "a"], ["p2", "b"]]
    assert result["total_affinity"] == pytest.approx(1.7)
    problem["reviewers_per_paper"] = 3
    source.write_text(json.dumps(problem))
    with pytest.raises(CommandError) as exc:
        call_command("assign_reviewers", "--input", str(source), "--output", str(target))
    assert exc.value.returncode == 1
