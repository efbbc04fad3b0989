"""The HTTP API: dependencies, request parsing and routers."""
