"""What a librarian does after a failed harvest: resume it, or fix something first.

Why: « reprendre avec ``ren-index harvest X`` » used to follow every failure, also when resuming
could only fail the same way — a metadata format the repository does not offer, a set it does not
have, a URL that is not an OAI-PMH base URL, an address the policy refuses, a dump folder that is
not there. For those the report's ``error`` carries ``fix`` (what to correct, and where) instead of
``resume``; a network failure, a timeout, a page that broke off keep ``resume``.

The ``--from`` / ``--until`` of a harvest are checked here too, against the granularity the
repository announced in ``Identify``, before any ``ListRecords`` carries them: a date-time sent to
a repository that counts in days is a ``badArgument`` at best and, at worst, silently read as
something else.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from ren_index.config.sources import SourceConfig
from ren_index.errors import AddressRefusedError, ConfigError, HarvestError, OaiProtocolError
from ren_index.harvest.lom_files import dump_location
from ren_index.harvest.oai_response import DAY, SECONDS

OAI_FIXES: dict[str, tuple[str, str]] = {
    "cannotDisseminateFormat": (
        "corriger metadata_prefix dans sources.yaml (« ren-index sources check {id} » liste les formats"
        " offerts)",
        "fix metadata_prefix in sources.yaml (`ren-index sources check {id}` lists the formats offered)",
    ),
    "noSetHierarchy": (
        "retirer sets: de la source dans sources.yaml : le dépôt n'a pas d'ensembles",
        "remove sets: from the source in sources.yaml: the repository has no sets",
    ),
    "badArgument": (
        "vérifier sets et metadata_prefix dans sources.yaml, et les dates --from/--until : le dépôt"
        " refuse un argument",
        "check sets and metadata_prefix in sources.yaml, and the --from/--until dates: the repository"
        " refuses an argument",
    ),
    "badVerb": (
        "vérifier url dans sources.yaml : ce n'est pas l'adresse de base OAI-PMH du dépôt",
        "check url in sources.yaml: it is not the repository's OAI-PMH base URL",
    ),
    "idDoesNotExist": (
        "l'identifiant demandé n'existe pas au dépôt : vérifier url et sets dans sources.yaml",
        "the identifier asked for does not exist in the repository: check url and sets in sources.yaml",
    ),
}
"""OAI-PMH errors that a second request would meet again: what to correct instead."""


def _both(french: str, english: str) -> str:
    return f"{french} / {english}"


def fix_for(source: SourceConfig, exc: BaseException, config_dir: Path) -> str | None:
    """What to correct before harvesting again, or ``None`` when resuming can help."""
    if isinstance(exc, OaiProtocolError) and exc.code in OAI_FIXES:
        french, english = OAI_FIXES[exc.code]
        return _both(french.format(id=source.id), english.format(id=source.id))
    if isinstance(exc, AddressRefusedError):
        return _both(
            f"l'adresse {exc.url} est refusée ({exc.rule}) : corriger url, ou ajouter son hôte à"
            " allow_hosts de la source dans sources.yaml s'il est sûr",
            f"the address {exc.url} is refused ({exc.rule}): fix url, or add its host to the source's"
            " allow_hosts in sources.yaml if it is safe",
        )
    if isinstance(exc, ConfigError):
        return _both("corriger sources.yaml", "fix sources.yaml")
    if source.type == "lom-files" and not _dump_present(dump_location(source.path or "", config_dir)):
        return _both(
            "corriger path dans sources.yaml, ou y déposer le dossier ou l'archive .zip",
            "fix path in sources.yaml, or put the folder or .zip archive there",
        )
    return None


def _dump_present(path: Path) -> bool:
    return path.is_dir() or (path.is_file() and path.suffix.lower() == ".zip")


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def _granularity_of(value: str) -> str | None:
    """``DAY`` or ``SECONDS`` for a well-formed OAI-PMH datestamp, ``None`` for anything else."""
    try:
        if _DAY.fullmatch(value):
            date.fromisoformat(value)
            return DAY
        if _SECONDS.fullmatch(value):
            datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
            return SECONDS
    except ValueError:
        return None
    return None


def window_refusal(from_: str | None, until: str | None, granularity: str) -> HarvestError | None:
    """Why ``--from`` / ``--until`` cannot be sent to a repository of this granularity, or ``None``.

    The error's message names the option, the value and the granularity in one line; its ``fix``
    (:func:`window_fix`) the command to type. Checked by us, so no request carries the value.
    """
    accepted = DAY if granularity == DAY else f"{DAY} ou/or {SECONDS}"
    found: dict[str, str] = {}
    for option, value in (("--from", from_), ("--until", until)):
        if value is None:
            continue
        kind = _granularity_of(value)
        if kind is None:
            return HarvestError(
                f"{option} « {value} » n'est pas une date ; le dépôt (granularité {granularity}) attend"
                f" {accepted} / {option} {value!r} is not a date; the repository (granularity"
                f" {granularity}) expects {accepted}"
            )
        if kind == SECONDS and granularity == DAY:
            return HarvestError(
                f"{option} « {value} » : le dépôt compte en jours (granularité {DAY}) ; écrire"
                f" {option} {value[:10]} / {option} {value!r}: the repository's granularity is the day"
                f" ({DAY}); write {option} {value[:10]}"
            )
        found[option] = value
    if len(found) == 2 and len(found["--from"]) != len(found["--until"]):
        return HarvestError(
            "--from et --until doivent avoir la même granularité (toutes deux YYYY-MM-DD, par exemple)"
            " / --from and --until must have the same granularity (both YYYY-MM-DD, say)"
        )
    if len(found) == 2 and found["--from"] > found["--until"]:
        return HarvestError(
            f"--from {found['--from']} est après --until {found['--until']} / --from"
            f" {found['--from']} is after --until {found['--until']}"
        )
    return None


def window_fix(source_id: str, granularity: str) -> str:
    """What to type after a refused ``--from`` / ``--until``."""
    form = DAY if granularity == DAY else f"{DAY} ou/or {SECONDS}"
    return _both(
        f"relancer « ren-index harvest {source_id} --from … » avec une date {form}",
        f"run `ren-index harvest {source_id} --from …` again with a date {form}",
    )
