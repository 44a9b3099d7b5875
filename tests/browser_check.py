"""Say before the test run whether browser tests can run here, and fail CI if they cannot."""

import os
import shutil
import sys

path = shutil.which("chromium")
if path:
    print(f"browser tests: using Debian's Chromium at {path}")
elif os.environ.get("CONVERGENCE_REQUIRE_BROWSER"):
    print(
        "error: browser tests are required (CONVERGENCE_REQUIRE_BROWSER) but chromium is not installed;"
        " run: apt-get install -y chromium",
        file=sys.stderr,
    )
    sys.exit(1)
else:
    print(
        "browser tests: SKIPPED — Debian's chromium is not installed (apt-get install -y chromium);"
        " `playwright install` cannot work offline, so these tests need the system browser."
    )
