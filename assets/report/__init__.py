"""The reviewer's report: a self-contained HTML page built from the evidence package alone."""

from assets.report.sections import render_report, write_report

__all__ = ["render_report", "write_report"]
