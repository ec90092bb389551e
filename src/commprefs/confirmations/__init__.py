"""Double opt-in (our extension, issue 16): confirmation requests, their mails and the worker
that sends them, and the confirmation itself."""
