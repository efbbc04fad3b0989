"""The API against its own OpenAPI schema: requests generated from the schema (valid and
invalid ones) never get a 5xx, and every answer has a documented status, content type, headers
and body schema.

The schema is read from the app itself; the calls go to an app serving the real model from a
copy of the session's registry, with the admin token, so the write endpoints are exercised past
their authorization too. ``POST /v1/retrain`` is left out: a valid request starts a training
process. Examples are few and derandomized, so the run is short and the same on every machine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.app import create_app
from service.config import Settings

TOKEN = "schemathesis-admin-token"
MAX_EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
]

# The document does not depend on the model or the registry: built without either, it can be
# read when the tests are collected (before any fixture exists).
_OPENAPI = create_app(Settings(home=Path("no-registry-needed"))).openapi()
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20261128,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
        "phases": {"stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(_OPENAPI, config=CONFIG).exclude(
    method="POST", path="/v1/retrain"
)


@pytest.fixture(scope="module")
def api(model_home: Path, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The app over a copy of the session's registry: generated deletes and label writes land
    there, not in the registry other tests use."""
    home = tmp_path_factory.mktemp("schemathesis") / "home"
    shutil.copytree(model_home, home)
    return create_app(Settings(home=home, admin_token=TOKEN))


def test_the_schema_lists_every_operation_but_retrain() -> None:
    operations = {
        f"{method.upper()} {path}" for path, item in _OPENAPI["paths"].items() for method in item
    }
    assert "POST /v1/retrain" in operations
    assert "POST /v1/score" in operations and "POST /v1/labels" in operations
    tested = {result.ok().label for result in schema.get_all_operations()}
    assert tested == operations - {"POST /v1/retrain"}


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case: schemathesis.Case, api: FastAPI) -> None:
    case.call_and_validate(app=api, headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)
