"""The first decision rule: title + URL + language → approved; each missing one → an issue."""

import pytest

from ren_index.decide import decide
from ren_index.model import General, Provenance, Resource, Status, Technical
from ren_index.validate import validate


def resource(
    title: str | None = "Les fractions",
    url: str | None = "https://ex.org/r/1",
    languages: tuple[str, ...] = ("fr",),
) -> Resource:
    return Resource(
        provenance=Provenance(source="s", identifier="oai:s:1", metadata_format="oai_dc"),
        general=General(title={"fr": title} if title is not None else {}, languages=list(languages)),
        technical=Technical(locations=[url] if url else []),
    )


def test_complete_record_is_approved_by_rules() -> None:
    res = resource()
    issues = validate(res)
    assert issues == []
    decision = decide(res, issues)
    assert decision.status is Status.APPROVED
    assert decision.portals == ["pavillon", "ecole-ouverte"]


@pytest.mark.parametrize(
    ("kwargs", "codes"),
    [
        ({"title": None}, ["TITLE_MISSING"]),
        ({"title": "   "}, ["TITLE_MISSING"]),
        ({"url": None}, ["URL_MISSING"]),
        ({"url": "www.ex.org/sans-schema"}, ["URL_INVALID"]),
        ({"languages": ()}, ["LANGUAGE_MISSING"]),
        (
            {"title": None, "url": None, "languages": ()},
            ["TITLE_MISSING", "URL_MISSING", "LANGUAGE_MISSING"],
        ),
    ],
)
def test_each_missing_field_is_an_issue_and_needs_review(kwargs: dict, codes: list[str]) -> None:
    res = resource(**kwargs)
    issues = validate(res)
    assert [i.code for i in issues] == codes
    assert all(i.severity == "error" and i.message_fr and i.message_en for i in issues)
    decision = decide(res, issues)
    assert decision.status is Status.NEEDS_REVIEW
    assert decision.reasons == codes


def test_review_policies_and_source_portals() -> None:
    good, bad = resource(), resource(title=None)
    assert decide(good, [], review="always").status is Status.NEEDS_REVIEW
    assert decide(bad, validate(bad), review="never").status is Status.REJECTED
    assert decide(good, [], source_portals=["pavillon"]).portals == ["pavillon"]
