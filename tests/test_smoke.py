import pytest
from django.test import Client


@pytest.mark.django_db
def test_healthz_reports_database_and_broker() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_api_root_links_health() -> None:
    body = Client().get("/v1/").json()
    assert body["service"] == "payouts"
    assert body["links"]["health"].endswith("/healthz")
