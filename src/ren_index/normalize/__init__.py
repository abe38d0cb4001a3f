"""The normalize stage: harvested metadata (oai_dc, LOM and its profiles) -> canonical Resource.

``normalize(payload, provenance) -> (Resource, [Issue])`` is pure: no I/O, no database.
"""

from ren_index.normalize.registry import MAPPERS, NAMESPACES, Mapper, format_of, normalize

__all__ = ["MAPPERS", "NAMESPACES", "Mapper", "format_of", "normalize"]
