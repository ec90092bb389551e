"""The revisions, each self-contained: what it needs is frozen inside it, never imported."""
