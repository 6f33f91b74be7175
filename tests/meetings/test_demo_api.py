"""The demo seed and the read-only API."""

import io

from common.models import Role
from common.services import issue_api_token
from meetings import demo
from meetings.models import GroupOrder, Meeting, Registration
from tests.conftest import client_for


def test_demo_seed_is_idempotent(society_a, society_b, in_schema, make_user):
    people = {
        "organiser": make_user("org@demo.example"),
        "members": [make_user("m1@demo.example", "王芳"), make_user("m2@demo.example", "李雷")],
    }
    out = io.StringIO()
    with in_schema(society_a):
        demo.seed(society=society_a, people=people, stdout=out)
        demo.seed(society=society_a, people=people, stdout=out)
        meeting = Meeting.objects.get()
        assert (meeting.status, meeting.types.count()) == ("open", 2)
        assert sorted(Registration.objects.values_list("status", flat=True)) == ["confirmed"] * 4 + ["held"]
        assert GroupOrder.objects.get().status == "paid"
    with in_schema(society_b):
        assert Meeting.objects.count() == 0


def test_api_lists_meetings_and_registrations_for_organisers(
    open_meeting, society_a, society_b, in_schema, make_user, organiser
):
    from tenants.services import grant_role

    member = make_user("m@example.cn")
    with in_schema(society_a):
        _token, key = issue_api_token(user=organiser, name="oa", actor=organiser)
        _t2, member_key = issue_api_token(user=member, name="x", actor=member)
        grant_role(user=member, role=Role.MEMBER)
    client = client_for(society_a)
    meetings = client.get("/api/v1/meetings/", HTTP_AUTHORIZATION=f"Token {key}").json()
    assert [m["slug"] for m in meetings] == ["annual-2026"]
    response = client.get("/api/v1/meetings/annual-2026/registrations/", HTTP_AUTHORIZATION=f"Token {key}")
    assert (response.status_code, response.json()) == (200, [])
    refused = client.get("/api/v1/meetings/annual-2026/registrations/", HTTP_AUTHORIZATION=f"Token {member_key}")
    assert refused.status_code == 403
    with in_schema(society_b):
        _t3, b_key = issue_api_token(user=organiser, name="oa", actor=organiser)
    assert client_for(society_b).get("/api/v1/meetings/", HTTP_AUTHORIZATION=f"Token {b_key}").json() == []
    assert client_for(society_b).get("/api/v1/meetings/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
