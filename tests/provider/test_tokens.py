"""Resumption tokens are signed with the sessions' key, so every process of one deployment agrees.

The key is ``REN_SECRET_KEY`` or the data directory's key file (``load_secret_key``): a token
issued by one process (a web worker, a restarted ``serve``) must verify in another that shares
the data directory, and nowhere else.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ren_index.provider.repository import ProviderConfig
from ren_index.provider.tokens import ListState, TokenError, decode_token, encode_token
from ren_index.settings import load_secret_key, load_settings

STATE = ListState(
    verb="ListRecords",
    prefix="lom",
    set_spec="portal:pavillon",
    lower=None,
    upper=datetime(2026, 1, 1, tzinfo=UTC),
    cursor=100,
    after=(datetime(2025, 12, 31, tzinfo=UTC), "0123456789abcdef0123456789abcdef01234567"),
)

ISSUE = """
from datetime import UTC, datetime
from ren_index.provider.repository import ProviderConfig
from ren_index.provider.tokens import ListState, encode_token
from ren_index.settings import load_settings
state = ListState(verb="ListRecords", prefix="lom", set_spec="portal:pavillon", lower=None,
                  upper=datetime(2026, 1, 1, tzinfo=UTC), cursor=100,
                  after=(datetime(2025, 12, 31, tzinfo=UTC), "0123456789abcdef0123456789abcdef01234567"))
print(encode_token(state, ProviderConfig.from_settings(load_settings()).secret))
"""


def issued_elsewhere(data_dir: Path, secret_key: str | None = None) -> str:
    """A token issued by another Python process whose settings name ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if k != "REN_SECRET_KEY"} | {"REN_DATA_DIR": str(data_dir)}
    if secret_key is not None:
        env["REN_SECRET_KEY"] = secret_key
    done = subprocess.run(
        [sys.executable, "-c", ISSUE],
        env=env,
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(autouse=True)
def no_secret_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("REN_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env


def test_a_token_from_another_process_verifies_here(tmp_path: Path) -> None:
    data = tmp_path / "var"
    token = issued_elsewhere(data)  # that process made the key file
    config = ProviderConfig.from_settings(load_settings(data_dir=data))
    assert decode_token(token, "ListRecords", config.secret) == STATE
    assert config.secret == load_secret_key(load_settings(data_dir=data)).encode("utf-8")  # the sessions' key


def test_a_token_from_another_deployment_is_refused(tmp_path: Path) -> None:
    token = issued_elsewhere(tmp_path / "var")
    other = ProviderConfig.from_settings(load_settings(data_dir=tmp_path / "elsewhere"))
    with pytest.raises(TokenError):
        decode_token(token, "ListRecords", other.secret)


def test_the_environment_key_signs_when_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "a-shared-key-for-every-machine-of-the-deployment"
    token = issued_elsewhere(tmp_path / "one", secret_key=key)
    monkeypatch.setenv("REN_SECRET_KEY", key)
    config = ProviderConfig.from_settings(load_settings(data_dir=tmp_path / "two"))  # another data dir
    assert decode_token(token, "ListRecords", config.secret) == STATE
    assert not (tmp_path / "two").exists()  # no key file made when the key is given


def test_a_token_verifies_only_for_its_verb(tmp_path: Path) -> None:
    secret = ProviderConfig.from_settings(load_settings(data_dir=tmp_path)).secret
    token = encode_token(STATE, secret)
    with pytest.raises(TokenError):
        decode_token(token, "ListIdentifiers", secret)
    with pytest.raises(TokenError):
        decode_token(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], "ListRecords", secret)
