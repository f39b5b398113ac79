"""The one exception type the CLI turns into a one-line error and a non-zero exit."""


class ProjectError(Exception):
    """A problem the user can fix: bad input, a missing file, an invalid setting."""
