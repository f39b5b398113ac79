"""The edges: files and params.yaml, MLflow (`tracking`), run provenance (`provenance`), logging."""
