from tenants.models import Society
from tests.conftest import client_for


def test_operator_creates_a_society_from_the_operator_page(platform, make_user):
    client = client_for(None)
    client.force_login(make_user("op@xuehui.cn", "运营", is_staff=True))
    data = {
        "slug": "omega", "name_zh": "欧米伽学会", "name_en": "Omega Society", "discipline_group": "工科",
        "admin_email": "boss@omega.cn", "admin_name": "老板",
    }
    response = client.post("/operator/societies/", data)
    assert response.status_code == 302
    society = Society.objects.get(slug="omega")
    assert (society.name_zh, society.discipline_group, society.schema_name) == ("欧米伽学会", "工科", "s_omega")
    again = client.post("/operator/societies/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 200
    assert "Society “omega” already exists." in again.content.decode()


def test_operator_pages_refuse_non_staff(platform, make_user):
    client = client_for(None)
    client.force_login(make_user("member@xuehui.cn"))
    response = client.get("/operator/societies/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/operator/societies/", {"slug": "evil"}).status_code == 302
    assert not Society.objects.filter(slug="evil").exists()
