"""Persistence: SQLAlchemy Core tables, the repository, transactions and migrations."""
