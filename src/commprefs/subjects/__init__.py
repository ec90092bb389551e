"""Data subjects' rights (GDPR, issue 16): everything held about one address (Art. 15,
export.py) and its erasure (Art. 17, erasure.py)."""
