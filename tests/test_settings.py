import ast
import logging
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ren_index.errors import ConfigError
from ren_index.settings import SECRET_KEY_FILE, Settings, load_secret_key, load_settings


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


# -- the variables that used to be read beside Settings --------------------------------------

WEB_AND_OAI = (
    "REN_SECRET_KEY",
    "REN_COOKIE_SECURE",
    "REN_CORS_ORIGINS",
    "REN_LOGIN_FAILURE_DELAY",
    "REN_OAI_REPOSITORY_ID",
    "REN_OAI_REPOSITORY_NAME",
    "REN_OAI_ADMIN_EMAIL",
    "REN_OAI_PAGE_SIZE",
    "REN_OPENSEARCH_HOME",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No ``.env`` and none of the variables under test: each test sets what it needs."""
    monkeypatch.chdir(tmp_path)
    for var in WEB_AND_OAI:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_web_and_oai_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.secret_key is None
    assert settings.cookie_secure is False
    assert settings.cors_origins == []
    assert settings.login_failure_delay == 0.5
    assert settings.oai_repository_id == "ren-index.example"
    assert settings.oai_repository_name.startswith("ren-index")
    assert settings.oai_admin_email == "admin@example.org"
    assert settings.oai_page_size == 100
    assert settings.opensearch_home is None


def test_web_and_oai_from_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("REN_SECRET_KEY", "k" * 40)
    clean_env.setenv("REN_COOKIE_SECURE", " Yes ")
    clean_env.setenv("REN_CORS_ORIGINS", " https://a.example , https://b.example,, ")
    clean_env.setenv("REN_LOGIN_FAILURE_DELAY", "0")
    clean_env.setenv("REN_OAI_REPOSITORY_ID", "oai.campus.example")
    clean_env.setenv("REN_OAI_REPOSITORY_NAME", "Pavillon")
    clean_env.setenv("REN_OAI_ADMIN_EMAIL", "oai@pavillon.example")
    clean_env.setenv("REN_OAI_PAGE_SIZE", "7")
    clean_env.setenv("REN_OPENSEARCH_HOME", "/opt/ren/opensearch")
    settings = load_settings()
    assert settings.secret_key is not None and settings.secret_key.get_secret_value() == "k" * 40
    assert settings.cookie_secure is True
    assert settings.cors_origins == ["https://a.example", "https://b.example"]  # comma-separated, not JSON
    assert settings.login_failure_delay == 0
    assert (settings.oai_repository_id, settings.oai_repository_name) == ("oai.campus.example", "Pavillon")
    assert settings.oai_admin_email == "oai@pavillon.example"
    assert settings.oai_page_size == 7
    assert settings.opensearch_home == Path("/opt/ren/opensearch")


def test_cors_origins_from_dotenv_and_star(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("REN_CORS_ORIGINS=*\n", encoding="utf-8")
    assert load_settings().cors_origins == ["*"]


@pytest.mark.parametrize("var", WEB_AND_OAI)
def test_blank_values_mean_the_default(clean_env: pytest.MonkeyPatch, var: str) -> None:
    """``REN_X=`` (a copied .env.example line) leaves the default, as the old readers did."""
    clean_env.setenv(var, "")
    field = var.removeprefix("REN_").lower()
    default = Settings.model_fields[field].get_default(call_default_factory=True)
    assert getattr(load_settings(), field) == default


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("REN_OAI_PAGE_SIZE", "0"),
        ("REN_OAI_PAGE_SIZE", "-3"),
        ("REN_OAI_PAGE_SIZE", "1001"),
        ("REN_OAI_PAGE_SIZE", "many"),
        ("REN_LOGIN_FAILURE_DELAY", "-0.1"),
        ("REN_COOKIE_SECURE", "maybe"),
        ("REN_OAI_REPOSITORY_ID", "not a domain"),
        ("REN_OAI_REPOSITORY_ID", "localhost"),
        ("REN_OAI_ADMIN_EMAIL", "nobody"),
    ],
)
def test_bad_web_and_oai_values_name_the_variable(
    clean_env: pytest.MonkeyPatch, var: str, value: str
) -> None:
    clean_env.setenv(var, value)
    with pytest.raises(ConfigError, match=var):
        load_settings()


def test_secret_key_is_never_shown(clean_env: pytest.MonkeyPatch) -> None:
    secret = "a-very-private-key-of-more-than-thirty-two-chars"
    settings = Settings(secret_key=secret)  # type: ignore[arg-type]
    assert secret not in repr(settings) and secret not in str(settings)
    assert secret not in settings.model_dump_json()


def test_short_secret_key_is_warned_about(
    clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clean_env.setenv("REN_SECRET_KEY", "tiny-key-xyz")
    with caplog.at_level(logging.WARNING, logger="ren_index.settings"):
        load_settings()
    assert "shorter than 32" in caplog.text and "tiny-key-xyz" not in caplog.text


def test_opensearch_url_is_explicit_only_when_given(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.delenv("REN_OPENSEARCH_URL", raising=False)
    assert not load_settings().opensearch_url_is_explicit
    assert load_settings(opensearch_url="http://localhost:9200").opensearch_url_is_explicit
    clean_env.setenv("REN_OPENSEARCH_URL", "http://localhost:9200")  # even when it is the default
    assert load_settings().opensearch_url_is_explicit


def test_every_setting_is_documented_in_env_example() -> None:
    documented = set(re.findall(r"^#?(REN_[A-Z_]+)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.MULTILINE))
    assert {f"REN_{name.upper()}" for name in Settings.model_fields} <= documented


# -- one key for sessions and resumption tokens -----------------------------------------------


def test_secret_key_file_is_shared_through_the_data_dir(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = tmp_path / "var"
    first = load_secret_key(load_settings(data_dir=data))
    path = data / SECRET_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert load_secret_key(load_settings(data_dir=data)) == first  # another Settings, same folder
    assert load_secret_key(load_settings(data_dir=tmp_path / "other")) != first
    assert not list(data.glob(f".{SECRET_KEY_FILE}.*"))  # no temporary file left behind


def test_environment_key_wins(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data = tmp_path / "var"
    generated = load_secret_key(load_settings(data_dir=data))
    clean_env.setenv("REN_SECRET_KEY", "  from-the-environment-and-long-enough-for-it  ")
    assert load_secret_key(load_settings(data_dir=data)) == "from-the-environment-and-long-enough-for-it"
    assert (data / SECRET_KEY_FILE).read_text(encoding="utf-8").strip() == generated  # left alone


def test_empty_key_file_is_a_config_error(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / SECRET_KEY_FILE).write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="REN_SECRET_KEY"):
        load_secret_key(load_settings(data_dir=tmp_path))


def test_processes_racing_for_the_key_file_agree(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Several processes starting at once on an empty data dir end up with one key."""
    data = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k != "REN_SECRET_KEY"} | {"REN_DATA_DIR": str(data)}
    code = "from ren_index.settings import *; print(load_secret_key(load_settings()))"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", code], env=env, cwd=tmp_path, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    keys = {child.communicate(timeout=60)[0].strip() for child in children}
    assert all(child.returncode == 0 for child in children)
    assert keys == {(data / SECRET_KEY_FILE).read_text(encoding="utf-8").strip()}


