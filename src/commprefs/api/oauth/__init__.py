"""HubSpot's OAuth v1 token API (issue 14): the token endpoint and token introspection."""
