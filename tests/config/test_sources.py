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
        load_sources(path)
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


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("sources:\n  Bad_Id:\n    type: oai\n    url: https://x.org/oai\n", "Bad_Id"),
        ("sources:\n  a:\n    type: ftp\n    url: https://x.org/oai\n", "type"),
        ("sources:\n  a:\n    type: oai\n    url: ftp://x.org\n", "url"),
        ("sources:\n  a:\n    type: oai\n    url: https://x.org\n    portals: [mars]\n", "mars"),
        ("sources:\n  a:\n    type: oai\n    url: https://x.org\n    colour: blue\n", "colour"),
        ("sources: [1, 2]\n", "sources"),
        ("sources:\n  a: [unclosed\n", "YAML"),
    ],
)
def test_mistakes_name_the_file_source_and_field(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_unknown_source_lists_known_ones(tmp_path: Path) -> None:
    sources = load_sources(write(tmp_path, "sources:\n  a:\n    type: oai\n    url: https://x.org\n"))
    with pytest.raises(ConfigError, match="configured: a"):
        get_source(sources, "b")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_sources(tmp_path / "nope.yaml")
