import datetime

import pytest
from django.core import mail
from django.utils import timezone

from common.models import Role, RoleAssignment
from reviews.exceptions import ReviewsError
from reviews.models import Call, CommitteeMember
from reviews.services import calls
from tests.conftest import client_for


def test_deadlines_must_be_in_order_and_one_call_per_meeting(society_a, in_schema, meeting, organiser, call):
    now = timezone.now()
    with in_schema(society_a):
        with pytest.raises(ReviewsError) as exc:
            calls.update_call(actor=organiser, call=call, review_deadline=now - datetime.timedelta(days=30))
        assert str(exc.value) == "Deadlines must be in order: submission, review, decision, camera-ready."
        with pytest.raises(ReviewsError) as exc:
            calls.create_call(
                actor=organiser,
                meeting=meeting,
                title="第二个",
                submission_deadline=now,
                review_deadline=now,
                decision_date=now,
                camera_ready_deadline=now,
            )
        assert str(exc.value) == "This meeting already has a call for papers."
        assert Call.objects.count() == 1


def test_deadlines_are_shown_in_the_society_time_zone(society_a, in_schema, call, organiser):
    with in_schema(society_a):
        calls.update_call(
            actor=organiser,
            call=call,
            submission_deadline=datetime.datetime(2026, 12, 1, 15, 59, tzinfo=datetime.UTC),
            review_deadline=datetime.datetime(2026, 12, 20, 16, 0, tzinfo=datetime.UTC),
        )
    page = client_for(society_a).get(f"/reviews/calls/{call.pk}/").content.decode()
    # 15:59 UTC is 23:59 in Beijing, the last minute of 1 December.
    assert "<td>2026-12-01 23:59</td>" in page and "<td>2026-12-21 00:00</td>" in page
    assert "时间为 Asia/Shanghai 时区。" in page
    english = client_for(society_a)
    english.cookies["django_language"] = "en"
    assert "Times in Asia/Shanghai." in english.get(f"/reviews/calls/{call.pk}/").content.decode()


def test_invited_newcomer_sets_a_password_and_becomes_reviewer(
    society_a, society_b, in_schema, call, organiser, django_capture_on_commit_callbacks
):
    chair = client_for(society_a)
    chair.force_login(organiser)
    with django_capture_on_commit_callbacks(execute=True):
        response = chair.post(
            f"/reviews/console/{call.pk}/committee/",
            {
                "email": "New.Reviewer@whu.example.cn",
                "name": "新审稿人",
                "role": "reviewer",
                "affiliation": "武汉大学",
                "max_load": "4",
            },
        )
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["new.reviewer@whu.example.cn"]
    assert mail.outbox[-1].subject == "程序委员会邀请：2026年会征文"
    link = next(line for line in mail.outbox[-1].body.splitlines() if "/reviews/invitations/" in line)
    path = link[link.index("/reviews/invitations/") :].strip()
    newcomer = client_for(society_a)
    assert "请为您的新账户设置密码。" in newcomer.get(path).content.decode()
    response = newcomer.post(path, {"answer": "accept", "password": "Xuehui-2026-pass"})
    assert response.status_code == 302 and response["Location"] == f"/reviews/calls/{call.pk}/bids/"
    with in_schema(society_a):
        member = CommitteeMember.objects.get(user__email="new.reviewer@whu.example.cn")
        assert (member.status, member.max_load, member.affiliation) == ("accepted", 4, "武汉大学")
        assert RoleAssignment.objects.filter(user=member.user, role=Role.REVIEWER).exists()
        assert member.user.check_password("Xuehui-2026-pass")
    assert newcomer.get(f"/reviews/calls/{call.pk}/bids/").status_code == 200
    assert newcomer.get("/reviews/invitations/forged-token/").status_code == 404
    with in_schema(society_b):
        assert CommitteeMember.objects.count() == 0


