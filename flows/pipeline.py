"""Prefect deployment entrypoint: ``flows/pipeline.py:pipeline``.

The flow itself lives in the package (:mod:`ren_index.orchestration.flow`) so an installed
ren-index has it without this folder; this file only hands it to ``prefect deploy`` and to
workers that load a flow from a path.
"""

from ren_index.orchestration.flow import pipeline

__all__ = ["pipeline"]
