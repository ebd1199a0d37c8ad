"""``/healthz`` is public: it names the dependency that failed, and only the log says how."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from config.celery import app as celery_app

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: connecting is refused at once.
UNREACHABLE_BROKER = "redis://:hunter2@127.0.0.1:1/0"


@pytest.fixture
def broker_down() -> Iterator[None]:
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = UNREACHABLE_BROKER
    try:
        yield
    finally:
        celery_app.conf.broker_url = previous


def test_healthz_names_the_failed_dependency_without_raw_error_text(
    broker_down: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("ERROR", logger="config.health"):
        response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert set(body) == {"status", "checks", "duration_ms"}
    assert (body["status"], body["checks"]) == (
        "unavailable",
        {"database": "ok", "broker": "unavailable"},
    )
    for raw in ("111", "refused", "127.0.0.1", "Error", "hunter2"):
        assert raw not in response.content.decode()
    # Operators read the cause in the log.
    logged = [r for r in caplog.records if r.name == "config.health"]
    assert [r.getMessage() for r in logged] == ["health check failed: broker"]
    assert logged[0].exc_info is not None
