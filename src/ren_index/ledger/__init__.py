"""The ledger: every record's life in one database (SQLite by default, PostgreSQL in production)."""
