"""`convergence export_dataset --campaign CODE [--format json|csv|xlsx] [-o FILE]`."""

import sys

from django.core.management.base import no_translations

from convergence.assessments.models import Campaign
from convergence.exchange import exporter
from convergence.lib.commands import DataCommand


class Command(DataCommand):
    help = "Write a campaign's data as a dataset (JSON by default, or the flat CSV/XLSX rows)."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="campaign code")
        parser.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
        parser.add_argument(
            "-o", "--output", help="output file (default: standard output; required for xlsx)"
        )

    # Messages for scripts and logs stay in English, whatever the site's default language
    # (the contract's wording: `row 45, column level: ...`).
    @no_translations
    def handle(self, *args, campaign: str, format: str, output: str | None, **options):
        found = Campaign.objects.select_related("referential").filter(code=campaign).first()
        if found is None:
            known = ", ".join(Campaign.objects.order_by("code").values_list("code", flat=True)) or "none"
            self.stderr.write(f'campaign: unknown campaign "{campaign}"; known campaigns: {known}')
            sys.exit(2)
        if format == "xlsx":
            if not output:
                self.stderr.write("output: XLSX is binary; give a file with -o FILE.xlsx")
                sys.exit(2)
            exporter.write_xlsx(output, found)
            return
        pieces = exporter.iter_json(found) if format == "json" else exporter.iter_csv(found)
        if output:
            # newline="" keeps the CSV's CRLF row ends as the csv module wrote them.
            with open(output, "w", encoding="utf-8", newline="") as target:
                for piece in pieces:
                    target.write(piece)
        else:
            for piece in pieces:
                sys.stdout.write(piece)
            sys.stdout.flush()
