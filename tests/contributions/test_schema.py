"""The JSON contract: every violation with its JSON pointer, in French and in English, nothing fetched."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ren_index.contributions.schema import SCHEMA_PATH, FieldError, load_schema, schema_errors

from .conftest import body


def pointers(found: list[FieldError]) -> list[str]:
    return [e.pointer for e in found]


def test_a_complete_contribution_conforms() -> None:
    assert schema_errors(body()) == []
    assert schema_errors(body(title={"fr": "Les fractions", "en": "Fractions"}, description=None)) == []


def test_the_schema_is_draft_2020_12_closed_and_refers_only_to_itself() -> None:
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert schema["properties"]["contributor"]["additionalProperties"] is False
    assert set(schema["required"]) == {"external_id", "title", "url"}
    refs = [part.split('"')[0] for part in SCHEMA_PATH.read_text(encoding="utf-8").split('"$ref": "')[1:]]
    assert refs and all(ref.startswith("#/") for ref in refs)  # nothing to fetch, ever


@pytest.mark.parametrize(
    ("changes", "pointer", "fr", "en"),
    [
        ({"external_id": None}, "/external_id", "champ obligatoire absent", "required field missing"),
        ({"url": None}, "/url", "champ obligatoire absent", "required field missing"),
        ({"external_id": "a" * 513}, "/external_id", "512 caractères au plus", "at most 512 characters"),
        ({"external_id": "ab\ncd"}, "/external_id", "caractères interdits", "not allowed"),
        ({"external_id": 42}, "/external_id", "type attendu : un texte", "expected a string"),
        ({"title": ""}, "/title", "ne doit pas être vide", "must not be empty"),
        ({"title": "   "}, "/title", "que d'espaces", "only white space"),
        ({"title": {}}, "/title", "ne doit pas être vide", "must not be empty"),
        ({"title": {"fr": "x" * 1001}}, "/title/fr", "1000 caractères au plus", "at most 1000 characters"),
        ({"title": {"de": "Brüche"}}, "/title/de", "champ inconnu", "unknown field"),
        (
            {"title": ["Les fractions"]},
            "/title",
            "un texte non vide, ou un objet",
            "a non-empty string, or an object",
        ),
        ({"url": "ftp://ma-classe.example/r/1"}, "/url", "http:// ou https://", "http:// or https://"),
        ({"url": "javascript:alert(1)"}, "/url", "http:// ou https://", "http:// or https://"),
        ({"url": "https://exemple.org/a b"}, "/url", "caractères interdits", "not allowed"),
        ({"url": "https://exemple.org/\n"}, "/url", "caractères interdits", "not allowed"),
        ({"levels": "Secondaire 3"}, "/levels", "type attendu : une liste", "expected an array"),
        ({"levels": ["Secondaire 1"] * 31}, "/levels", "30 au plus", "at most 30"),
        ({"keywords": ["ok", 7]}, "/keywords/1", "type attendu : un texte", "expected a string"),
        ({"authors": [{"organisation": "École"}]}, "/authors/0/name", "champ obligatoire", "required field"),
        (
            {"authors": [{"name": "A", "courriel": "a@b.c"}]},
            "/authors/0/courriel",
            "champ inconnu",
            "unknown field",
        ),
        (
            {"contributor": {"display_name": "Julie"}},
            "/contributor/id",
            "champ obligatoire",
            "required field",
        ),
        (
            {"contributor": {"id": "u1", "email": "julie@example.org"}},
            "/contributor/email",
            "inconnu",
            "unknown",
        ),
        ({"licence": "x" * 501}, "/licence", "500 caractères au plus", "at most 500 characters"),
        ({"published": True}, "/published", "champ inconnu", "unknown field"),
    ],
)
def test_each_violation_has_its_pointer_and_both_languages(
    changes: dict[str, Any], pointer: str, fr: str, en: str
) -> None:
    found = schema_errors(body(**changes))
    assert pointer in pointers(found), found
    error = next(e for e in found if e.pointer == pointer)
    assert fr in error.message_fr and en in error.message_en
    assert error.message_fr != error.message_en


def test_every_violation_is_reported_at_once_in_pointer_order() -> None:
    bad = {
        "title": "",
        "url": "mailto:julie@example.org",
        "levels": [""] * 12,
        "contributor": {"id": "u1", "email": "julie@example.org"},
    }
    found = pointers(schema_errors(bad))
    assert "/external_id" in found and "/title" in found and "/url" in found and "/contributor/email" in found
    levels = [p for p in found if p.startswith("/levels/")]
    assert levels == [f"/levels/{i}" for i in range(12)]  # 2 before 10: indexes are numbers
    assert found.count("/title") == 1  # an empty title is said once, not once per rule it breaks


@pytest.mark.parametrize("document", [[], "texte", 42, None, True])
def test_a_body_that_is_not_an_object_is_refused_at_the_root(document: object) -> None:
    assert [(e.pointer, e.message_en) for e in schema_errors(document)] == [("/", "expected an object")]


def test_hostile_bodies_give_bounded_answers() -> None:
    long_name = "x" * 100_000
    found = schema_errors({**body(), long_name: 1, "a/b~c": 2})
    names = [e for e in found if e.message_en.startswith("unknown field")]
    assert len(names) == 2
    assert all(len(e.pointer) < 100 and len(e.message_fr) < 200 for e in names)
    assert "/a~1b~0c" in pointers(found)  # RFC 6901 escaping
    many = schema_errors({**body(), **{f"champ{i}": i for i in range(500)}})
    assert len(many) == 50
    assert json.dumps([e.as_dict() for e in many])  # plain data, ready for an HTTP answer
