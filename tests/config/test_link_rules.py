"""Link health's configuration: ``validation.yaml`` ``links:`` and a source's ``links: {soft_404}``."""

from __future__ import annotations

from pathlib import Path

import pytest

from ren_index.config.rules import LinkRules, load_link_rules, load_portals, load_rules
from ren_index.config.sources import SOFT_404_MAX_PATTERNS, get_source, load_sources
from ren_index.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def rules_file(tmp_path: Path, text: str) -> Path:
    (tmp_path / "validation.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_defaults() -> None:
    rules = LinkRules()
    assert (rules.failures_before_broken, rules.min_span_hours) == (3, 72)
    assert (rules.recheck_days, rules.recheck_broken_days) == (7, 1)
    assert (rules.outage_min_links, rules.outage_share) == (5, 0.5)
    assert (rules.per_host, rules.max_redirects) == (2, 5)
    assert rules.concurrency >= rules.per_host and rules.timeout_s > 0 and rules.deadline_minutes > 0


def test_the_project_file_says_the_defaults_and_sends_broken_links_back_to_the_queue() -> None:
    rules = load_rules(ROOT / "config")
    assert rules.links == LinkRules()
    for portal in [None, *load_portals(ROOT / "config")]:
        assert rules.effect("LINK_BROKEN", "error", portal) == "review"
        assert rules.effect("URL_MOVED", "info", portal) == "approve"


def test_a_missing_section_or_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_link_rules(tmp_path) == LinkRules()  # no validation.yaml at all
    assert load_link_rules(rules_file(tmp_path, "language: {min_chars: 20}\n")) == LinkRules()
    assert load_link_rules(rules_file(tmp_path, "links: {per_host: 1}\n")).per_host == 1


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("links: {per_hosts: 3}\n", "links.per_hosts"),  # a misspelt key is refused, not ignored
        ("links: {soft_404: [introuvable]}\n", "links.soft_404"),  # that one is per source
        ("links: {schedule: '0 25 * * *'}\n", "links.schedule"),
        ("links: {schedule: 'every night'}\n", "links.schedule"),
        ("links: {concurrency: 10000}\n", "links.concurrency"),  # every bound has a ceiling
        ("links: {per_host: 0}\n", "links.per_host"),
        ("links: {timeout_s: 86400}\n", "links.timeout_s"),
        ("links: {outage_share: 1.5}\n", "links.outage_share"),
        ("links: {failures_before_broken: 0}\n", "links.failures_before_broken"),
        ("links: {max_redirects: -1}\n", "links.max_redirects"),
        ("links: [3, 72]\n", "links"),
    ],
)
def test_a_mistake_is_refused_naming_the_file_and_the_field(tmp_path: Path, body: str, where: str) -> None:
    folder = rules_file(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_link_rules(folder)
    message = str(caught.value)
    assert message.startswith(f"{folder / 'validation.yaml'}: ")
    assert f"{where}:" in message


def test_a_bad_cron_says_it_is_a_cron(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cron illisible / not a valid cron '0 25"):
        load_link_rules(rules_file(tmp_path, "links: {schedule: '0 25 * * *'}\n"))


def test_no_schedule_means_by_hand_only(tmp_path: Path) -> None:
    assert load_link_rules(rules_file(tmp_path, "links: {schedule: null}\n")).schedule is None


# -- a source's soft-404 phrases -------------------------------------------------------------------


def sources_file(tmp_path: Path, links: str) -> Path:
    (tmp_path / "portals.yaml").write_bytes((ROOT / "config" / "portals.yaml").read_bytes())
    path = tmp_path / "sources.yaml"
    path.write_text(
        f"sources:\n  partenaire:\n    type: oai\n    url: https://oai.example.org\n    links: {links}\n",
        encoding="utf-8",
    )
    return path


def test_soft_404_phrases_are_read_tidied(tmp_path: Path) -> None:
    path = sources_file(
        tmp_path, "{soft_404: ['  Ressource   retirée ', 'Document (archivé)', '.*+(a+)+$ ou pas']}"
    )
    source = get_source(load_sources(path), "partenaire")
    # Plain phrases: a regex-looking one is kept as text, never compiled.
    assert source.links.soft_404 == ["Ressource retirée", "Document (archivé)", ".*+(a+)+$ ou pas"]


def test_a_source_without_links_has_no_phrases(tmp_path: Path) -> None:
    path = sources_file(tmp_path, "{}")
    assert get_source(load_sources(path), "partenaire").links.soft_404 == []


@pytest.mark.parametrize(
    ("links", "said"),
    [
        ("{soft_404: ['404']}", "too short"),  # would match pages that are fine
        ("{soft_404: ['é !']}", "too short"),
        ("{soft_404: ['" + "introuvable " * 12 + "']}", "at most 120 characters"),
        (
            "{soft_404: ["
            + ", ".join(f"'page {i} absente'" for i in range(SOFT_404_MAX_PATTERNS + 1))
            + "]}",
            "at most",
        ),
        ("{soft_404: 'introuvable'}", "valid list"),
        ("{soft_40: [introuvable]}", "unknown key — vouliez-vous dire / did you mean 'soft_404' ?"),
        ("{soft_404: [introuvable], regex: true}", "links.regex: clé inconnue / unknown key"),
    ],
)
def test_bad_soft_404_rules_break_only_their_source(tmp_path: Path, links: str, said: str) -> None:
    path = sources_file(tmp_path, links)
    sources = load_sources(path)
    assert "partenaire" not in sources
    error = sources.broken["partenaire"].error
    assert error.startswith(f"{path}:2: source 'partenaire': links")
    assert said in error
    with pytest.raises(ConfigError, match="links"):
        get_source(sources, "partenaire")
