"""The one exception type the CLI turns into exit code 1 with a plain message."""


class ClearsightError(Exception):
    """A failure Clearsight can explain to its user (bad input, missing key, unreadable file)."""