def test_organiser_creates_a_call_and_changes_its_policy(
    society_a, society_b, in_schema, meeting, organiser, make_user
):
    client = client_for(society_a)
    client.force_login(organiser)
    form = {
        "meeting": meeting.pk,
        "title": "秋季年会征文",
        "review_mode": "single",
        "submission_deadline": "2026-12-01T23:59",
        "review_deadline": "2026-12-20T23:59",
        "decision_date": "2026-12-25T12:00",
        "camera_ready_deadline": "2027-01-10T23:59",
        "max_pages": "8",
        "max_size_mb": "5",
        "reviewers_per_paper": "3",
        "reviews_visible_after_own": "on",
        "tracks": "理论\n实验\n",
        "topics": "催化\n\n电化学",
    }
    response = client.post("/reviews/console/", form)
    with in_schema(society_a):
        call = Call.objects.get()
        assert response["Location"] == f"/reviews/console/{call.pk}/"
        # Entered as Beijing time, stored as the same instant.
        assert call.submission_deadline == datetime.datetime(2026, 12, 1, 15, 59, tzinfo=datetime.UTC)
        assert [t.name for t in call.tracks.all()] == ["实验", "理论"]
        assert [t.name for t in call.topics.all()] == ["催化", "电化学"]
        assert (call.review_mode, call.attach_reviews_to_notifications) == ("single", False)
        assert [c.name for c in call.criteria.all()] == ["总体评价"]
        assert call.notification_templates.count() == 4
    settings = {k: v for k, v in form.items() if k not in ("meeting", "tracks", "topics", "reviews_visible_after_own")}
    response = client.post(f"/reviews/console/{call.pk}/settings/", settings)
    assert response.status_code == 302
    with in_schema(society_a):
        call.refresh_from_db()
        assert call.reviews_visible_after_own is False
    bad = {**settings, "review_deadline": "2026-11-01T00:00"}
    page = client.post(f"/reviews/console/{call.pk}/settings/", bad).content.decode()
    assert "各截止时间须依次为：投稿、评审、录用通知、终稿。" in page
    with in_schema(society_b):
        assert Call.objects.count() == 0
    member = client_for(society_a)
    member.force_login(make_user("m@x.cn", "会员"))
    assert member.get("/reviews/console/").status_code == 403


def test_chair_configures_the_review_form_until_reviews_start(society_a, in_schema, call, organiser):
    client = client_for(society_a)
    client.force_login(organiser)
    url = f"/reviews/console/{call.pk}/settings/"
    assert "创新性; 1; 5; 2" in client.get(url).content.decode()
    page = client.post(url, {"action": "criteria", "criteria": "创新性; 1; 5\n"}, follow=True).content.decode()
    assert "每个评分项请写成：名称; 最低分; 最高分; 权重。" in page
    client.post(url, {"action": "criteria", "criteria": "创新性；1；10；3\n\n表达; 0; 4; 0.5"})
    with in_schema(society_a):
        assert [(c.name, c.scale_min, c.scale_max, str(c.weight)) for c in call.criteria.all()] == [
            ("创新性", 1, 10, "3.00"),
            ("表达", 0, 4, "0.50"),
        ]


def test_existing_account_answers_the_invitation_from_its_page(society_a, in_schema, call, organiser, make_user):
    reviewer = make_user("zhao@nju.edu.cn", "赵审稿")
    with in_schema(society_a):
        calls.invite_committee_member(actor=organiser, call=call, email="ZHAO@nju.edu.cn")
    stranger = client_for(society_a)
    stranger.force_login(make_user("other@x.cn", "别人"))
    client = client_for(society_a)
    client.force_login(reviewer)
    page = client.get("/reviews/").content.decode()
    path = page[page.index("/reviews/invitations/") :].split('"')[0]
    # Someone else's session cannot answer it, and an existing account keeps its password.
    assert stranger.post(path, {"answer": "accept"}).status_code == 302
    with in_schema(society_a):
        assert CommitteeMember.objects.get().status == CommitteeMember.Status.INVITED
    response = client.post(path, {"answer": "decline"})
    assert response.status_code == 302 and response["Location"] == "/"
    with in_schema(society_a):
        assert CommitteeMember.objects.get().status == CommitteeMember.Status.DECLINED
        assert not RoleAssignment.objects.filter(user=reviewer, role=Role.REVIEWER).exists()


def test_invitation_sent_outside_a_request_links_to_the_society_site(
    society_a, in_schema, call, organiser, django_capture_on_commit_callbacks
):
    # The link is the service's own (tenants.services.society_url): the demo and API send it too.
    from tenants.services import society_url

    with in_schema(society_a):
        with django_capture_on_commit_callbacks(execute=True):
            member = calls.invite_committee_member(actor=organiser, call=call, email="qian@fudan.edu.cn")
        expected = society_url(society_a, f"/reviews/invitations/{calls.invitation_token(member)}/")
    assert expected in mail.outbox[-1].body
