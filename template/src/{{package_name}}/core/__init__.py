"""The pure core: data frames and values in, results out; no files, no MLflow, no network.

`tests/unit/test_architecture.py` keeps it that way as the project grows.
"""
