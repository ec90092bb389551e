"""commprefs: email subscription preferences and consent, wire-compatible with HubSpot."""

__version__ = "0.1.0"
