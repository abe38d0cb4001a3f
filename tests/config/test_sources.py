"""``sources.yaml``: each entry on its own (a broken one waits aside with its error), the file as
a whole only for what spoils all of it."""

from pathlib import Path

import pytest

from ren_index.config.sources import get_source, load_sources
from ren_index.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    """``sources.yaml`` in a config folder of its own, beside the project's ``portals.yaml``."""
    (tmp_path / "portals.yaml").write_bytes((ROOT / "config" / "portals.yaml").read_bytes())
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_portals_are_those_of_portals_yaml(tmp_path: Path) -> None:
    """A portal added to portals.yaml is a portal a source may name; one removed no longer is."""
    body = "sources:\n  a:\n    type: oai\n    url: https://x.org\n    portals: [campus]\n"
    path = write(tmp_path, body)
    with pytest.raises(ConfigError, match="campus"):
        get_source(load_sources(path), "a")
    portals = (tmp_path / "portals.yaml").read_text(encoding="utf-8")
    portals += (
        "  campus:\n    name: Campus numérique\n    name_en: Digital Campus\n"
        "    levels_collection: https://w3id.org/ren-index/vocab/niveaux/portail-pavillon\n"
    )
    (tmp_path / "portals.yaml").write_text(portals, encoding="utf-8")
    assert load_sources(path)["a"].portals == ["campus"]


def test_bundled_sources_file_is_valid() -> None:
    sources = load_sources(ROOT / "config" / "sources.yaml")
    assert {"demo-lom", "demo-dc"} <= set(sources)
    assert sources["demo-lom"].metadata_prefix == "lom"
    assert sources["demo-dc"].defaults == {"language": "fr"}


def test_entry_fields_and_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
sources:
  eduq:
    name: EDUQ.info
    type: oai
    url: https://example.org/oai
    metadata_prefix: oai_lom
    sets: [cegep]
    portals: [pavillon]
    review: always
""",
    )
    src = load_sources(path)["eduq"]
    assert (src.id, src.name, src.metadata_prefix, src.sets) == (
        "eduq",
        "EDUQ.info",
        "oai_lom",
        ["cegep"],
    )
    assert src.portals == ["pavillon"] and src.review == "always"


GOOD = "  good:\n    type: oai\n    url: https://good.example/oai\n"


@pytest.mark.parametrize(
    ("entry", "source_id", "message"),
    [
        ("  Bad_Id:\n    type: oai\n    url: https://x.org/oai\n", "Bad_Id", "a-z"),
        ("  a:\n    type: oia\n    url: https://x.org/oai\n", "a", "type"),
        ("  a:\n    type: oai\n    url: ftp://x.org\n", "a", "url"),
        ("  a:\n    type: oai\n    url: https://x.org\n    portals: [mars]\n", "a", "mars"),
        ("  a:\n    type: oai\n    url: https://x.org\n    colour: blue\n", "a", "colour"),
        ("  a: just words\n", "a", "mapping"),
        ("  a:\n    url: https://x.org\n", "a", "type"),
    ],
)
def test_a_broken_entry_is_kept_aside_with_file_source_and_field(
    tmp_path: Path, entry: str, source_id: str, message: str
) -> None:
    """One typo does not stop the other sources: they load; naming the broken one gives its error."""
    path = write(tmp_path, "sources:\n" + GOOD + entry)
    sources = load_sources(path)
    assert list(sources) == ["good"]
    assert sources.order == ["good", source_id]
    error = sources.broken[source_id].error
    assert message in error and str(path) in error and repr(source_id) in error
    assert "\n" not in error  # one line, whatever pydantic says
    with pytest.raises(ConfigError) as err:
        get_source(sources, source_id)
    assert str(err.value) == error
    assert get_source(sources, "good").url == "https://good.example/oai"


def test_a_broken_entry_keeps_what_it_says_for_the_listing(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  a:\n    name: Mon dépôt\n    type: oia\n    url: https://x.org/oai\n")
    broken = load_sources(path).broken["a"]
    assert (broken.name, broken.type, broken.url) == ("Mon dépôt", "oia", "https://x.org/oai")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("sources: [1, 2]\n", "sources"),
        ("sources:\n  a: [unclosed\n", "YAML"),
        ("sources:\n  a:\n    type: oai\n   url: bad indent\n", "YAML"),
    ],
)
def test_a_spoilt_file_is_one_error_naming_it(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_source_lists_known_ones(tmp_path: Path) -> None:
    sources = load_sources(write(tmp_path, "sources:\n  a:\n    type: oai\n    url: https://x.org\n"))
    with pytest.raises(ConfigError, match="configured: a"):
        get_source(sources, "b")


def test_unknown_source_lists_broken_ones_too(tmp_path: Path) -> None:
    sources = load_sources(write(tmp_path, "sources:\n  a:\n    type: oia\n    url: https://x.org\n"))
    with pytest.raises(ConfigError, match=r"configured: a \(invalide / broken\)"):
        get_source(sources, "b")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_sources(tmp_path / "nope.yaml")


def test_a_lom_files_source_has_a_path_and_no_url(tmp_path: Path) -> None:
    sources = load_sources(
        write(
            tmp_path,
            """
