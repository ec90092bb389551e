"""Signed preference-page links: generation (E6), verification, key rotation."""
