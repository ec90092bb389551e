"""HubSpot's v4 API and its date versions (2026-03): the same routes under each prefix."""
