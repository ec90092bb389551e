"""What the service tells its operators besides its answers: structured logs (logs.py). The
metrics, which need the HTTP layer, are api/metrics.py."""
