"""GET /healthz, GET /v1/models/active and the OpenAPI documentation."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from service.registry import Registry
from tests.service.conftest import make_client


def test_healthz_names_the_loaded_model(client: TestClient, model_home: Path) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "model": Registry(model_home).active_version(),
        "detail": None,
    }


def test_healthz_without_a_model_is_degraded_but_alive(empty_client: TestClient) -> None:
    response = empty_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["model"]) == ("degraded", None)
    assert "no active model" in body["detail"]


def test_healthz_reports_a_refused_model(tmp_path: Path, fake_home: Path) -> None:
    registry = Registry(tmp_path)
    version = registry.save_model(Registry(fake_home).load_active()[0], [])
    registry.activate(version)
    with (registry.version_dir(version) / "model.joblib").open("ab") as artifact:
        artifact.write(b"tampered")
    with make_client(tmp_path) as client:
        body = client.get("/healthz").json()
        assert (body["status"], body["model"]) == ("degraded", None)
        assert "sha256" in body["detail"]
        assert client.post("/v1/score", json={"text": "Text."}).status_code == 503


def test_active_model_is_the_manifest(client: TestClient, model_home: Path) -> None:
    registry = Registry(model_home)
    manifest = registry.read_manifest(registry.active_version() or "")
    response = client.get("/v1/models/active")
    assert response.status_code == 200
    assert response.json() == manifest.model_dump(mode="json")
    assert response.json()["artifact_sha256"] == manifest.artifact_sha256


def test_active_model_without_a_model_is_503(empty_client: TestClient) -> None:
    response = empty_client.get("/v1/models/active")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "model_not_loaded"


def test_openapi_documents_the_score_contract(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/v1/score"]["post"]
    assert set(operation["requestBody"]["content"]) == {
        "application/json",
        "text/plain",
        "text/html",
    }
    request_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert set(request_schema["properties"]) == {"text", "format", "explain_sentences"}
    assert request_schema["additionalProperties"] is False
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/ScoreResponse"}
    assert {"400", "413", "415", "422", "503"} <= set(operation["responses"])
    components = schema["components"]["schemas"]
    assert {"Cue", "Attribution", "ScoreExplanation", "ErrorResponse"} <= set(components)
    assert components["Cue"]["properties"]["voice"]["enum"] == ["writer", "reported", "quoted"]
