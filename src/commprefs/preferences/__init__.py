"""The rules of subscription preferences: statuses, unsubscribe-all, resubscribe, legal basis."""
