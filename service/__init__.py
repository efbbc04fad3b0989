"""slant's service layer: the HTTP API, the ``slant`` command line and the model registry."""

from importlib import metadata

try:
    __version__ = metadata.version("slant")
except metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
