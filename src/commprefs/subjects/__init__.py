"""Data-subject rights (issue 16): erasure (erasure.py)."""
