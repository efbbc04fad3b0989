"""Outlet reports from batch scores: per-group tables, charts and one self-contained HTML page.

pandas, pyarrow and matplotlib come with the ``slant[report]`` extra; importing this package
without them raises ``ReportExtraMissing`` (an ``ImportError``) that says so. The core never
imports this package.
"""

from service.outlet_report.extra import ReportExtraMissing, require_report_extra

require_report_extra()

from service.outlet_report.build import ArticleRenderer, ReportFiles, build_report  # noqa: E402

__all__ = ["ArticleRenderer", "ReportExtraMissing", "ReportFiles", "build_report"]
