"""The one error a migration reports to the user."""


class MigrationError(Exception):
    """A problem the user must fix; printed as one message, exit status 1."""
