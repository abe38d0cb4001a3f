"""The ledger: every record's life in one relational database (SQLite by default, PostgreSQL in production)."""
