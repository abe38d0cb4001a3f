"""``ren-index process --force`` after a change of a source's ``defaults:`` (issue 13, point 4).

A source's ``defaults:`` are not part of the rules' fingerprint, so after adding one a plain
``process`` finds nothing to do (``processed=0``) and the records keep their old issues. ``--force``
redoes every record of the source (or of every source), and a documentalist's decision on a record
whose source record did not change still stands.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer

ROOT = Path(__file__).resolve().parents[2]


def licence_missing(items: list[dict[str, object]]) -> set[str]:
    return {
        str(i["id"])
        for i in items
        if any(issue["code"] == "LICENCE_MISSING" for issue in i["issues"])  # type: ignore[attr-defined]
    }


def test_force_redoes_every_record_after_a_defaults_change(
    tmp_path: Path, ledger_url: Callable[..., str]
) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    records = [r for r in demo_records() if r.metadata_format == "lom"]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REN_")},
        "REN_DATA_DIR": str(tmp_path / "var"),
        "REN_DATABASE_URL": ledger_url("force", folder=tmp_path / "var"),
        "REN_CONFIG_DIR": str(config),
        "REN_OPENSEARCH_URL": "http://127.0.0.1:9",  # down: decisions are saved, published later
    }

    def ren(*args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "ren_index", *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result

    def sources_yaml(url: str, defaults: str = "") -> None:
        (config / "sources.yaml").write_text(
            f"sources:\n  demo-lom:\n    name: Démo\n    type: oai\n    url: {url}\n"
            f"    metadata_prefix: lom\n{defaults}",
            encoding="utf-8",
        )

    with DemoOaiServer(records=records, page_size=50) as server:
        sources_yaml(server.url)
        ren("harvest", "demo-lom")
        first = json.loads(ren("process", "demo-lom", "--json").stdout)
        assert first["counts"]["processed"] == len(records)
        everything = json.loads(ren("queue", "--status", "all", "--json", "--limit", "1000").stdout)
        silent = licence_missing(everything)
        assert len(silent) >= 2, "the demo catalogue must hold records without a licence"

        # A person rejects one of them; the others are the rules' to redo.
        kept = sorted(silent)[0]
        ren("review", "reject", kept, "--reason", "hors programme", "--as", "marie")

        sources_yaml(server.url, '    defaults:\n      licence: "CC BY 4.0"\n')
        plain = json.loads(ren("process", "demo-lom", "--json").stdout)
        assert plain["counts"]["processed"] == 0  # nothing changed as far as hashes can tell
        unchanged = json.loads(ren("queue", "--status", "all", "--json", "--limit", "1000").stdout)
        assert licence_missing(unchanged) == silent

        forced = json.loads(ren("process", "demo-lom", "--force", "--json").stdout)
        assert forced["counts"]["processed"] == len(records)
        after = {
            i["id"]: i
            for i in json.loads(ren("queue", "--status", "all", "--json", "--limit", "1000").stdout)
        }
        assert licence_missing(list(after.values())) == set()  # the default licence now applies
        assert after[kept]["status"] == "rejected"  # the person's decision stands
        assert after[kept]["decided_by"] == "marie"

        # `process --force` without a source redoes every source (and platform) too.
        every = json.loads(ren("process", "--force", "--json").stdout)
        assert [r["counts"]["processed"] for r in every] == [len(records)]