sources:
  profweb:
    type: lom-files
    path: dumps/profweb.zip
  no-path:
    type: lom-files
  with-url:
    type: lom-files
    path: dumps/x
    url: https://example.org/oai
  oai-without-url:
    type: oai
  oai-with-path:
    type: oai
    url: https://example.org/oai
    path: dumps/x
  pushed:
    type: contributions
""",
        )
    )
    assert sources["profweb"].path == "dumps/profweb.zip" and sources["profweb"].url == ""
    assert "path: requis pour lom-files" in sources.broken["no-path"].error
    assert "lom-files takes a path, not a url" in sources.broken["with-url"].error
    assert "url: requis pour le type oai" in sources.broken["oai-without-url"].error
    assert "only for type lom-files" in sources.broken["oai-with-path"].error
    assert "ren-index platforms add" in sources.broken["pushed"].error


def test_errors_name_the_line_and_suggest_the_known_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """sources:
  good:
    type: oai
    url: https://example.org/oai
  camel:
    type: oai
    url: https://example.org/oai
    metadataPrefix: lom
  typo:
    type: oai
    url: https://example.org/oai
    shedule: "0 3 * * *"
""",
    )
    sources = load_sources(path)
    assert sources.broken["camel"].error.startswith(f"{path}:5: source 'camel': metadataPrefix: clé inconnue")
    assert "did you mean 'metadata_prefix' ?" in sources.broken["camel"].error
    assert sources.broken["typo"].error.startswith(f"{path}:9: source 'typo'")
    assert "did you mean 'schedule' ?" in sources.broken["typo"].error


def test_defaults_take_known_keys_only(tmp_path: Path) -> None:
    sources = load_sources(
        write(
            tmp_path,
            """sources:
  ok:
    type: oai
    url: https://example.org/oai
    defaults: {language: fr, level: Secondaire, licence: CC BY 4.0, resource_type: Exercice}
  bad:
    type: oai
    url: https://example.org/oai
    defaults: {licence: CC BY 4.0, langue: fr, levels: Primaire}
""",
        )
    )
    assert sources["ok"].defaults["level"] == "Secondaire"
    error = sources.broken["bad"].error
    assert "unknown key 'langue'" in error and "did you mean 'language' ?" in error


def test_a_bad_cron_is_refused_when_the_file_is_read(tmp_path: Path) -> None:
    sources = load_sources(
        write(
            tmp_path,
            """sources:
  nightly:
    type: oai
    url: https://example.org/oai
    schedule: "0 3 * * *"
  broken-cron:
    type: oai
    url: https://example.org/oai
    schedule: "0 25 * * *"
""",
        )
    )
    assert sources["nightly"].schedule == "0 3 * * *"
    assert (
        "schedule: Value error, cron illisible / not a valid cron '0 25 * * *'"
        in sources.broken["broken-cron"].error
    )
