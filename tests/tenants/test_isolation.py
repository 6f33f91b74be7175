"""No society ever sees another's rows, files, cache entries, sessions or task effects.

Both societies hold objects with identical primary keys; B holds one more, whose id A lacks.
"""

import pytest
from django.core.cache import cache
from django.db import connection

from common.files import store_file
from common.models import ApiToken, Role, RoleAssignment
from common.services import issue_api_token
from tenants.services import grant_role
from tests.conftest import client_for

ROLES = [Role.ADMIN, Role.FINANCE, Role.ORGANISER, Role.REVIEWER, Role.MEMBER]


@pytest.fixture
def world(society_a, society_b, make_user, in_schema):
    """The same person e-mail in both societies, each role in A, files with markers in both."""
    shared = make_user("same.person@example.cn", "同名用户")
    people = {role: make_user(f"{role}@example.cn", f"A-{role}") for role in ROLES}
    files = {}
    for society, tag in ((society_a, "A"), (society_b, "B")):
        with in_schema(society):
            grant_role(user=shared, role=Role.MEMBER)
            files[tag] = [
                store_file(
                    content=f"SECRET-{tag}-{i}".encode(),
                    filename=f"{tag}{i}.txt",
                    mimetype="text/plain",
                    kind="test",
                    owner=shared,
                )
                for i in range(1 if tag == "A" else 2)
            ]
    with in_schema(society_a):
        for role, user in people.items():
            grant_role(user=user, role=role)
    return {"shared": shared, "people": people, "files": files}


def test_identical_ids_in_both_societies(world):
    assert world["files"]["A"][0].pk == world["files"]["B"][0].pk


@pytest.mark.parametrize("role", ROLES)
def test_role_of_a_cannot_reach_b_objects(world, society_a, society_b, role):
    user = world["people"][role]
    on_a = client_for(society_a)
    on_a.force_login(user)
    b_only_id = world["files"]["B"][1].pk
    response = on_a.get(f"/files/{b_only_id}/")
    assert response.status_code == 404
    assert b"SECRET-B" not in response.content
    # The same session cookie presented on B's host is anonymous there.
    on_b = client_for(society_b)
    on_b.cookies = on_a.cookies
    for object_id in (world["files"]["A"][0].pk, b_only_id):
        response = on_b.get(f"/files/{object_id}/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert on_b.get("/api/v1/me/").status_code in (401, 403)
    console = on_b.get("/console/")
    assert console.status_code == 302


def test_owner_downloads_own_file_only_on_its_own_host(world, society_a, society_b):
    on_a = client_for(society_a)
    on_a.force_login(world["shared"])
    response = on_a.get(f"/files/{world['files']['A'][0].pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"SECRET-A-0"
    on_b = client_for(society_b)
    on_b.force_login(world["shared"])
    response = on_b.get(f"/files/{world['files']['A'][0].pk}/")
    assert b"".join(response.streaming_content) == b"SECRET-B-0"


def test_files_live_under_the_society_path(world, society_a, society_b, in_schema):
    stored = world["files"]["A"][0]
    with in_schema(society_a):
        assert stored.file.path.split("/")[-5] == "s_alpha"
    with in_schema(society_b):
        # The same stored name resolves inside B's own folder, never A's.
        assert stored.file.path.split("/")[-5] == "s_beta"


def test_role_pages_of_a_list_only_a(world, society_a, society_b, in_schema):
    with in_schema(society_b):
        RoleAssignment.objects.create(user=world["people"][Role.FINANCE], role=Role.ORGANISER)
    on_a = client_for(society_a)
    on_a.force_login(world["people"][Role.ADMIN])
    page = on_a.get("/console/roles/").content.decode()
    assert "same.person@example.cn" in page
    assert page.count("finance@example.cn") == 1  # A's finance role, not B's organiser role
    # Revoking B's assignment id through A's host: not found.
    with in_schema(society_b):
        b_assignment = RoleAssignment.objects.get(role=Role.ORGANISER)
    with in_schema(society_a):
        assert not RoleAssignment.objects.filter(pk=b_assignment.pk, role=Role.ORGANISER).exists()


def test_api_token_of_a_is_unknown_on_b(world, society_a, society_b, in_schema):
    with in_schema(society_a):
        _token, key = issue_api_token(user=world["people"][Role.ADMIN], name="sync", actor=None)
    ok = client_for(society_a).get("/api/v1/society/", HTTP_AUTHORIZATION=f"Token {key}")
    assert ok.status_code == 200 and ok.json()["slug"] == "alpha"
    refused = client_for(society_b).get("/api/v1/society/", HTTP_AUTHORIZATION=f"Token {key}")
    assert refused.status_code == 401
    with in_schema(society_b):
        assert ApiToken.objects.count() == 0


def test_same_cache_key_is_separate_per_society(society_a, society_b, in_schema):
    with in_schema(society_a):
        cache.set("figure", "A-value")
    with in_schema(society_b):
        assert cache.get("figure") is None
        cache.set("figure", "B-value")
    with in_schema(society_a):
        assert cache.get("figure") == "A-value"


def test_unknown_host_is_404_never_the_platform(platform, society_a):
    response = client_for(None).get("/", HTTP_HOST="nosuch.localhost")
    assert response.status_code == 404
    assert "测试化学会" not in response.content.decode()
    assert connection.schema_name == "public"
