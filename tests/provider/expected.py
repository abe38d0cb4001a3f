"""What the provider should expose, read straight from the ledger (independently of the provider)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.ledger.models import Event, ResourceRow
from ren_index.model import Resource

REPOSITORY_ID = "ren-index.example"


def oai_id(resource_id: str) -> str:
    return f"oai:{REPOSITORY_ID}:{resource_id}"


@dataclass(frozen=True)
class Expected:
    """The ledger's approved records (with their canonical form) and its once-approved others."""

    approved: dict[str, Resource]
    deleted: set[str]
    hidden: set[str]
    """Records never approved: the provider must not know them."""
    portals: dict[str, list[str]]

    @property
    def exposed(self) -> set[str]:
        return set(self.approved) | self.deleted


def expected(factory: sessionmaker[Session]) -> Expected:
    with factory() as session:
        once = set(
            session.scalars(
                select(Event.resource_id).where(Event.action.in_(("decided", "approved")))
                .where(Event.after["status"].as_string() == "approved")
            )
        )  # fmt: skip
        rows = session.scalars(select(ResourceRow)).all()
        approved = {r.id: Resource.model_validate(r.record) for r in rows if r.status == "approved"}
        deleted = {r.id for r in rows if r.status != "approved" and r.id in once}
        hidden = {r.id for r in rows if r.status != "approved" and r.id not in once}
        portals = {r.id: list(r.portals or []) for r in rows}
    return Expected(approved, deleted, hidden, portals)
