"""`convergence report --campaign CODE --scope services|products ...`: the campaign report
(contract, section 5). JSON on standard output by default."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import CommandParser

from convergence.analytics.engine import (
    DEFAULT_MIN_CELL,
    DEFAULT_THRESHOLD,
    ReportError,
    ReportParams,
    report_compute,
)
from convergence.analytics.renderers import EXTENSIONS, render
from convergence.analytics.selectors import report_labels
from convergence.lib.commands import DataCommand


class Command(DataCommand):
    help = (
        "Compute a campaign report (JSON by default; CSV as a zip of one CSV per section, XLSX, HTML, PDF)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", required=True, help="campaign code")
        parser.add_argument("--scope", required=True, choices=["services", "products"])
        parser.add_argument(
            "--region", help="region code: a service's region, a product's organisation's region"
        )
        parser.add_argument(
            "--category",
            help="keep one service type (services) or product category (products), by code",
        )
        parser.add_argument(
            "--public", action="store_true", help="public mode: suppress cells below --min-cell"
        )
        parser.add_argument(
            "--min-cell", type=int, default=None, help=f"K of the public mode (default {DEFAULT_MIN_CELL})"
        )
        parser.add_argument(
            "--threshold",
            type=float,
            default=DEFAULT_THRESHOLD,
            help=f"reached rate counted in axes_reaching_threshold (default {DEFAULT_THRESHOLD})",
        )
        parser.add_argument("--format", default="json", choices=list(EXTENSIONS), dest="fmt")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(
        self, *args, campaign, scope, region, category, public, min_cell, threshold, fmt, output, **options
    ):
        if min_cell is not None and not public:
            self.stderr.write("min-cell: only used with --public; ignored")
        params = ReportParams(
            campaign=campaign,
            scope=scope,
            region=region,
            category=category,
            public=public,
            min_cell=DEFAULT_MIN_CELL if min_cell is None else min_cell,
            threshold=threshold,
        )
        if fmt in ("xlsx", "pdf", "csv") and output is None and sys.stdout.isatty():
            self._fail(f"output: a {fmt} file is binary; give a file name with -o")
        try:
            report = report_compute(params).as_dict()
        except ReportError as error:
            self._fail(str(error))
        context = report_labels(campaign_code=campaign) if fmt in ("html", "pdf") else None
        content = render(report, fmt, context=context)
        if output is None:
            sys.stdout.flush()
            sys.stdout.buffer.write(content)
            sys.stdout.buffer.flush()
            return
        try:
            Path(output).write_bytes(content)
        except OSError as error:
            self._fail(f"output: cannot write {output} ({error.strerror or error})")

    def _fail(self, message: str) -> None:
        self.stderr.write(message)
        sys.exit(2)
