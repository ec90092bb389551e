"""Bulk import and export of statuses (CSV, NDJSON), and suppression lists."""
