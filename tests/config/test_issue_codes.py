"""The catalogue of issue codes is whole: every code the package emits, no code it does not.

The codes are found where they are written, in the syntax tree of every module of
``src/ren_index`` (the catalogue itself aside: its rows would count as emissions). A code is
*emitted* where a string shaped like a code (``TITLE_MISSING``) is given to a parameter named
``code``, by keyword (``Issue(code="X", …)``, any ``code="X"``) or by position, the position being
read from the callable's own definition in the package: a function (``_issue("X", …)``), or a class
whose fields are annotated in order (``Issue``, a dataclass such as ``_Default(…, "X", …)``).
Module-level constants (``NO_PORTAL = Issue(…)``) are calls like any other. The severity given
beside the code, when it is a literal, is read the same way. A planted module proves the walker
finds each of these forms — and only them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

import ren_index
from ren_index.config.issue_codes import ISSUE_CODES, canonical, known_codes, label

PACKAGE = Path(ren_index.__file__).resolve().parent
ROOT = PACKAGE.parents[1]
CATALOGUE = PACKAGE / "config" / "issue_codes.py"
CODE_SHAPE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\Z")
DOCS_ROW = re.compile(r"^\| `(?P<code>[A-Z0-9_]+)` \| (?P<severity>\w+) \| .* \| (?P<action>[^|]*) \|$")
WATCHED = ("code", "severity")

Positions = dict[str, dict[str, int]]
"""Callable name → {``code`` / ``severity`` → position of that parameter}."""


@dataclass(frozen=True)
class Emission:
    code: str
    where: str
    severity: str | None


def _positions(tree: ast.Module) -> Positions:
    """Where ``code`` and ``severity`` sit among the positional parameters of each callable defined."""
    found: Positions = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
            names = names[1:] if names[:1] in (["self"], ["cls"]) else names
        elif isinstance(node, ast.ClassDef):  # dataclasses and pydantic models: fields in order
            names = [
                s.target.id
                for s in node.body
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
            ]
        else:
            continue
        watched = {p: names.index(p) for p in WATCHED if p in names}
        if "code" in watched:
            found[node.name] = watched
    return found


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def _argument(call: ast.Call, param: str, positions: Mapping[str, int]) -> str | None:
    """The literal string given to ``param``, by keyword or at its position; ``None`` otherwise."""
    value: ast.expr | None = next((k.value for k in call.keywords if k.arg == param), None)
    index = positions.get(param)
    if value is None and index is not None and index < len(call.args):
        value = call.args[index]
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    return None


def emissions(modules: Mapping[str, str]) -> list[Emission]:
    """Every issue code emitted in these modules (name → source text).

    A callable is resolved in its own module first, then among every module's definitions
    (``Issue`` is defined in ``model.py`` and called everywhere).
    """
    trees = {name: ast.parse(text, name) for name, text in modules.items()}
    local = {name: _positions(tree) for name, tree in trees.items()}
    everywhere: Positions = {k: v for found in local.values() for k, v in found.items()}
    out: list[Emission] = []
    for name, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            callee = _callee(node) or ""
            positions = local[name].get(callee) or everywhere.get(callee) or {}
            code = _argument(node, "code", positions)
            if code is not None and CODE_SHAPE.match(code):
                out.append(Emission(code, f"{name}:{node.lineno}", _argument(node, "severity", positions)))
    return out


def package_modules() -> dict[str, str]:
    """Every module of the package but the catalogue, by path relative to ``src/``."""
    return {
        str(path.relative_to(PACKAGE.parent)): path.read_text(encoding="utf-8")
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != CATALOGUE
    }


def uncatalogued(found: Iterable[Emission]) -> dict[str, list[str]]:
    """Emitted codes the catalogue lacks, with where they are emitted."""
    known = set(known_codes())
    missing: dict[str, list[str]] = {}
    for emission in found:
        if emission.code not in known:
            missing.setdefault(emission.code, []).append(emission.where)
    return missing


@pytest.fixture(scope="module")
def emitted() -> list[Emission]:
    return emissions(package_modules())


def test_every_emitted_code_is_catalogued(emitted: list[Emission]) -> None:
    assert uncatalogued(emitted) == {}


def test_every_catalogued_code_is_emitted_somewhere(emitted: list[Emission]) -> None:
    assert set(known_codes()) - {e.code for e in emitted} == set()


def test_the_catalogued_severity_is_the_one_emitted(emitted: list[Emission]) -> None:
    severity = {entry.code: entry.severity for entry in ISSUE_CODES}
    differ = [e for e in emitted if e.severity is not None and e.severity != severity.get(e.code)]
    assert differ == []
    # Some sites do give their severity as a literal: the comparison above is not vacuous.
    assert len({e.code for e in emitted if e.severity is not None}) > len(ISSUE_CODES) // 2


PLANTED = """
from dataclasses import dataclass
from ren_index.model import Issue

