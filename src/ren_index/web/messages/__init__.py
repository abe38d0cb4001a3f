"""The app's words, one module per part of the app (data only; :mod:`ren_index.web.i18n` merges them)."""
