"""Tenancy costs one statement per request: the SET search_path before the view's first query."""

from common.models import Role
from tenants.services import grant_role
from tests.conftest import client_for


def test_society_page_sends_its_queries_plus_one(society_a, make_user, in_schema, django_assert_num_queries):
    user = make_user("staff@example.cn", "员工")
    with in_schema(society_a):
        grant_role(user=user, role=Role.FINANCE)
    client = client_for(society_a)
    client.force_login(user)
    client.get("/console/")  # the first request looks the host up; later ones use the cached answer
    with django_assert_num_queries(3) as captured:  # SET search_path + the user + their roles
        response = client.get("/console/")
    assert response.status_code == 200
    assert captured.captured_queries[0]["sql"].startswith("SET search_path")
    assert "accounts_user" in captured.captured_queries[1]["sql"]
    assert "common_roleassignment" in captured.captured_queries[2]["sql"]


def test_anonymous_page_without_queries_sends_none(society_a, django_assert_num_queries):
    client = client_for(society_a)
    client.get("/accounts/login/")
    with django_assert_num_queries(0):
        assert client.get("/accounts/login/").status_code == 200
