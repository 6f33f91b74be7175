import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from reviews import selectors
from reviews.exceptions import ReviewsError
from reviews.models import Call, Review
from reviews.services import reviews
from tests.conftest import client_for


def test_scores_are_averaged_and_weighted_exactly(society_a, in_schema, world):
    with in_schema(society_a):
        review = Review.objects.get(assignment=world["a1"])
        # 创新性 4 on 1–5 (weight 2) → 7.5; 严谨性 3 on 1–5 (weight 1) → 5.0 (both scaled to 0–10).
        assert (review.average, review.weighted) == (Decimal("6.250"), Decimal("6.667"))
        assert review.status == Review.Status.SUBMITTED and review.submitted_at is not None


def test_submitting_needs_every_score_and_confidence(society_a, in_schema, world):
    with in_schema(society_a):
        with pytest.raises(ReviewsError) as exc:
            reviews.save_review(
                actor=world["users"]["reviewer2"],
                assignment=world["a2"],
                scores={str(world["criteria"][0].pk): 2},
                confidence=3,
                comments_to_authors="",
                confidential_comments="",
                submit=True,
            )
        assert str(exc.value) == "Give every score and your confidence before submitting."
        with pytest.raises(ReviewsError) as exc:
            reviews.save_review(
                actor=world["users"]["reviewer2"],
                assignment=world["a2"],
                scores={str(world["criteria"][0].pk): 9},
                confidence=3,
                comments_to_authors="",
                confidential_comments="",
                submit=False,
            )
        assert str(exc.value) == "“创新性” takes a score from 1 to 5."
        assert Review.objects.get(assignment=world["a2"]).status == Review.Status.DRAFT


def test_submitted_review_editable_until_deadline_only(society_a, in_schema, world, call):
    with in_schema(society_a):
        scores = {str(c.pk): 2 for c in world["criteria"]}
        edited = reviews.save_review(
            actor=world["users"]["reviewer"],
            assignment=world["a1"],
            scores=scores,
            confidence=2,
            comments_to_authors="改了",
            confidential_comments="",
            submit=False,
        )
        assert edited.status == Review.Status.SUBMITTED and edited.average == Decimal("2.500")
        now = timezone.now()
        Call.objects.filter(pk=call.pk).update(
            submission_deadline=now - datetime.timedelta(days=1), review_deadline=now - datetime.timedelta(seconds=1)
        )
        world["a1"].submission.call.refresh_from_db()
        with pytest.raises(ReviewsError) as exc:
            reviews.save_review(
                actor=world["users"]["reviewer"],
                assignment=world["a1"],
                scores=scores,
                confidence=2,
                comments_to_authors="太晚",
                confidential_comments="",
                submit=True,
            )
        assert str(exc.value) == "The review deadline has passed."
        with pytest.raises(ReviewsError) as exc:
            reviews.save_review(
                actor=world["users"]["reviewer2"],
                assignment=world["a1"],
                scores=scores,
                confidence=2,
                comments_to_authors="",
                confidential_comments="",
                submit=True,
            )
        assert str(exc.value) == "This is not your review."


def test_others_reviews_visible_after_own_submission(society_a, in_schema, world, call):
    users, p1 = world["users"], world["p1"]
    with in_schema(society_a):
        assert selectors.can_see_reviews(users["reviewer"], p1) is True
        assert selectors.can_see_reviews(users["reviewer2"], p1) is False  # draft only
        assert selectors.can_see_reviews(users["conflicted"], p1) is False
        assert selectors.can_see_reviews(users["chair"], p1) is True
        assert selectors.can_see_reviews(users["chair_author"], p1) is True
        assert selectors.can_see_reviews(users["chair_author"], world["p2"]) is False
        assert selectors.can_see_reviews(users["author"], p1) is False
        Call.objects.filter(pk=call.pk).update(reviews_visible_after_own=False)
        p1.call.refresh_from_db()
        assert selectors.can_see_reviews(users["reviewer2"], p1) is True
    client = client_for(society_a)
    client.force_login(users["reviewer2"])
    page = client.get(f"/reviews/reviews/{world['a2'].pk}/").content.decode()
    assert "REVIEW-TEXT-P1" in page and "赵审稿" not in page  # others appear by number