# -- nothing else reads REN_* ------------------------------------------------------------------

SRC = Path(__file__).resolve().parents[1] / "src" / "ren_index"
ENV_EXAMPLE = SRC.parents[1] / ".env.example"


def _string_constants(tree: ast.AST) -> dict[str, str]:
    """Names bound to a string literal anywhere in ``tree`` (``HOME_ENV = "REN_..."``)."""
    return {
        target.id: node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AnnAssign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }


def _env_reads(source: str, known: dict[str, str] | None = None) -> list[str]:
    """``REN_*`` names a module reads from the environment, found in its syntax tree.

    Catches ``os.environ[...]``, ``os.environ.get/pop/setdefault(...)``, ``os.getenv(...)`` and
    ``... in os.environ``, through ``environ`` imported alone or a local alias (``env =
    os.environ``, a copy), with the name written out, in an f-string, or held by a constant of
    this module or of ``known`` (``other_module.SOME_ENV``); and a second ``BaseSettings`` with
    the ``REN_`` prefix.
    """
    tree = ast.parse(source)
    constants = (known or {}) | _string_constants(tree)

    def name_of(expr: ast.expr) -> str:
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return expr.value
        if isinstance(expr, ast.Name):
            return constants.get(expr.id, "")
        if isinstance(expr, ast.Attribute):
            return constants.get(expr.attr, "")
        if isinstance(expr, ast.JoinedStr) and expr.values:
            return name_of(expr.values[0])
        if isinstance(expr, ast.BinOp):
            return name_of(expr.left)
        return ""

    aliases = {"environ"}

    def is_environ(expr: ast.expr) -> bool:
        if isinstance(expr, ast.Call):  # os.environ.copy(), dict(os.environ)
            inner = expr.func.value if isinstance(expr.func, ast.Attribute) else None
            return (inner is not None and is_environ(inner)) or any(is_environ(a) for a in expr.args)
        return (isinstance(expr, ast.Attribute) and expr.attr == "environ") or (
            isinstance(expr, ast.Name) and expr.id in aliases
        )

    for node in ast.walk(tree):  # env = os.environ; env.get("REN_X")
        if isinstance(node, ast.Assign) and is_environ(node.value):
            aliases.update(t.id for t in node.targets if isinstance(t, ast.Name))

    keys: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and is_environ(node.value):
            keys.append(node.slice)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            getenv = (isinstance(func, ast.Attribute) and func.attr == "getenv") or (
                isinstance(func, ast.Name) and func.id == "getenv"
            )
            if getenv or (isinstance(func, ast.Attribute) and is_environ(func.value)):
                keys.append(node.args[0])
        elif isinstance(node, ast.Compare) and any(is_environ(c) for c in node.comparators):
            keys.append(node.left)
        if isinstance(node, ast.keyword) and node.arg == "env_prefix":
            keys.append(node.value)
    return [name for name in map(name_of, keys) if name.startswith("REN_")]


