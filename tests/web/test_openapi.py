"""``/docs`` and ``/openapi.json`` document the portals' API only, and ``docs/openapi.json`` is current.

The schema is read from the running app (``/openapi.json``), as a portal developer's tools read
it; the committed file is compared with ``ren-index openapi``'s output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ren_index.cli.main import app as cli
from ren_index.cli.openapi import export_text

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "openapi.json"
EXPORT_COMMAND = "ren-index openapi --out docs/openapi.json"

PORTAL_PATHS = {
    "/api/search": {"get": "search"},
    "/api/resources/{resource_id}": {"get": "resources"},
    "/api/suggest": {"get": "suggest"},
    "/api/contributions": {"get": "contributions", "post": "contributions"},
    "/api/contributions/schema": {"get": "contributions"},
    "/api/contributions/{external_id}": {"get": "contributions", "delete": "contributions"},
    "/oai": {"get": "oai-pmh", "post": "oai-pmh"},
    "/healthz": {"get": "health"},
}
OAI_ARGUMENTS = ["verb", "metadataPrefix", "identifier", "from", "until", "set", "resumptionToken"]


@pytest.fixture
def schema(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_exactly_the_portal_paths_each_method_under_its_tag(schema: dict[str, Any]) -> None:
    found = {
        path: {method: operation["tags"] for method, operation in operations.items()}
        for path, operations in schema["paths"].items()
    }
    expected = {path: {m: [tag] for m, tag in methods.items()} for path, methods in PORTAL_PATHS.items()}
    assert found == expected


def test_no_page_of_the_review_ui_and_no_example(client: TestClient, schema: dict[str, Any]) -> None:
    text = json.dumps(schema)
    assert "/review" not in text
    assert "Placeholder" not in text and "Dashboard" not in text and "tableau de bord" not in text
    assert "/api/example" not in schema["paths"]  # a page: named in the description, not a path
    # …while those pages are still served: kept out of the schema, not out of the app
    assert client.get("/review/login").status_code == 200
    assert client.get("/api/example").status_code == 200


def test_tags_declared_in_order_with_descriptions(schema: dict[str, Any]) -> None:
    tags = schema["tags"]
    assert [tag["name"] for tag in tags] == [
        "search",
        "resources",
        "suggest",
        "contributions",
        "oai-pmh",
        "health",
    ]
    assert all(tag["description"] for tag in tags)


def test_oai_arguments_described_for_get_and_post(schema: dict[str, Any]) -> None:
    get = schema["paths"]["/oai"]["get"]
    query = {p["name"]: p for p in get["parameters"] if p["in"] == "query"}
    assert list(query) == OAI_ARGUMENTS
    assert all(len(p["description"]) > 20 for p in query.values())
    assert query["verb"]["required"] is True
    assert query["verb"]["schema"]["enum"] == [
        "Identify", "ListMetadataFormats", "ListSets", "ListIdentifiers", "ListRecords", "GetRecord",
    ]  # fmt: skip
    assert set(query["metadataPrefix"]["schema"]["enum"]) == {"oai_dc", "lom"}
    assert "text/xml" in get["responses"]["200"]["content"]
    form = schema["paths"]["/oai"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert list(form["schema"]["properties"]) == OAI_ARGUMENTS and form["schema"]["required"] == ["verb"]


def test_version_policy_and_caching_documented(schema: dict[str, Any]) -> None:
    info = schema["info"]
    assert info["version"] == "1"
    description = info["description"]
    # French first, then English: additive within a version, a breaking change = a new version
    assert description.index("changements sont seulement additifs") < description.index("additive only")
    assert "nouvelle version" in description and "new version" in description
    assert "`highlight`" in description and "<mark>" in description
    search = schema["paths"]["/api/search"]["get"]
    assert {"ETag", "Cache-Control", "API-Version"} <= set(search["responses"]["200"]["headers"])
    assert "304" in search["responses"]
    assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in search["parameters"])
    # a platform's own data is never a cacheable read
    contributions = schema["paths"]["/api/contributions"]["get"]
    assert "304" not in contributions["responses"]
    assert "API-Version" in contributions["responses"]["200"]["headers"]


def test_docs_page_reads_the_schema(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "/openapi.json" in page.text


def test_committed_schema_is_current() -> None:
    exported = export_text()
    assert COMMITTED.exists(), f"docs/openapi.json is missing: run `{EXPORT_COMMAND}`"
    committed = COMMITTED.read_text(encoding="utf-8")
    assert committed == exported, f"docs/openapi.json is stale: run `{EXPORT_COMMAND}` and commit it"


def test_export_is_what_the_app_serves_sorted_with_a_final_newline(schema: dict[str, Any]) -> None:
    text = export_text()
    assert text.endswith("}\n")
    assert json.loads(text) == schema
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_command_writes_the_file_or_stdout(tmp_path: Path) -> None:
    out = tmp_path / "docs" / "openapi.json"
    result = CliRunner().invoke(cli, ["openapi", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = out.read_text(encoding="utf-8")
    assert json.loads(written)["info"]["version"] == "1"
    printed = CliRunner().invoke(cli, ["openapi"])
    assert printed.exit_code == 0 and printed.stdout == written
