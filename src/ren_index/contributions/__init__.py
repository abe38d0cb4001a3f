"""Contributions pushed by platforms (Ma classe of École ouverte): keys, the submission contract,
and what becomes of each contribution — through the same normalize → validate → decide as a harvest.
"""
