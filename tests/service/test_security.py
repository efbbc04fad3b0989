"""Write endpoints need the admin bearer token: 403 when none is configured, 401 when it is
missing or wrong, and the read-only API works either way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service import security
from service.app import create_app
from service.config import Settings
from service.labels import LabelStore

TOKEN = "correct-horse-battery-staple"
EXAMPLE: dict[str, Any] = {
    "id": "1", "text": "Officials met on Monday.", "level": "sentence", "label": {"biased": False},
}
# Every write (or private) endpoint of the label API, as (method, path, params, body).
PROTECTED: list[tuple[str, str, dict[str, str], bytes]] = [
    ("POST", "/v1/labels", {}, b'{"text": "A.", "level": "sentence", "label": {"biased": false}}'),
    ("POST", "/v1/labels/import", {"format": "native"}, b""),
    ("GET", "/v1/labels/suggest", {}, b""),
]
OPEN = ["/v1/labels", "/v1/labels/stats", "/healthz"]


def client_for(home: Path, token: str | None) -> TestClient:
    return TestClient(create_app(Settings(home=home, admin_token=token)))


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[TestClient]:
    with client_for(tmp_path, TOKEN) as client:
        yield client


@pytest.fixture
def unconfigured(tmp_path: Path) -> Iterator[TestClient]:
    with client_for(tmp_path, None) as client:
        yield client


def code_of(response: Any) -> str:
    code: str = response.json()["error"]["code"]
    return code


@pytest.mark.parametrize(("method", "path", "params", "body"), PROTECTED)
@pytest.mark.parametrize("token", [None, ""])
def test_without_a_configured_token_writes_are_403(
    tmp_path: Path, token: str | None, method: str, path: str, params: dict[str, str], body: bytes
) -> None:
    with client_for(tmp_path, token) as client:
        response = client.request(
            method, path, params=params, content=body,
            headers={"Authorization": "Bearer ", "Content-Type": "application/json"},
        )
    assert response.status_code == 403
    assert code_of(response) == "forbidden"
    assert "SLANT_ADMIN_TOKEN" in response.json()["error"]["message"]
    assert LabelStore.open(tmp_path).count() == 0


@pytest.mark.parametrize(("method", "path", "params", "body"), PROTECTED)
@pytest.mark.parametrize(
    "authorization",
    [None, "", f"Basic {TOKEN}", "Bearer", "Bearer wrong", f"Bearer {TOKEN}x", f"{TOKEN}",
     f"Bearer {TOKEN[:-1]}"],
)
def test_a_missing_or_wrong_token_is_401(
    locked: TestClient, tmp_path: Path, authorization: str | None, method: str, path: str,
    params: dict[str, str], body: bytes,
) -> None:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = locked.request(method, path, params=params, content=body, headers=headers)
    assert response.status_code == 401
    assert code_of(response) == "unauthorized"
    assert LabelStore.open(tmp_path).count() == 0


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_right_token_writes(locked: TestClient, tmp_path: Path, scheme: str) -> None:
    response = locked.post(
        "/v1/labels", json=EXAMPLE, headers={"Authorization": f"{scheme} {TOKEN}"}
    )
    assert response.status_code == 201, response.text
    assert response.json()[0]["created"] is True
    assert LabelStore.open(tmp_path).count() == 1
    suggest = locked.get("/v1/labels/suggest", headers={"Authorization": f"{scheme} {TOKEN}"})
    assert suggest.status_code == 200


@pytest.mark.parametrize("path", OPEN)
def test_reads_need_no_token(locked: TestClient, unconfigured: TestClient, path: str) -> None:
    assert locked.get(path).status_code == 200
    assert unconfigured.get(path).status_code == 200


def test_the_token_is_compared_in_constant_time(
    locked: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = security.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(security.hmac, "compare_digest", spy)
    locked.post("/v1/labels", json=EXAMPLE, headers={"Authorization": "Bearer guess"})
    assert compared == [(b"guess", TOKEN.encode())]
