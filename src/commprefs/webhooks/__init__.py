"""Change events: the outbox, webhook endpoints, signed delivery with retries, replays."""
