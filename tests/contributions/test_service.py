"""Submitting, re-posting, reading and withdrawing contributions, through the process step's own path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.contributions import service
from ren_index.contributions.platforms import PlatformInfo
from ren_index.contributions.service import ContributionInvalid, Submission
from ren_index.ledger.models import Event, Overlay, RawRecordRow, ResourceRow, utcnow
from ren_index.ledger.store import resource_id
from ren_index.provider import queries as oai
from ren_index.review.decisions import decide_by_person, save_corrections, withdraw
from ren_index.web import accounts

from .conftest import body

LOM = """<?xml version="1.0" encoding="UTF-8"?>
<lom xmlns="http://ltsc.ieee.org/xsd/LOM">
  <general>
    <identifier><catalog>ma-classe</catalog><entry>{entry}</entry></identifier>
    <title><string language="fr">Le cycle de l'eau en images</string></title>
    <language>fr</language>
    <description><string language="fr">Des schémas pour expliquer le cycle de l'eau.</string></description>
  </general>
  <technical><location>https://ma-classe.example.qc.ca/r/eau</location></technical>
  <educational><context><source>LOMv1.0</source><value>{level}</value></context></educational>
  <rights><description><string language="fr">CC BY 4.0</string></description></rights>
</lom>"""


def lom(entry: str = "eau-1", level: str = "Primaire 2e cycle") -> bytes:
    return LOM.format(entry=entry, level=level).encode()


def events(ledger: sessionmaker[Session], action: str | None = None) -> list[Event]:
    with ledger() as session:
        query = select(Event).order_by(Event.id)
        if action is not None:
            query = query.where(Event.action == action)
        return list(session.scalars(query))


def add_person(ledger: sessionmaker[Session], name: str, role: str) -> None:
    with ledger() as session:
        accounts.set_user(session, name, role, "un mot de passe assez long")
        session.commit()


def test_a_json_contribution_is_validated_now_and_waits_for_a_person(
    ledger: sessionmaker[Session], rulebook: Rulebook, platform: PlatformInfo
) -> None:
    found = service.submit_json(ledger, rulebook, platform, body(levels=["Niveau galactique"]))
    assert isinstance(found, Submission)
    assert found.id == resource_id("ma-classe", "ressource-1")
    assert (found.external_id, found.status, found.changed) == ("ressource-1", "needs_review", True)
    codes = [i["code"] for i in found.issues]
    assert "LEVEL_UNMAPPED" in codes
    assert all(set(i) == {"code", "severity", "field", "message_fr", "message_en"} for i in found.issues)
    with ledger() as session:
        row = session.get_one(ResourceRow, found.id)
        raw = session.get_one(RawRecordRow, row.raw_id)
        assert (raw.source_id, raw.identifier, raw.metadata_prefix) == (
            "ma-classe",
            "ressource-1",
            "contribution",
        )
        assert row.record is not None
        assert row.record["provenance"]["contributor"] == {
            "id": "u-1001",
            "display_name": "Julie G.",
            "organisation": "École des Pins",
        }
        assert row.portals == []  # no level it can be placed by: the person decides where it goes


def test_even_a_flawless_contribution_is_not_approved_by_the_rules(
    ledger: sessionmaker[Session], rulebook: Rulebook, platform: PlatformInfo
) -> None:
    found = service.submit_json(ledger, rulebook, platform, body())
    assert found.status == "needs_review"
    assert not [i for i in found.issues if i["severity"] == "error"]
    view = service.get_contribution(ledger, platform, "ressource-1")
    assert view is not None and view["portals"] == ["ecole-ouverte"]


def test_a_body_breaking_the_contract_stores_nothing(
    ledger: sessionmaker[Session], rulebook: Rulebook, platform: PlatformInfo
) -> None:
    with pytest.raises(ContributionInvalid) as raised:
        service.submit_json(
            ledger, rulebook, platform, body(url="ftp://x", contributor={"id": "u", "email": "a@b"})
        )
    assert {e.pointer for e in raised.value.errors} == {"/url", "/contributor/email"}
    assert "contribution refusée" in str(raised.value) and "contribution refused" in str(raised.value)
    with ledger() as session:
        assert session.scalar(select(func.count()).select_from(RawRecordRow)) == 0


def test_a_lom_record_goes_the_same_way(
    ledger: sessionmaker[Session], rulebook: Rulebook, platform: PlatformInfo
) -> None:
    found = service.submit_lom(ledger, rulebook, platform, lom(level="Niveau galactique"))
    assert (found.external_id, found.status) == ("eau-1", "needs_review")
    assert "LEVEL_UNMAPPED" in [i["code"] for i in found.issues]
    with ledger() as session:
        raw = session.scalars(select(RawRecordRow)).one()
        assert raw.metadata_prefix == "lom" and raw.payload is not None and "<?xml" not in raw.payload
        record = session.get_one(ResourceRow, found.id).record
    assert record is not None and record["general"]["title"] == {"fr": "Le cycle de l'eau en images"}
    same = lom(level="Niveau galactique").replace(b'encoding="UTF-8"', b'encoding="utf-8"')
    again = service.submit_lom(ledger, rulebook, platform, same)
    assert again.changed is False  # the declaration is not the content


@pytest.mark.parametrize(
    ("xml", "pointer", "said"),
    [
        (b"<lom xmlns='http://ltsc.ieee.org/xsd/LOM'><general><title/>", "/", "unreadable or refused XML"),
        (
            b"<oai_dc:dc xmlns:oai_dc='http://www.openarchives.org/OAI/2.0/oai_dc/'/>",
            "/",
            "a LOM record",
        ),
        (
            b"<lom xmlns='http://ltsc.ieee.org/xsd/LOM'><general/></lom>",
            "/general/identifier",
            "identifier missing",
        ),
        (
            b"<lom xmlns='http://ltsc.ieee.org/xsd/LOM'><general><identifier><entry>"
            + b"x" * 600
            + b"</entry></identifier></general></lom>",
            "/general/identifier",
            "invalid identifier",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE lom [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<lom xmlns='http://ltsc.ieee.org/xsd/LOM'>&x;</lom>",
            "/",
            "unreadable or refused XML",
        ),
    ],
)
def test_what_is_not_one_identified_lom_record_is_refused(
    ledger: sessionmaker[Session],
    rulebook: Rulebook,
    platform: PlatformInfo,
    xml: bytes,
    pointer: str,
    said: str,
) -> None:
    with pytest.raises(ContributionInvalid) as raised:
        service.submit_lom(ledger, rulebook, platform, xml)
    [error] = raised.value.errors
    assert error.pointer == pointer and said in error.message_en and error.message_fr
    assert "/etc/passwd" not in error.message_en or "root:" not in error.message_en


def test_posting_the_same_content_again_changes_nothing(
    ledger: sessionmaker[Session], rulebook: Rulebook, platform: PlatformInfo
) -> None:
    first = service.submit_json(ledger, rulebook, platform, body())
    before = len(events(ledger))
    reordered = dict(reversed(list(body().items())))  # same content, keys in another order
    again = service.submit_json(ledger, rulebook, platform, reordered)
    assert again.changed is False and (again.id, again.status, again.issues) == (
        first.id,
        first.status,
        first.issues,
    )
    assert len(events(ledger)) == before


def test_changed_content_goes_back_to_the_queue_even_after_approval_and_keeps_corrections(
    ledger: sessionmaker[Session], rulebook: Rulebook, platform: PlatformInfo
) -> None:
    add_person(ledger, "dora", "documentalist")
    found = service.submit_json(ledger, rulebook, platform, body())
    save_corrections(
        ledger, rulebook, found.id, {"title": {"fr": "Fractions en cuisine"}}, actor="dora", approve=True
    )
    assert service.get_contribution(ledger, platform, "ressource-1")["status"] == "approved"  # type: ignore[index]

    changed = service.submit_json(ledger, rulebook, platform, body(description="Une nouvelle version revue."))
    assert (changed.changed, changed.status) == (True, "needs_review")
    with ledger() as session:
        row = session.get_one(ResourceRow, found.id)
        assert row.decided_by == "rules"
        assert row.record is not None and row.record["general"]["title"] == {"fr": "Fractions en cuisine"}
        assert session.scalars(select(Overlay)).one().field == "title"
    back = [e for e in events(ledger, "decided") if e.before]
    assert back[-1].before == {"status": "approved", "portals": ["ecole-ouverte"]}
    assert back[-1].after is not None and back[-1].after["status"] == "needs_review"
    received = events(ledger, "contribution_received")
    assert [e.actor for e in received] == ["platform:ma-classe"] * 2


def test_changing_a_field_a_person_corrected_is_flagged(
    ledger: sessionmaker[Session], rulebook: Rulebook, platform: PlatformInfo
) -> None:
    found = service.submit_json(ledger, rulebook, platform, body())
    save_corrections(ledger, rulebook, found.id, {"title": {"fr": "Fractions en cuisine"}}, actor="dora")
    changed = service.submit_json(ledger, rulebook, platform, body(title="Les fractions, version 2"))
    assert "SOURCE_CHANGED_AFTER_EDIT" in [i["code"] for i in changed.issues]


def test_the_platform_reads_the_decision_by_role_and_reason_never_the_name(
    ledger: sessionmaker[Session], rulebook: Rulebook, platform: PlatformInfo
) -> None:
    add_person(ledger, "dora", "documentalist")
    rejected = service.submit_json(ledger, rulebook, platform, body("a-rejeter"))
    approved = service.submit_json(ledger, rulebook, platform, body("a-approuver"))
    reason = "La ressource demande une inscription payante : hors du mandat d'École ouverte."
    decide_by_person(ledger, rejected.id, "rejected", actor="dora", comment=reason)
    decide_by_person(ledger, approved.id, "approved", actor="dora")

    view = service.get_contribution(ledger, platform, "a-rejeter")
    assert view is not None
    assert set(view) == {
        "id",
        "external_id",
        "status",
        "portals",
        "issues",
        "decision",
        "resource",
        "updated_at",
    }
    assert view["status"] == "rejected" and view["resource"] is None
    assert view["decision"]["by_role"] == "documentalist" and view["decision"]["reason"] == reason
    assert "dora" not in str(view)
    published = service.get_contribution(ledger, platform, "a-approuver")
    assert published is not None and published["resource"] == f"/api/resources/{approved.id}"
    assert published["decision"]["reason"] is None

    withdraw(ledger, approved.id, actor="dora", comment="Lien brisé depuis hier.")
    after = service.get_contribution(ledger, platform, "a-approuver")
    assert after is not None and after["status"] == "needs_review" and after["resource"] is None
    assert after["decision"]["reason"] == "Lien brisé depuis hier."


def test_a_platform_sees_only_its_own(
    ledger: sessionmaker[Session], rulebook: Rulebook, new_platform: Callable[..., tuple[PlatformInfo, str]]
) -> None:
    mine, _ = new_platform("ma-classe")
    other, _ = new_platform("autre-plateforme")
    service.submit_json(ledger, rulebook, mine, body("commun"))
    assert service.get_contribution(ledger, other, "commun") is None
    assert service.list_contributions(ledger, other)["total"] == 0
    assert service.delete_contribution(ledger, rulebook, other, "commun") is None
    assert service.get_contribution(ledger, mine, "commun") is not None
    # The same external id from the other platform is another contribution.
    theirs = service.submit_json(ledger, rulebook, other, body("commun"))
    assert theirs.id != resource_id("ma-classe", "commun") and theirs.changed is True


def test_listing_filters_by_status_and_date_and_pages(
    ledger: sessionmaker[Session], rulebook: Rulebook, platform: PlatformInfo
) -> None:
    ids = [service.submit_json(ledger, rulebook, platform, body(f"r-{i}")).id for i in range(5)]
    decide_by_person(ledger, ids[0], "approved", actor="dora")
    listed = service.list_contributions(ledger, platform, page_size=2)
    assert (listed["total"], listed["page"], listed["page_size"], len(listed["items"])) == (5, 1, 2, 2)
    assert listed["items"][0]["external_id"] == "r-0"  # most recently changed first
    last = service.list_contributions(ledger, platform, page=3, page_size=2)
    assert len(last["items"]) == 1
    assert [
        i["external_id"] for i in service.list_contributions(ledger, platform, status="approved")["items"]
    ] == ["r-0"]
    assert service.list_contributions(ledger, platform, since=utcnow() + timedelta(hours=1))["total"] == 0
    assert service.list_contributions(ledger, platform, since=utcnow() - timedelta(hours=1))["total"] == 5
    with pytest.raises(ContributionInvalid):
        service.list_contributions(ledger, platform, status="published")


def test_a_withdrawn_contribution_is_deleted_and_advertised_as_deleted(
    ledger: sessionmaker[Session], rulebook: Rulebook, platform: PlatformInfo
) -> None:
    found = service.submit_json(ledger, rulebook, platform, body())
    decide_by_person(ledger, found.id, "approved", actor="dora")
    view = service.delete_contribution(ledger, rulebook, platform, "ressource-1")
    assert view is not None and view["status"] == "deleted" and view["resource"] is None
    with ledger() as session:
        assert session.scalars(select(RawRecordRow)).one().deleted is True
        exposed = oai.find(session, found.id)
    assert exposed is not None and exposed.deleted is True  # harvesters are told it is gone
    count = len(events(ledger))
    assert service.delete_contribution(ledger, rulebook, platform, "ressource-1") is not None
    assert len(events(ledger)) == count  # withdrawing twice changes nothing
    assert [e.actor for e in events(ledger, "contribution_deleted")] == ["platform:ma-classe"]
    assert service.delete_contribution(ledger, rulebook, platform, "jamais-vue") is None
    back = service.submit_json(ledger, rulebook, platform, body())
    assert (back.changed, back.status) == (True, "needs_review")
