"""One crosswalk module per metadata format, plus the text and value normalizers they share."""
