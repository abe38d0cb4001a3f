"""Notifications: tell the librarians' channel when a run fails or is held, or hosts were down.

Runs happen at night; a held or failed run nobody hears of leaves a portal stale for days. When
``REN_WEBHOOK_URL`` is set, a JSON message is POSTed there (a chat or ticketing hook). Notifying
is a courtesy, never part of the run: a receiver that is down or slow is logged and forgotten,
and the call is bounded by ``REN_WEBHOOK_TIMEOUT``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import requests

from ren_index.settings import Settings

log = logging.getLogger(__name__)

EVENTS = {"failed": "run_failed", "held": "run_held"}


def message(report: Mapping[str, Any]) -> dict[str, Any] | None:
    """The webhook body for a run report, or ``None`` when the run needs no one's attention."""
    event = EVENTS.get(str(report.get("status")))
    if event is None and report.get("kind") == "links" and report.get("hosts_down"):
        event = "hosts_down"
    if event is None:
        return None
    source, run_id = report.get("source"), report.get("run_id")
    if event == "hosts_down":
        hosts = ", ".join(str(h.get("host")) for h in report.get("hosts_down") or [])
        fr = f"Vérification des liens (run {run_id}) : hôtes en panne, aucune notice pénalisée : {hosts}"
        en = f"Link check (run {run_id}): hosts down, no record penalized: {hosts}"
    elif report.get("kind") == "links":
        error = report.get("error") or {}
        fr = f"Vérification des liens (run {run_id}) en échec — {error.get('message', '')}."
        fr += f" Reprendre : {error.get('resume', 'ren-index links check --all')}"
        en = f"Link check (run {run_id}) failed. Resume: {error.get('resume', 'ren-index links check --all')}"
    elif event == "run_held":
        hold = report.get("hold") or {}
        fr = f"{source} (run {run_id}) : {hold.get('message_fr', 'moisson retenue')}"
        fr += f" Vérifier, puis : ren-index runs release {run_id}"
        en = f"{source} (run {run_id}): {hold.get('message_en', 'run held')}"
        en += f" Check, then: ren-index runs release {run_id}"
    else:
        error = report.get("error") or {}
        detail = error.get("message", "")
        fr = f"{source} (run {run_id}) : la moisson a échoué — {detail}."
        en = f"{source} (run {run_id}): the harvest failed — {detail}."
        if error.get("fix"):  # resuming would fail the same way: say what to correct (bilingual)
            fr += f" Corriger : {error['fix']}"
            en += f" Fix: {error['fix']}"
        else:
            resume = error.get("resume", f"ren-index harvest {source}")
            fr += f" Reprendre : {resume}"
            en += f" Resume: {resume}"
    return {
        "event": event,
        "source": source,
        "run_id": run_id,
        "status": report.get("status"),
        "counts": report.get("counts", {}),
        "message_fr": fr,
        "message_en": en,
        "report": report,
    }


def notify_run(settings: Settings, report: Mapping[str, Any]) -> bool:
    """POST the message for a failed or held run; ``True`` when a receiver accepted it."""
    if not settings.webhook_url:
        return False
    body = message(report)
    if body is None:
        return False
    try:
        response = requests.post(settings.webhook_url, json=body, timeout=settings.webhook_timeout)
        response.raise_for_status()
    except requests.RequestException as exc:
        log.warning(
            "avis non envoyé / notification not sent (%s, run %s): %s", body["event"], body["run_id"], exc
        )
        return False
    return True