PLANTED_CONSTANT = Issue(code="PLANTED_CONSTANT", severity="error", field="x", message_fr="", message_en="")

def _flag(code: str, severity: str, text: str) -> Issue:
    return make(code=code, severity=severity)

@dataclass(frozen=True)
class _Rule:
    key: str
    missing: tuple[str, ...]
    code: str

RULE = _Rule("level", ("LEVEL_MISSING",), "PLANTED_FIELD")

def check() -> list[Issue]:
    return [_flag("PLANTED_HELPER", "warning", "NOT_A_CODE_EITHER"), report(code="PLANTED_KEYWORD")]

LABEL = "NOT_AN_EMISSION"
ERROR = protocol_error(code="badArgument")
"""


def test_the_walker_finds_a_planted_uncatalogued_code_in_each_form() -> None:
    found = emissions({**package_modules(), "planted.py": PLANTED})
    planted = {(e.code, e.severity) for e in found if e.where.startswith("planted.py:")}
    assert planted == {
        ("PLANTED_CONSTANT", "error"),  # a module-level Issue(...)
        ("PLANTED_HELPER", "warning"),  # a helper taking the code (and severity) by position
        ("PLANTED_FIELD", None),  # a dataclass whose third field is the code
        ("PLANTED_KEYWORD", None),  # code= on any call
    }  # and no other string of the module: LEVEL_MISSING, NOT_AN_EMISSION, badArgument
    assert set(uncatalogued(found)) == {
        "PLANTED_CONSTANT",
        "PLANTED_HELPER",
        "PLANTED_FIELD",
        "PLANTED_KEYWORD",
    }


def _docs_rows() -> dict[str, tuple[str, str]]:
    text = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    rows = [m for m in map(DOCS_ROW.match, text.splitlines()) if m]
    return {m["code"]: (m["severity"], m["action"]) for m in rows}


def test_docs_table_lists_every_catalogued_code_with_its_severity_and_action() -> None:
    rows = _docs_rows()
    assert list(rows) == list(known_codes())  # the same codes, in the same order
    for entry in ISSUE_CODES:
        severity, action = rows[entry.code]
        assert severity == entry.severity, entry.code
        plain = action.replace("`", "").strip()  # the docs' text, without its code markup
        assert entry.action_en == plain[0].upper() + plain[1:] + ".", entry.code


def test_labels_are_short_distinct_and_french_first() -> None:
    assert label("TITLE_MISSING", "fr") == "Titre manquant"
    assert label("TITLE_MISSING", "en") == "Missing title"
    assert label("TITLE_MISSING") == "Titre manquant"
    for lang in ("fr", "en"):
        labels = [label(code, lang) for code in known_codes()]
        assert len(set(labels)) == len(labels), lang  # a filter menu must tell every code apart
        assert all(0 < len(words) <= 40 for words in labels), lang
    assert all(entry.action_fr and entry.action_en for entry in ISSUE_CODES)


def test_an_unknown_code_is_its_own_label() -> None:
    assert label("CODE_FROM_ANOTHER_VERSION", "fr") == "CODE_FROM_ANOTHER_VERSION"
    assert label("CODE_FROM_ANOTHER_VERSION", "en") == "CODE_FROM_ANOTHER_VERSION"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("TITLE_MISSING", "TITLE_MISSING"),
        ("title_missing", "TITLE_MISSING"),
        (" Url_Invalid ", "URL_INVALID"),
    ],
)
def test_a_typed_code_is_found_whatever_its_case(typed: str, code: str) -> None:
    assert canonical(typed) == code


@pytest.mark.parametrize("typed", ["TITEL_MISSING", "", "title missing", "RECORD_COUNT_DROP"])
def test_a_code_that_is_not_catalogued_is_not_found(typed: str) -> None:
    assert canonical(typed) is None


def test_known_codes_are_the_table_once_each() -> None:
    codes = known_codes()
    assert codes == tuple(entry.code for entry in ISSUE_CODES)
    assert len(set(codes)) == len(codes)
