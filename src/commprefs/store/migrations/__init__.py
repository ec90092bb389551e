"""Alembic's environment and revisions: the only source of the schema."""
