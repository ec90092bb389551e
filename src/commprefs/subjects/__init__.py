"""Data subjects' rights (GDPR Art. 15, issue 16): everything held about one address."""
