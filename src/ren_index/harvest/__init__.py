"""Harvesters: each yields raw records (:class:`ren_index.harvest.base.RawRecord`) from one kind of source."""
