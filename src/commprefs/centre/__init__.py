"""The preference centre's service: what the hosted pages show and what their forms change."""
