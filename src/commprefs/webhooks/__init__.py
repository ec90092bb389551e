"""Change events (ledger entries), webhook endpoints, signed delivery with retries, replays."""