@pytest.mark.parametrize(
    "snippet",
    [
        'import os\nos.environ.get("REN_SECRET_KEY")',
        'import os\nos.environ["REN_SECRET_KEY"]',
        'import os\nx = "REN_COOKIE_SECURE" in os.environ',
        'from os import getenv\ngetenv("REN_X")',
        'import os\nHOME_ENV = "REN_OPENSEARCH_HOME"\nos.environ.get(HOME_ENV)',
        'import os\nname = "X"\nos.environ.get(f"REN_{name}")',
        'from os import environ\nenviron.setdefault("REN_Y", "1")',
        'import os\nenv = os.environ\nenv.get("REN_OAI_PAGE_SIZE")',
        'import os\nenv = dict(os.environ)\nenv["REN_Z"]',
        'class S(BaseSettings):\n    model_config = SettingsConfigDict(env_prefix="REN_")',
    ],
)
def test_the_guard_sees_environment_reads(snippet: str) -> None:
    assert _env_reads(snippet)


def test_the_guard_sees_a_constant_of_another_module() -> None:
    assert _env_reads("import os\nos.environ.get(security.SECRET_ENV)", {"SECRET_ENV": "REN_SECRET_KEY"})


def test_the_guard_lets_other_variables_through() -> None:
    assert not _env_reads(
        'import os\nos.environ.get("JAVA_HOME")\nos.environ.setdefault("PREFECT_HOME", "x")'
    )


def test_only_settings_reads_ren_variables() -> None:
    """Every ``REN_*`` variable is a typed, documented field of :class:`Settings`, read there only."""
    sources = {path: path.read_text(encoding="utf-8") for path in sorted(SRC.rglob("*.py"))}
    known = {
        name: value
        for text in sources.values()
        for name, value in _string_constants(ast.parse(text)).items()
        if value.startswith("REN_")
    }
    offenders = {
        str(path.relative_to(SRC)): names
        for path, text in sources.items()
        if path != SRC / "settings.py" and (names := _env_reads(text, known))
    }
    assert offenders == {}


def test_process_workers_default_to_every_core(clean_env: pytest.MonkeyPatch) -> None:
    """``ren-index process``, the Prefect flow and ``run`` read one rule: the setting, else every core."""
    clean_env.delenv("REN_PROCESS_WORKERS", raising=False)
    assert Settings().process_worker_count == (os.cpu_count() or 1)
    clean_env.setenv("REN_PROCESS_WORKERS", "3")
    assert Settings().process_worker_count == 3
    clean_env.setenv("REN_PROCESS_WORKERS", "0")
    with pytest.raises(ValueError, match="process_workers"):
        Settings()
