"""How many pages one harvest may fetch: a source must not be able to keep a run going forever.

Why here and not in each harvester: every protocol can be made to page without end — new OAI-PMH
resumption tokens on empty pages, Atom ``next`` links, WordPress ``?paged=N`` — and the harvest
step, where every page of every protocol passes, checks each one with :class:`PageBounds` after
storing it (so the checkpoint is saved and a rerun goes on from there).
"""

from __future__ import annotations

from ren_index.errors import HarvestError
from ren_index.harvest.base import Page


class PageBounds:
    """The bounds of one harvest call: empty pages in a row, and pages in all.

    ``max_empty`` pages in a row with no record but a next page look like an endless list (a
    repository answering empty pages, each with a new token, was harvested 1,832 times in 90 s);
    ``max_pages`` bounds any list, even one whose pages all carry records.
    """

    def __init__(self, *, endpoint: str, metadata_prefix: str | None, max_empty: int, max_pages: int) -> None:
        self.endpoint = endpoint
        self.metadata_prefix = metadata_prefix
        self.max_empty = max_empty
        self.max_pages = max_pages
        self.pages = 0
        self.empty_in_a_row = 0

    def check(self, page: Page, set_spec: str | None) -> None:
        """Count ``page`` (already stored); :class:`HarvestError` when the next one would cross a bound."""
        self.pages += 1
        if page.next_token is None:
            return
        self.empty_in_a_row = 0 if page.records else self.empty_in_a_row + 1
        if self.empty_in_a_row >= self.max_empty:
            raise self._error(
                f"{self.empty_in_a_row} pages de suite sans aucune notice, chacune avec une page suivante :"
                f" arrêt, la liste semble sans fin (REN_HARVEST_MAX_EMPTY_PAGES={self.max_empty}) /"
                f" {self.empty_in_a_row} pages in a row without any record, each with a next page:"
                f" stopping, the list looks endless (REN_HARVEST_MAX_EMPTY_PAGES={self.max_empty})",
                page,
                set_spec,
            )
        if self.pages >= self.max_pages:
            raise self._error(
                f"limite de {self.max_pages} pages atteinte (REN_HARVEST_MAX_PAGES) ; relancer la moisson"
                f" reprend au point d'arrêt / page limit of {self.max_pages} reached"
                " (REN_HARVEST_MAX_PAGES); running the harvest again goes on from where it stopped",
                page,
                set_spec,
            )

    def _error(self, message: str, page: Page, set_spec: str | None) -> HarvestError:
        return HarvestError(
            message,
            endpoint=self.endpoint,
            set_spec=set_spec,
            metadata_prefix=self.metadata_prefix,
            resumption_token=page.next_token,
        )
