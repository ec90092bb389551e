"""HTTP entry points: HubSpot's v4 / 2026-03 and v3 APIs, thin over the services."""
