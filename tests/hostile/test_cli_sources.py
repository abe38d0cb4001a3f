"""One bad entry of ``sources.yaml`` does not stop the other sources (issue 10, point 12).

Before, a typo in one entry (``type: oia``) made ``harvest`` of *any* source fail. Now the broken
entry is listed with its error by ``sources list``, any command naming it fails with one line
giving that error, commands naming the other sources work, and ``harvest --all`` / ``run --all``
do the good ones and exit 1 naming the bad one. A file that does not parse at all is still one
error for every command, in one line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer

ROOT = Path(__file__).resolve().parents[2]

TYPO = "  typo:\n    name: Dépôt mal tapé\n    type: oia\n    url: https://typo.example/oai\n"


@dataclass
class Space:
    env: dict[str, str]
    sources_yaml: Path

    def ren(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ren_index", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The command failed with exactly one line on stderr and nothing on stdout; that line."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def space(tmp_path: Path, ledger_url: Callable[..., str]) -> Iterator[Space]:
    records = demo_records()
    lom = [r for r in records if r.metadata_format == "lom"]
    dc = [r for r in records if r.metadata_format == "oai_dc"]
    with DemoOaiServer(records=lom, page_size=50) as one, DemoOaiServer(records=dc, page_size=50) as two:
        config = tmp_path / "config"
        shutil.copytree(ROOT / "config", config)
        sources_yaml = config / "sources.yaml"
        sources_yaml.write_text(
            "sources:\n"
            f"  demo-lom:\n    type: oai\n    url: {one.url}\n    metadata_prefix: lom\n"
            + TYPO
            + f"  demo-dc:\n    type: oai\n    url: {two.url}\n    defaults: {{language: fr}}\n",
            encoding="utf-8",
        )
        yield Space(
            {
                **os.environ,
                "COLUMNS": "400",
                "REN_DATA_DIR": str(tmp_path / "var"),
                "REN_DATABASE_URL": ledger_url("ren-index", folder=tmp_path / "var"),
                "REN_CONFIG_DIR": str(config),
                "REN_HARVEST_MAX_RETRIES": "0",
                "REN_INDEX_PREFIX": f"test-sources-{uuid.uuid4().hex[:8]}",
            },
            sources_yaml,
        )


def test_sources_list_shows_the_broken_entry_with_its_error(space: Space) -> None:
    listing = space.ren("sources", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    rows = {row["id"]: row for row in json.loads(listing.stdout)}
    assert list(rows) == ["demo-lom", "typo", "demo-dc"]  # the file's order
    assert rows["demo-lom"]["error"] is None and rows["demo-dc"]["error"] is None
    error = rows["typo"]["error"]
    assert str(space.sources_yaml) in error and "'typo'" in error and "type" in error
    assert (rows["typo"]["name"], rows["typo"]["type"]) == ("Dépôt mal tapé", "oia")

    table = space.ren("sources", "list")
    assert table.returncode == 0
    assert "invalide / broken" in table.stdout and error in table.stdout


def test_naming_the_broken_source_is_one_line_with_its_error(space: Space) -> None:
    error = next(r for r in json.loads(space.ren("sources", "list", "--json").stdout) if r["id"] == "typo")[
        "error"
    ]
    for command in (("harvest", "typo"), ("process", "typo"), ("run", "typo"), ("runs", "typo")):
        line = one_line(space.ren(*command))
        assert line == f"erreur / error: {error}", command


def test_the_other_sources_still_work(space: Space) -> None:
    harvested = space.ren("harvest", "demo-lom", "--json")
    assert harvested.returncode == 0, harvested.stderr
    assert json.loads(harvested.stdout)["status"] == "completed"
    processed = space.ren("process", "demo-lom", "--json")
    assert processed.returncode == 0, processed.stderr
    assert space.ren("runs", "demo-lom").returncode == 0


def test_harvest_all_does_the_good_ones_and_names_the_bad_one(space: Space) -> None:
    result = space.ren("harvest", "--all", "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["status"] == "failed"
    assert {sid: r["status"] for sid, r in document["sources"].items()} == {
        "demo-lom": "completed",
        "demo-dc": "completed",
    }
    assert list(document["errors"]) == ["typo"]
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("erreur / error:")]
    assert lines == [f"erreur / error: {document['errors']['typo']}"]

    words = space.ren("harvest", "--all")
    assert words.returncode == 1
    assert "demo-lom harvest: completed" in words.stderr and "demo-dc harvest: completed" in words.stderr
    assert words.stderr.strip().splitlines()[-1] == f"erreur / error: {document['errors']['typo']}"


def test_harvest_needs_a_source_or_all(space: Space) -> None:
    assert "--all" in one_line(space.ren("harvest"))
    assert "--all" in one_line(space.ren("harvest", "demo-lom", "--all"))


@pytest.mark.integration
def test_run_all_does_the_good_ones_and_names_the_bad_one(space: Space, opensearch_url: str) -> None:
    env = {**space.env, "REN_OPENSEARCH_URL": opensearch_url}
    try:
        result = Space(env, space.sources_yaml).ren("run", "--all", "--json")
        assert result.returncode == 1
        document = json.loads(result.stdout)
        assert set(document["sources"]) == {"demo-lom", "demo-dc"}
        assert document["status"] == "completed" and document["index"]["status"] == "completed"
        assert list(document["errors"]) == ["typo"]
        assert result.stderr.strip().splitlines() == [f"erreur / error: {document['errors']['typo']}"]
    finally:
        OpenSearch(hosts=[opensearch_url]).indices.delete(
            index=f"{env['REN_INDEX_PREFIX']}-*", ignore_unavailable=True
        )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("sources:\n  demo-lom:\n    type: oai\n   url: bad indent\n", "not valid YAML"),
        (None, "file not found"),
    ],
)
def test_a_spoilt_or_missing_file_is_one_line_for_every_command(
    space: Space, text: str | None, words: str
) -> None:
    if text is None:
        space.sources_yaml.unlink()
    else:
        space.sources_yaml.write_text(text, encoding="utf-8")
    for command in (("sources", "list"), ("harvest", "demo-lom"), ("harvest", "--all"), ("run", "--all")):
        line = one_line(space.ren(*command))
        assert line.startswith(f"erreur / error: {space.sources_yaml}: {words}"), command


def test_schedule_apply_waits_for_the_fix_and_list_names_it(space: Space) -> None:
    """Applying without the broken entry would read it as "no schedule" and drop its deployment."""
    env = {k: v for k, v in space.env.items() if k != "PREFECT_API_URL"}
    line = one_line(Space(env, space.sources_yaml).ren("schedule", "apply"))
    assert "'typo'" in line and "schedule apply" in line
    listing = space.ren("schedule", "list")
    assert listing.returncode == 0
    assert "'typo'" in listing.stderr
