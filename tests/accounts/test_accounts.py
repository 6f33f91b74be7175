import re

import pytest
from django.core import mail

from accounts.models import Affiliation
from tests.conftest import client_for


def test_signup_creates_one_account_and_logs_in(platform):
    client = client_for(None)
    response = client.post(
        "/accounts/signup/",
        {
            "name": "张三",
            "email": " Zhang.San@Example.CN ",
            "password1": "Qiu-2026-strong",
            "password2": "Qiu-2026-strong",
        },
    )
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert "张三" in page


def test_signup_errors_are_in_the_users_language(platform, make_user):
    make_user("taken@example.cn")
    client = client_for(None)
    data = {"name": "李四", "email": "taken@example.cn", "password1": "123", "password2": "456"}
    page = client.post("/accounts/signup/", data, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "An account with this e-mail address exists already." in page
    assert "The two passwords differ." in page
    client.cookies["django_language"] = "zh-hans"
    page = client.post("/accounts/signup/", data).content.decode()
    assert "此电子邮件地址已有账户" in page
    assert "两次输入的密码不一致" in page


def test_login_with_email_and_logout(platform, make_user):
    make_user("wang@example.cn", "王五", password="Right-pass-2026")
    client = client_for(None)
    bad = client.post(
        "/accounts/login/", {"username": "wang@example.cn", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "The e-mail address or password is not correct." in bad.content.decode()
    ok = client.post("/accounts/login/", {"username": "wang@example.cn", "password": "Right-pass-2026"})
    assert ok.status_code == 302
    assert "王五" in client.get("/").content.decode()
    client.post("/accounts/logout/")
    assert "王五" not in client.get("/").content.decode()


def test_password_reset_sends_a_working_link(platform, make_user):
    make_user("reset@example.cn", "赵六", password="Old-pass-2026")
    client = client_for(None)
    client.post("/accounts/password/reset/", {"email": "reset@example.cn"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://localhost(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    post_url = form_page.redirect_chain[-1][0]
    done = client.post(post_url, {"new_password1": "New-pass-2026x", "new_password2": "New-pass-2026x"})
    assert done.status_code == 302
    ok = client.post("/accounts/login/", {"username": "reset@example.cn", "password": "New-pass-2026x"})
    assert ok.status_code == 302


def test_language_switch_changes_the_page(platform):
    client = client_for(None)
    assert "Societies" not in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Societies" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "Societies" not in client.get("/").content.decode()


def test_hop_logs_into_a_society_once(society_a, make_user, in_schema):
    user = make_user("member@example.cn", "会员甲")
    Affiliation.objects.create(user=user, society=society_a)
    platform_client = client_for(None)
    platform_client.force_login(user)
    hop = platform_client.get("/accounts/hop/alpha/")
    assert hop.status_code == 302
    location = hop["Location"]
    assert location.startswith("http://alpha.localhost")
    path = location.split("alpha.localhost", 1)[1].lstrip(":0123456789")
    society_client = client_for(society_a)
    assert society_client.get(path).status_code == 302
    assert "会员甲" in society_client.get("/").content.decode()
    # The token is single-use.
    assert client_for(society_a).get(path).status_code == 404


def test_hop_refuses_a_society_the_person_does_not_belong_to(society_a, make_user):
    client = client_for(None)
    client.force_login(make_user("stranger@example.cn"))
    assert client.get("/accounts/hop/alpha/").status_code == 404


@pytest.mark.parametrize("path", ["/console/", "/console/roles/", "/console/api-tokens/", "/console/audit/"])
def test_console_needs_a_staff_role(society_a, make_user, path):
    client = client_for(society_a)
    assert client.get(path).status_code == 302
    client.force_login(make_user("nobody@example.cn"))
    assert client.get(path).status_code == 403
