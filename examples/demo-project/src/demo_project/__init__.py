"""A machine-learning project built from the Berth template."""

__version__ = "0.1.0"
