"""Link health: whether each published resource's landing page still leads somewhere (docs/links.md)."""
