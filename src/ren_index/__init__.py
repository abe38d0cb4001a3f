"""ren-index: harvest, normalize, validate and index Quebec's digital educational resources (REN)."""

__version__ = "0.1.0"
