"""Senior and fellow applications need endorsements by active members before review."""

import pytest

from members import services
from members.models import ApplicationStatus, Endorsement, Member, MemberStatus
from members.services import MembershipError
from tests.conftest import client_for
from tests.members.conftest import PROFILE


def test_endorsements_gate_the_review_queue(
    society_a, society_b, categories, make_user, in_schema, mailoutbox, django_capture_on_commit_callbacks
):
    endorsers = [make_user(f"e{i}@example.cn", f"推荐人{i}") for i in range(2)]
    person = make_user("senior@example.cn", "高级")
    with in_schema(society_a):
        for i, user in enumerate(endorsers):
            Member.objects.create(
                user=user,
                email=user.email,
                category=categories["regular"],
                status=MemberStatus.ACTIVE,
                name_zh=user.name,
                number=f"E{i}",
            )
        data = {
            **PROFILE,
            "email": person.email,
            "id_number": "",
            "endorser_emails": "e0@example.cn\nE1@example.cn\nnobody@example.cn",
        }
        draft = services.save_application_draft(user=person, category=categories["senior"], data=data, actor=person)
        with django_capture_on_commit_callbacks(execute=True):
            application = services.submit_application(application=draft, actor=person)
        assert application.status == ApplicationStatus.ENDORSING
        requests = list(Endorsement.objects.order_by("endorser__email"))
        assert [e.endorser.email for e in requests] == ["e0@example.cn", "e1@example.cn"]
        assert sorted(m.to[0] for m in mailoutbox if "推荐" in m.subject) == ["e0@example.cn", "e1@example.cn"]
        with pytest.raises(MembershipError):
            services.decide_endorsement(endorsement=requests[0], give=True, actor=person)
    page = client_for(society_a)
    page.force_login(endorsers[0])
    response = page.post(f"/members/endorse/{requests[0].token}/", {"decision": "give"})
    assert response.status_code == 302
    with in_schema(society_a):
        application.refresh_from_db()
        assert application.status == ApplicationStatus.ENDORSING
        services.decide_endorsement(endorsement=requests[1], give=True, actor=endorsers[1])
        application.refresh_from_db()
        assert application.status == ApplicationStatus.SUBMITTED
        with pytest.raises(MembershipError, match="已回复过"):
            services.decide_endorsement(endorsement=requests[1], give=False, actor=endorsers[1])
    other = client_for(society_b)
    other.force_login(endorsers[0])
    assert other.get(f"/members/endorse/{requests[0].token}/").status_code == 404


def test_too_few_endorsers_is_refused(society_a, categories, make_user, in_schema):
    person = make_user("senior@example.cn", "高级")
    with in_schema(society_a):
        data = {**PROFILE, "email": person.email, "id_number": "", "endorser_emails": "x@example.cn"}
        draft = services.save_application_draft(user=person, category=categories["senior"], data=data, actor=person)
        with pytest.raises(MembershipError, match="需要 2 位有效会员推荐"):
            services.submit_application(application=draft, actor=person)
        assert Member.objects.count() == 0
