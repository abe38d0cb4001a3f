from pathlib import Path

import pytest

from ren_index.errors import ConfigError
from ren_index.settings import load_settings


def test_defaults_follow_design(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for var in ("REN_DATA_DIR", "REN_DATABASE_URL", "REN_OPENSEARCH_URL", "REN_INDEX_PREFIX"):
        monkeypatch.delenv(var, raising=False)
    settings = load_settings()
    assert settings.data_dir == Path("var")
    assert settings.db_url == "sqlite:///var/ren-index.db"
    assert settings.opensearch_url == "http://localhost:9200"
    assert settings.index_prefix == "ren"
    assert settings.opensearch_is_local


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REN_INDEX_PREFIX", raising=False)
    (tmp_path / ".env").write_text("REN_INDEX_PREFIX=essai\nREN_DATA_DIR=/srv/ren\n")
    monkeypatch.setenv("REN_DATA_DIR", "/tmp/other")
    monkeypatch.delenv("REN_DATABASE_URL", raising=False)
    settings = load_settings()
    assert settings.index_prefix == "essai"  # from .env
    assert settings.data_dir == Path("/tmp/other")  # environment wins over .env
    assert settings.db_url == "sqlite:////tmp/other/ren-index.db"


@pytest.mark.parametrize(
    ("var", "value", "named"),
    [
        ("REN_INDEX_PREFIX", "Bad Prefix", "REN_INDEX_PREFIX"),
        ("REN_HARVEST_TIMEOUT", "-1", "REN_HARVEST_TIMEOUT"),
        ("REN_HARVEST_MAX_RETRIES", "many", "REN_HARVEST_MAX_RETRIES"),
    ],
)
def test_bad_values_are_a_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, var: str, value: str, named: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=named):
        load_settings()


def test_remote_cluster_is_not_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REN_OPENSEARCH_URL", "https://search.example.org:9200")
    assert not load_settings().opensearch_is_local
