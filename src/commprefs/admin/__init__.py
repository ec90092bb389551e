"""The administration over HTTP (issue 17): the CLI's admin commands as services that leave an
audit record naming who acted, and import jobs that run in the background."""