def test_review_page_hides_others_until_submitted(society_a, society_b, in_schema, world):
    client = client_for(society_a)
    client.force_login(world["users"]["reviewer2"])
    url = f"/reviews/reviews/{world['a2'].pk}/"
    page = client.get(url).content.decode()
    assert "REVIEW-TEXT-P1" not in page and "提交您的评审后即可看到其他评审意见。" in page
    scores = {f"score_{c.pk}": "3" for c in world["criteria"]}
    response = client.post(
        url, {**scores, "confidence": "3", "comments_to_authors": "同意", "submit": "1"}, follow=True
    )
    page = response.content.decode()
    assert "评审已提交。" in page and "REVIEW-TEXT-P1" in page
    on_b = client_for(society_b)
    on_b.force_login(world["users"]["reviewer2"])
    assert on_b.get(url).status_code == 404


def test_discussion_and_meta_review_rules(society_a, in_schema, world):
    users, p1 = world["users"], world["p1"]
    with in_schema(society_a):
        reviews.post_discussion(actor=users["reviewer"], submission=p1, text="我倾向接收")
        with pytest.raises(ReviewsError) as exc:
            reviews.post_discussion(actor=users["conflicted"], submission=p1, text="看看")
        assert str(exc.value) == "You cannot take part in this paper's discussion."
        with pytest.raises(ReviewsError) as exc:
            reviews.post_discussion(actor=users["reviewer"], submission=p1, text="总结", is_meta_review=True)
        assert str(exc.value) == "Only the track chair writes the meta-review."
        reviews.post_discussion(actor=users["chair"], submission=p1, text="元评审：接收", is_meta_review=True)
        assert [(p.author.name, p.is_meta_review) for p in selectors.discussion_of(users["chair"], p1)] == [
            ("赵审稿", False),
            ("程主席", True),
        ]
        assert selectors.discussion_of(users["conflicted"], p1) == []


def test_late_reviewers_are_reminded_once_a_day(society_a, in_schema, world, call, django_capture_on_commit_callbacks):
    from django.core import mail

    with in_schema(society_a):
        now = timezone.now()
        Call.objects.filter(pk=call.pk).update(
            submission_deadline=now - datetime.timedelta(days=1), review_deadline=now + datetime.timedelta(days=2)
        )
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert reviews.remind_late_reviewers() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert reviews.remind_late_reviewers() == 0
        assert [m.to for m in mail.outbox] == [["sun@ustc.edu.cn"]]
        assert mail.outbox[0].subject == "提醒：请完成论文 #1 的评审"
        assert "张伟" not in mail.outbox[0].body


def test_track_chair_writes_the_meta_review(society_a, in_schema, world, call):
    from reviews.services import calls

    users, p1 = world["users"], world["p1"]
    with in_schema(society_a):
        track = call.tracks.get()
        p1.track = track
        p1.save(update_fields=["track"])
        calls.set_track_chair(actor=users["chair"], track=track, member=world["members"]["reviewer"])
        post = reviews.post_discussion(
            actor=users["reviewer"], submission=p1, text="元评审：建议接收", is_meta_review=True
        )
        assert post.is_meta_review is True
        invited = calls.invite_committee_member(actor=users["chair"], call=call, email="pending@whu.example.cn")
        with pytest.raises(ReviewsError) as exc:
            calls.set_track_chair(actor=users["chair"], track=track, member=invited)  # not accepted yet
        assert str(exc.value) == "This person is not on the committee of this call."


def test_single_blind_reviewers_see_authors(society_a, in_schema, world, call, organiser):
    from reviews.services import calls

    client = client_for(society_a)
    client.force_login(world["users"]["reviewer"])
    url = f"/reviews/reviews/{world['a1'].pk}/"
    assert "张伟" not in client.get(url).content.decode()
    with in_schema(society_a):
        calls.update_call(actor=organiser, call=call, review_mode="single")
    page = client.get(url).content.decode()
    assert "张伟 · 北京大学化学学院" in page and "zhang.wei@pku.edu.cn" not in page


def test_review_form_is_frozen_once_reviews_exist(society_a, in_schema, world, call, organiser):
    from reviews.services import calls

    with in_schema(society_a):
        with pytest.raises(ReviewsError) as exc:
            calls.set_criteria(actor=organiser, call=call, criteria=[("总体", 1, 5, 1)])
        assert str(exc.value) == "Reviews have started; the review form can no longer change."
        assert [c.name for c in call.criteria.all()] == ["创新性", "严谨性"]
