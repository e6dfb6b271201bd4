"""Database: tables, engine and transactions, Alembic migrations."""
