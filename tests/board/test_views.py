"""The society's board, its CSV and API; the operator's board and weights.  Each society sees
only its own figures, small cells are suppressed, and every access is audit-logged."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model

from board.fill import fill_society
from board.models import IndexSettings
from board.services import compute_index_scores
from common.models import AuditEntry, Role
from common.services import issue_api_token
from tenants.models import PlatformAuditEntry
from tenants.services import grant_role
from tests.conftest import client_for

User = get_user_model()


@pytest.fixture
def filled(seeded):
    society_a, society_b = seeded
    fill_society(society=society_a)
    fill_society(society=society_b)
    compute_index_scores()
    return society_a, society_b


def admin_of(society):
    return User.objects.get(email=f"admin@{society.slug}.example.cn")


def board_client(society):
    client = client_for(society)
    client.force_login(admin_of(society))
    return client


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_society_board_shows_own_figures_for_the_year(filled, in_schema):
    society_a, society_b = filled
    response = board_client(society_a).get("/board/", {"year": 2025})
    assert response.status_code == 200
    html = response.content.decode()
    assert "a1-202505" in html and "a2-202603" not in html  # 2026's meeting is not in 2025
    assert "b1-202505" not in html and "测试物理学会" not in html
    assert 'data-chart="data-members"' in html
    with in_schema(society_a):
        entry = AuditEntry.objects.get(action="board.view")
        assert (entry.actor_label, entry.after) == ("admin@alpha.example.cn", {"year": 2025, "category": ""})
    with in_schema(society_b):
        assert not AuditEntry.objects.filter(action__startswith="board.").exists()
    # Society B's administrator sees B's meeting, not A's.
    html_b = board_client(society_b).get("/board/", {"year": 2025}).content.decode()
    assert "b1-202505" in html_b and "a1-202505" not in html_b


def test_meetings_csv_with_small_cells_suppressed(filled):
    society_a, _b = filled
    client = board_client(society_a)
    response = client.get("/board/csv/meetings/", {"year": 2025})
    assert response["Content-Disposition"] == 'attachment; filename="alpha-meetings-2025.csv"'
    assert read_csv(response) == [
        ["会议", "已报名", "已确认", "已签到", "签到率（%）", "注册费收入（CNY）"],
        ["a1-202505", "9", "8", "6", "75.0", "6400.0"],
    ]
    # 2026: three confirmed registrations, all checked in: every count is below k = 5.
    assert read_csv(client.get("/board/csv/meetings/", {"year": 2026}))[1] == [
        "a2-202603", "<5", "<5", "<5", "", "2400.0"
    ]


def test_members_csv_suppresses_small_cells_and_filters_by_category(filled):
    society_a, _b = filled
    client = board_client(society_a)
    rows = read_csv(client.get("/board/csv/members/", {"year": 2025}))
    assert rows[0] == ["月份", "正常", "宽限期", "已失效"]
    assert rows[1] == ["2025-01", "7", "0", "0"]  # applicants of January are active by its end
    assert rows[2] == ["2025-02", "10", "0", "0"]
    assert rows[3] == ["2025-03", "8", "<5", "0"]
    assert rows[6] == ["2025-06", "8", "0", "<5"]
    students = read_csv(client.get("/board/csv/members/", {"year": 2025, "category": "student"}))
    assert students[0] == ["月份", "正常"]
    assert students[2] == ["2025-02", "<5"]


def test_board_roles(filled, make_user, in_schema):
    society_a, _b = filled
    finance, organiser = make_user("fin@alpha.example.cn"), make_user("org@alpha.example.cn")
    with in_schema(society_a):
        grant_role(user=finance, role=Role.FINANCE)
        grant_role(user=organiser, role=Role.ORGANISER)
    client = client_for(society_a)
    assert client.get("/board/").status_code == 302
    client.force_login(organiser)
    assert client.get("/board/").status_code == 403
    assert client.get("/board/csv/dues/").status_code == 403
    client.force_login(finance)
    assert client.get("/board/").status_code == 200
    assert client.get("/board/csv/nothing/").status_code == 404


def test_a_society_cannot_reach_another_society_figures(filled, in_schema):
    society_a, society_b = filled
    a_client = board_client(society_a)
    # A's session means nothing on B's host.
    on_b = client_for(society_b)
    on_b.cookies = a_client.cookies
    assert on_b.get("/board/").status_code == 302
    assert on_b.get("/board/csv/meetings/", {"year": 2025}).status_code == 302
    # A's API token works on A's host only.
    with in_schema(society_a):
        _token, key = issue_api_token(user=admin_of(society_a), name="board", actor=admin_of(society_a))
    response = client_for(society_a).get("/api/v1/board/", {"year": 2025}, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    meetings = next(t for t in response.json()["tables"] if t["key"] == "meetings")
    assert meetings["rows"] == [["a1-202505", 9, 8, 6, 75.0, 6400.0]]
    assert response.json()["index"]["group_size"] == 2
    denied = client_for(society_b).get("/api/v1/board/", HTTP_AUTHORIZATION=f"Token {key}")
    assert denied.status_code == 401
    # The operator's pages and API are not for a society's administrator.
    platform = client_for(None)
    platform.force_login(admin_of(society_a))
    assert platform.get("/board/").status_code == 302
    assert platform.get("/board/api/societies/").status_code == 403


def test_society_sees_own_rank_and_percentile_only(filled):
    society_a, society_b = filled
    html = board_client(society_a).get("/board/", {"year": 2025}).content.decode()
    assert 'data-testid="own-score"' in html
    assert "/ 2</strong>" in html  # rank in a group of two (both test societies are 理科)
    assert "beta" not in html


@pytest.fixture
def operator(make_user):
    return make_user("office@cast.example.cn", "学会部", is_staff=True)


def test_operator_board_all_societies_filter_and_weights(filled, operator):
    society_a, society_b = filled
    client = client_for(None)
    client.force_login(operator)
    html = client.get("/board/", {"year": 2025}).content.decode()
    assert html.count('data-testid="ranking-row"') == 2
    assert "测试化学会" in html and "测试物理学会" in html
    engineering = client.get("/board/", {"year": 2025, "group": "工科"}).content.decode()
    assert engineering.count('data-testid="ranking-row"') == 0
    rows = read_csv(client.get("/board/csv/", {"year": 2025}))
    assert [r[0] for r in rows[1:]] == ["测试化学会", "测试物理学会"]
    # Weight only members (A: 8 in good standing at the end of 2025, B: <5) → A first; then only
    # revenue in CNY (A 1,300, B 999) → A first again; then only "growth" (both 0) → tie.
    response = client.post("/board/weights/?year=2025", {"method": "zscore", **{f"w_{n}": 0 for n in (
        "members", "growth", "revenue", "meetings", "registrations", "submissions")}, "w_growth": 1})
    assert response.status_code == 302
    rows = read_csv(client.get("/board/csv/", {"year": 2025}))
    assert [(r[0], r[-2]) for r in rows[1:]] == [("测试化学会", "1"), ("测试物理学会", "1")]
    assert IndexSettings.objects.get().method == "zscore"
    entry = PlatformAuditEntry.objects.get(action="board.update_index_settings")
    assert entry.after["weights"]["growth"] == 1.0
    assert PlatformAuditEntry.objects.filter(action="board.operator_view").count() == 2
    api = client.get("/board/api/societies/", {"year": 2025}).json()
    assert [(s["slug"], s["members"]) for s in api["societies"]] == [("alpha", 8), ("beta", None)]


def test_operator_weights_rejects_bad_input(filled, operator):
    client = client_for(None)
    client.force_login(operator)
    zero = {f"w_{n}": 0 for n in ("members", "growth", "revenue", "meetings", "registrations", "submissions")}
    response = client.post("/board/weights/", {"method": "minmax", **zero})
    assert response.status_code == 400
    assert "请至少为一个指标设置大于 0 的权重。" in response.content.decode()
    response = client.post("/board/weights/", {"method": "minmax", **zero, "w_members": "abc"})
    assert response.status_code == 400
    assert "请输入一个数字。" in response.content.decode()
    assert IndexSettings.objects.get().method == "minmax"
    assert not PlatformAuditEntry.objects.filter(action="board.update_index_settings").exists()


def test_operator_board_query_count_does_not_grow_with_societies(filled, operator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenants.services import create_society

    client = client_for(None)
    client.force_login(operator)
    client.get("/board/", {"year": 2025})
    with CaptureQueriesContext(connection) as two:
        client.get("/board/", {"year": 2025})
    create_society(slug="gamma", name_zh="测试生物学会", admin_email="admin@gamma.example.cn")
    with CaptureQueriesContext(connection) as three:
        html = client.get("/board/", {"year": 2025}).content.decode()
    assert html.count('data-testid="ranking-row"') == 3
    assert len(three) == len(two)


def test_society_board_in_english(filled):
    society_a, _b = filled
    client = board_client(society_a)
    client.cookies["django_language"] = "en"
    html = client.get("/board/", {"year": 2025}).content.decode()
    assert "<h1>Data board</h1>" in html
    assert "Members by status (end of month)" in html
    rows = read_csv(client.get("/board/csv/member_flows/", {"year": 2025}))
    assert rows[0] == ["Month", "New members", "Renewals", "Lapses", "Renewal rate (%)"]
    assert rows[1] == ["2025-01", "7", "0", "0", ""]
