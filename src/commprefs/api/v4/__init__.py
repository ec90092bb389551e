"""HubSpot's v4 API and its date versions (2026-03, 2026-09, 2025-09): the same routes under
each prefix."""
