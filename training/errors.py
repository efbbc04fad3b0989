"""Errors raised by the training package; the service maps them to HTTP statuses."""


class NothingToScore(ValueError):
    """The text holds no words once normalized (empty, whitespace, markup only)."""


class DatasetError(ValueError):
    """A labeled-data file is malformed; the message names the file and line."""
