"""Email Subscriptions v1 (``/email/public/v1/subscriptions``): HubSpot's legacy wire format."""
