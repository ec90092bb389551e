"""Legacy v3 API (reference §4.2): the operations HubSpot's older clients call."""
