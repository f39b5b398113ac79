"""The edges: files (`files`, `params`), MLflow (`tracking`), git and DVC (`provenance`), logging."""
