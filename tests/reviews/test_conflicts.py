import pytest

from reviews.exceptions import ReviewsError
from reviews.models import Assignment, Bid, Conflict
from reviews.selectors import is_conflicted
from reviews.services import assignment_service, conflicts, submissions
from tests.reviews.conftest import add_member, make_pdf, paper_data


def submit(call, user, *authors, title="论文"):
    return submissions.submit_paper(
        actor=user, call=call, data=paper_data(*authors, title=title), content=make_pdf(), filename="p.pdf"
    )


def sources(paper, user):
    return set(Conflict.objects.filter(submission=paper, user=user).values_list("source", flat=True))


@pytest.fixture
def author(make_user):
    return make_user("wang@pku.edu.cn", "王作者")


def test_author_of_the_paper_is_conflicted(society_a, society_b, in_schema, call, author):
    with in_schema(society_a):
        add_member(call, author)
        paper = submit(call, author, ("王作者", "wang@pku.edu.cn", "北京大学"))
        assert sources(paper, author) == {Conflict.Source.AUTHOR}
    with in_schema(society_b):
        assert Conflict.objects.count() == 0


def test_same_institution_is_conflicted_whatever_the_spelling(society_a, in_schema, call, author, make_user):
    reviewer = make_user("zhao@other.example.cn", "赵审稿")
    with in_schema(society_a):
        add_member(call, reviewer, affiliation=" 北京大学 ")
        paper = submit(call, author, ("王作者", "wang@pku.edu.cn", "北京 大学"))
        assert sources(paper, reviewer) == {Conflict.Source.INSTITUTION}


def test_same_mail_domain_is_conflicted_but_not_a_public_mailbox(society_a, in_schema, call, author, make_user):
    colleague = make_user("li@pku.edu.cn", "李同事")
    qq_user = make_user("123@qq.com", "QQ用户")
    with in_schema(society_a):
        add_member(call, colleague)
        add_member(call, qq_user)
        paper = submit(call, author, ("王作者", "wang@pku.edu.cn", "某研究所"), ("陈", "456@qq.com", "另一所"))
        assert sources(paper, colleague) == {Conflict.Source.DOMAIN}
        assert sources(paper, qq_user) == set()
        assert not is_conflicted(qq_user, paper)


def test_coauthor_of_another_submission_is_conflicted(society_a, in_schema, call, author, make_user):
    reviewer = make_user("sun@ustc.example.cn", "孙审稿")
    with in_schema(society_a):
        add_member(call, reviewer)
        # The reviewer co-wrote paper A with 王; paper B is 王's with someone else.
        paper_a = submit(
            call, author, ("王作者", "wang@pku.edu.cn", "北大"), ("孙审稿", "sun@ustc.example.cn", "中科大")
        )
        paper_b = submit(call, author, ("王作者", "wang@pku.edu.cn", "北大"), ("周", "zhou@fudan.example.cn", "复旦"))
        paper_c = submit(call, author, ("吴", "wu@zju.example.cn", "浙大"), title="无关")
        assert sources(paper_a, reviewer) == {Conflict.Source.AUTHOR}
        assert sources(paper_b, reviewer) == {Conflict.Source.COAUTHOR}
        assert sources(paper_c, reviewer) == set()


def test_conflicts_follow_edits(society_a, in_schema, call, author, make_user):
    reviewer = make_user("zhao@tsinghua.example.cn", "赵审稿")
    with in_schema(society_a):
        add_member(call, reviewer)
        paper = submit(
            call, author, ("王作者", "wang@pku.edu.cn", "北大"), ("赵审稿", "zhao@tsinghua.example.cn", "清华")
        )
        assert sources(paper, reviewer) == {Conflict.Source.AUTHOR}
        submissions.update_paper(actor=author, submission=paper, data=paper_data(("王作者", "wang@pku.edu.cn", "北大")))
        assert sources(paper, reviewer) == set()


def test_declared_conflicts_need_a_reason_and_remove_assignments(society_a, in_schema, call, author, make_user):
    reviewer = make_user("zhao@tsinghua.example.cn", "赵审稿")
    other = make_user("qian@nju.example.cn", "钱审稿")
    with in_schema(society_a):
        member = add_member(call, reviewer)
        other_member = add_member(call, other)
        paper = submit(call, author, ("王作者", "wang@pku.edu.cn", "北大"))
        assignment_service.assign_by_hand(actor=None, submission=paper, member=member)
        assignment_service.assign_by_hand(actor=None, submission=paper, member=other_member)
        with pytest.raises(ReviewsError) as exc:
            conflicts.declare_conflict(
                actor=author, submission=paper, user=reviewer, source=Conflict.Source.DECLARED_BY_AUTHOR, reason=" "
            )
        assert str(exc.value) == "Give a reason for the conflict."
        conflicts.declare_conflict(
            actor=author, submission=paper, user=reviewer, source=Conflict.Source.DECLARED_BY_AUTHOR, reason="前导师"
        )
        assert list(Assignment.objects.values_list("member__user__email", flat=True)) == ["qian@nju.example.cn"]
        # The reviewer's own declaration goes through the bid.
        assignment_service.place_bid(actor=other, member=other_member, submission=paper, level=Bid.Level.CONFLICT)
        assert Assignment.objects.count() == 0
        assert sources(paper, other) == {Conflict.Source.DECLARED_BY_REVIEWER}
        # Declared conflicts survive the automatic rebuild.
        conflicts.refresh_conflicts(call=call)
        assert sources(paper, reviewer) == {Conflict.Source.DECLARED_BY_AUTHOR}
        with pytest.raises(ReviewsError) as exc:
            assignment_service.assign_by_hand(actor=None, submission=paper, member=member)
        assert str(exc.value) == "This reviewer has a conflict of interest with the paper."


def test_author_declares_a_conflict_by_email_on_the_paper_page(society_a, in_schema, call, author, make_user):
    from tests.conftest import client_for

    reviewer = make_user("zhao@tsinghua.example.cn", "赵审稿")
    with in_schema(society_a):
        add_member(call, reviewer)
        paper = submit(call, author, ("王作者", "wang@pku.edu.cn", "北大"))
    client = client_for(society_a)
    client.force_login(author)
    page = client.get(f"/reviews/papers/{paper.pk}/").content.decode()
    assert "赵审稿" not in page  # the committee list is never shown to authors
    url = f"/reviews/papers/{paper.pk}/conflicts/"
    page = client.post(url, {"email": "nobody@else.cn", "reason": "同事"}, follow=True).content.decode()
    assert "该邮箱尚无账户，无法担任审稿人，无需申报利益冲突。" in page
    page = client.post(url, {"email": "ZHAO@tsinghua.example.cn", "reason": "前导师"}, follow=True).content.decode()
    assert "已申报利益冲突。" in page and "zhao@tsinghua.example.cn — 前导师" in page
    with in_schema(society_a):
        assert sources(paper, reviewer) == {Conflict.Source.DECLARED_BY_AUTHOR}
