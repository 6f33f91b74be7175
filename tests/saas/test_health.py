from tests.conftest import client_for, committed


@committed
def test_healthz_reports_database_redis_and_worker(platform, celery_worker_thread):
    response = client_for(None).get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body == {"status": "ok", "version": "0.1.0", "database": "ok", "redis": "ok", "celery": "ok"}


def test_healthz_is_not_served_on_a_society_host(society_a):
    assert client_for(society_a).get("/healthz").status_code == 404
