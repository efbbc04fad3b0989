"""The optional dependencies of the report: pandas, pyarrow and matplotlib (`slant[report]`)."""

from __future__ import annotations

from importlib import import_module

REPORT_PACKAGES: tuple[str, ...] = ("pandas", "pyarrow", "matplotlib")


class ReportExtraMissing(ImportError):
    """The report needs packages the core install does not have."""


def require_report_extra() -> None:
    """Raise ``ReportExtraMissing`` naming the extra when a report package cannot be imported."""
    for name in REPORT_PACKAGES:
        try:
            import_module(name)
        except ImportError as error:
            raise ReportExtraMissing(
                f"the outlet report needs {name}, which is not installed (install slant[report])",
                name=name,
            ) from error
