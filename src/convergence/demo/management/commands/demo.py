"""`convergence demo`: the default referentials and a realistic demonstration data set."""

from django.conf import settings
from django.core.management.base import CommandError

from convergence.demo.accounts import DEMO_PASSWORD, DEMO_TOTP_SECRET
from convergence.demo.generator import DEFAULT_SEED, accounts_ensure, generate
from convergence.lib.commands import DataCommand
from convergence.referential.schema import ReferentialFileError
from convergence.referential.services import load_default_referentials


class Command(DataCommand):
    help = (
        "Load the default referentials (doctrine 2019 and 2023) and a deterministic demonstration "
        "data set: regions, services, vendors, products, two campaigns and one account per role. "
        "Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=float, default=1.0, help="multiply the number of subjects (default 1)"
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default: fixed)")

    def handle(self, *args, scale: float, seed: int, **options):
        if scale <= 0:
            raise CommandError("--scale must be positive")
        try:
            for result in load_default_referentials():
                self.stdout.write(result.summary)
        except ReferentialFileError as error:
            raise CommandError("\n".join(error.problems)) from None
        counts = generate(scale=scale, seed=seed)
        if counts.skipped:
            self.stdout.write("demonstration data already loaded; nothing to add")
        else:
            self.stdout.write(
                f"created {counts.organisations} organisations, {counts.services} regional services, "
                f"{counts.products} products, {sum(counts.assessments.values())} assessments, "
                f"{counts.answers} answers, {counts.milestones} milestones, {counts.blockers} blockers"
            )
        demo_mode = getattr(settings, "DEMO_MODE", False)
        accounts = accounts_ensure(
            password=DEMO_PASSWORD if demo_mode else None, totp_secret=DEMO_TOTP_SECRET if demo_mode else None
        )
        if not demo_mode:
            self.stdout.write(
                f"{len(accounts)} demonstration accounts exist without a password "
                "(set CONVERGENCE_DEMO=1 to enable them; see docs/demo.md)"
            )
            return
        self.stdout.write("")
        self.stdout.write("Demonstration accounts (demo mode only):")
        width = max(len(email) for email, _org, _role in accounts)
        for email, organisation, role in accounts:
            self.stdout.write(f"  {email:<{width}}  {role:<15} {organisation.name}")
        self.stdout.write(f"  password for every account: {DEMO_PASSWORD}")
        self.stdout.write(
            f"  two-factor secret (agency, mandataire, représentant, administrateur): {DEMO_TOTP_SECRET}"
            " — add it to a TOTP app, or: oathtool --totp -b " + DEMO_TOTP_SECRET
        )
