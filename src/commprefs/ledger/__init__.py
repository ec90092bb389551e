"""The consent ledger: its hash chain, history and as-of queries, and verification."""
