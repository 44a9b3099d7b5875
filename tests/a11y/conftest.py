from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def pytest_collection_modifyitems(config, items):
    """Without `npm ci` (no node here) there is no axe-core: the tests skip, except in CI."""
    if AXE.exists():
        return
    import os

    message = f"axe-core is not installed ({AXE}): run `npm ci` (make install does)"
    if os.environ.get("CONVERGENCE_REQUIRE_BROWSER"):
        raise pytest.UsageError(message)
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # axe is injected as a <script> by Playwright: the site's CSP (script-src with a nonce) would
    # refuse it. Nothing else of the page changes.
    return {**browser_context_args, "bypass_csp": True, "viewport": {"width": 1280, "height": 900}}
