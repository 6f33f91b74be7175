"""The members API: per-society tokens, masking, create/update through the services."""

from common.models import Role
from common.services import issue_api_token
from members.models import Member, MembershipCategory, StatusChange
from tenants.services import grant_role
from tests.conftest import client_for


def token_for(society, user, in_schema):
    with in_schema(society):
        _token, key = issue_api_token(user=user, name="crm", actor=user)
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def test_members_api_lists_creates_updates_with_masking(society_a, society_b, categories, admin_a, in_schema):
    auth = token_for(society_a, admin_a, in_schema)
    api = client_for(society_a)
    created = api.post(
        "/api/v1/members/",
        {
            "category": "regular",
            "name_zh": "赵敏",
            "email": "Zhao@Example.cn",
            "mobile": "13600136000",
            "id_type": "resident_id",
            "id_number": "11010519491231002X",
        },
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["email"], body["mobile"], body["id_number"], body["status"]) == (
        "zhao@example.cn",
        "+86136****6000",
        "110***********002X",
        "active",
    )
    assert body["number"].startswith("CS")
    duplicate = api.post(
        "/api/v1/members/",
        {"category": "regular", "name_zh": "赵敏", "email": "zhao@example.cn"},
        content_type="application/json",
        **auth,
    )
    assert duplicate.status_code == 400
    listing = api.get("/api/v1/members/?q=赵", **auth).json()
    assert [m["name_zh"] for m in listing["results"]] == ["赵敏"]
    updated = api.patch(
        f"/api/v1/members/{body['id']}/", {"work_unit": "南开大学"}, content_type="application/json", **auth
    )
    assert updated.json()["work_unit"] == "南开大学"
    with in_schema(society_a):
        member = Member.objects.get()
        assert member.work_unit == "南开大学"
        assert list(StatusChange.objects.values_list("to_status", flat=True)) == ["active"]
    category = api.post(
        "/api/v1/member-categories/",
        {"code": "fellow", "name_zh": "会士", "fee": "1000.00", "currency": "cny"},
        content_type="application/json",
        **auth,
    )
    assert category.status_code == 201 and category.json()["currency"] == "CNY"
    with in_schema(society_b):
        assert MembershipCategory.objects.count() == 0
    assert client_for(society_b).get("/api/v1/members/", **auth).status_code == 401


def test_members_api_is_for_administrators_only(society_a, categories, make_user, in_schema):
    finance = make_user("finance@example.cn", "财务")
    with in_schema(society_a):
        grant_role(user=finance, role=Role.FINANCE)
    auth = token_for(society_a, finance, in_schema)
    assert client_for(society_a).get("/api/v1/members/", **auth).status_code == 403
