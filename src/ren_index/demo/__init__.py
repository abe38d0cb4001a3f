"""The bundled demo source: a realistic catalogue and a local OAI-PMH endpoint serving it.

``ren-index demo`` and the tests harvest it like any partner repository, over real HTTP, so the
whole pipeline runs without network access or a partner's goodwill.
"""

from ren_index.demo.catalogue import DemoRecord, demo_records
from ren_index.demo.records import metadata_xml
from ren_index.demo.server import DemoOaiServer

__all__ = ["DemoOaiServer", "DemoRecord", "demo_records", "metadata_xml"]
