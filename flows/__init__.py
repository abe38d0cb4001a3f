"""Prefect flows: thin wiring of the ren-index steps (no logic lives here)."""
