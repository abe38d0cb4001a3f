"""``ListSets`` advertises the ``source:`` sets that hold something to harvest (issue 13, point 6c).

A source whose records all wait in the review queue, and a contributions platform whose
contributions were never approved, have nothing exposed: their sets stay out of ``ListSets``
(no empty list for harvesters, no partner's name before anything of it is published). A source's
set appears with its first approved record.
"""

from __future__ import annotations

from sqlalchemy import select

from ren_index.config.rules import load_portals
from ren_index.contributions.platforms import create_platform
from ren_index.contributions.service import submit_json
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.models import ResourceRow
from ren_index.review.decisions import decide_by_person
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source

from .conftest import CONFIG, RULEBOOK, Provider, demo_source
from .schemas import NS


def set_specs(provider: Provider) -> set[str]:
    root = provider.get(verb="ListSets")
    return {str(el.findtext("o:setSpec", namespaces=NS)) for el in root.iterfind(".//o:set", NS)}


def test_sources_without_an_approved_record_have_no_set(provider: Provider) -> None:
    ledger = provider.ledger
    records = [r for r in demo_records() if r.metadata_format == "lom"][:12]
    with DemoOaiServer(records=records) as server:
        queued = demo_source("lom", server.url).model_copy(update={"id": "en-file", "review": "always"})
        assert harvest_source(ledger, queued, provider.settings)["status"] == "completed"
        process_source(ledger, queued, RULEBOOK)
    platform, _key = create_platform(
        ledger, "ma-classe", portal="ecole-ouverte", portals=list(load_portals(CONFIG))
    )
    contribution = {
        "external_id": "r-1",
        "title": "Les fractions dans la cuisine",
        "description": "Une activité où les élèves mesurent des ingrédients avec des fractions.",
        "url": "https://ma-classe.example.qc.ca/r/r-1",
        "languages": ["fr"],
        "licence": "CC BY 4.0",
        "contributor": {"id": "u-1", "display_name": "Julie G."},
    }
    submit_json(ledger, RULEBOOK, platform, contribution)
    with ledger() as session:
        statuses = dict(
            session.execute(
                select(ResourceRow.source_id, ResourceRow.status).where(
                    ResourceRow.source_id.in_(("en-file", "ma-classe"))
                )
            ).all()
        )
    assert set(statuses) == {"en-file", "ma-classe"}  # both have records in the ledger…
    assert "approved" not in statuses.values()  # …none of them approved

    specs = set_specs(provider)
    assert {"source:demo-lom", "source:demo-dc"} <= specs  # the exposed sources keep theirs
    assert "source:en-file" not in specs
    assert "source:ma-classe" not in specs

    with ledger() as session:
        first = session.scalars(
            select(ResourceRow.id).where(ResourceRow.source_id == "en-file").order_by(ResourceRow.id)
        ).first()
    assert first is not None
    decide_by_person(ledger, first, "approved", actor="doc")
    assert "source:en-file" in set_specs(provider)  # the first approval opens the set
