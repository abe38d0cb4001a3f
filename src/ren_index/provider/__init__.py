"""The OAI-PMH 2.0 provider: the ledger's approved (and withdrawn) records, for other harvesters.

Campus numérique, the national showcase, harvests Pavillon's approved resources back from us.
``repository`` holds the protocol (verbs, arguments, errors, paging) over ``queries`` (what is
exposed, datestamps, sets); ``serializers`` and ``lom`` write oai_dc and IEEE LOM (Normetic);
``tokens`` makes the stateless resumption tokens. HTTP lives in ``ren_index.web.routes_oai``.
"""

from ren_index.provider.repository import OaiRepository, ProviderConfig

__all__ = ["OaiRepository", "ProviderConfig"]
