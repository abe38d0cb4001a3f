"""docker-compose.yml cannot run here (no Docker engine): check it parses and names the stack."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_names_the_production_services() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    for name in (
        "opensearch",
        "opensearch-dashboards",
        "postgres",
        "prefect-server",
        "worker",
        "web",
    ):
        assert name in services, name
    assert services["opensearch"]["image"].startswith("opensearchproject/opensearch:2.19")
    for name in ("opensearch", "postgres", "prefect-server", "web"):
        assert "healthcheck" in services[name], f"{name} has no health check"
    assert {"opensearch-data", "postgres-data"} <= set(compose["volumes"])
    web_env = services["web"]["environment"]
    assert web_env["REN_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert web_env["REN_OPENSEARCH_URL"] == "http://opensearch:9200"
