"""Scoring corpora: rows, input and output formats, resumable runs on joblib or Dask."""
