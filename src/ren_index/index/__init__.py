"""The OpenSearch side: index definition, documents, bulk sync and search.

OpenSearch is the search engine, not the system of record: these modules turn ledger records
into documents and send them, and the index can be rebuilt from the ledger at any time. The
ledger decides *which* records to send (``ren_index.steps.index``); this package only knows how.

- :mod:`.client` — a configured client and a reachability check with an actionable message;
- :mod:`.schema` — the versioned index definition, index creation and aliases;
- :mod:`.documents` — ``Resource`` -> document (pure) and its stable hash;
- :mod:`.bulk` — upserts and deletes in one streaming bulk, per-id outcome;
- :mod:`.search` — the portal query.
"""
