"""/api/docs/ is Swagger UI from our own static files, linked from the API root."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings


def _references(html: str) -> list[str]:
    return re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', html) + re.findall(
        r'url\s*:\s*["\']([^"\']+)["\']', html
    )


def test_docs_reference_only_local_urls() -> None:
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    references = _references(html)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in references
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css" in references
    assert [r for r in references if not r.startswith("/")] == []
    assert "//" not in "".join(r.removeprefix("/") for r in references)
    assert "cdn" not in html.lower()


def test_swagger_ui_static_files_are_served(tmp_path: Path) -> None:
    static_root = tmp_path / "static"
    with override_settings(STATIC_ROOT=static_root):
        call_command("collectstatic", "--noinput", verbosity=0)
        page = Client().get("/api/docs/").content.decode()
        script = next(r for r in _references(page) if r.endswith("swagger-ui-bundle.js"))
        response = Client().get(script)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert b"SwaggerUIBundle" in body


@pytest.mark.django_db
def test_api_root_links_the_docs() -> None:
    body = Client().get("/v1/").json()
    assert body["links"]["docs"].endswith("/api/docs/")
    assert Client().get(body["links"]["docs"]).status_code == 200
