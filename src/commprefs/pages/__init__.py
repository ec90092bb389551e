"""The hosted preference centre: manage, unsubscribe-all and unsubscribe-single pages."""
