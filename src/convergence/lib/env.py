"""Strict reading of the environment for the settings.

Every variable the settings read is declared here with its type; a malformed value (`DEBUG=maybe`,
`CONN_MAX_AGE=ten`) or an unknown `CONVERGENCE_*` variable (a typo such as
`CONVERGENCE_PROFIL`) stops the process at start with one clear line per problem, instead of
running with a default the operator did not choose.
"""

from __future__ import annotations

import builtins
import difflib
import os
import sys
from collections.abc import Mapping
from urllib.parse import urlsplit

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})

# Names starting with this prefix belong to the project: any one not declared is a typo.
PREFIX = "CONVERGENCE_"


class InvalidEnvironment(Exception):
    """Raised once with every problem found (one per line)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid environment:\n" + "\n".join(f"  {problem}" for problem in problems))


class Env:
    """Reads typed values from a mapping (os.environ by default) and collects the problems, so
    that the settings report all of them at once (`raise_if_problems`)."""

    def __init__(self, environ: Mapping[builtins.str, builtins.str] | None = None):
        self.environ = os.environ if environ is None else environ
        self.known: set[builtins.str] = set()
        self.problems: builtins.list[builtins.str] = []

    def _raw(self, name: builtins.str) -> builtins.str | None:
        self.known.add(name)
        return self.environ.get(name)

    def str(self, name: builtins.str, default: builtins.str = "") -> builtins.str:
        value = self._raw(name)
        return default if value is None else value

    def bool(self, name: builtins.str, default: builtins.bool = False) -> builtins.bool:
        value = self._raw(name)
        if value is None:
            return default
        normalised = value.strip().lower()
        if normalised in TRUE:
            return True
        if normalised in FALSE:
            return False
        self.problems.append(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")
        return default

    def int(
        self, name: builtins.str, default: builtins.int, *, minimum: builtins.int | None = None
    ) -> builtins.int:
        value = self._raw(name)
        if value is None or not value.strip():
            return default
        try:
            number = int(value.strip().replace("_", ""))
        except ValueError:
            self.problems.append(f"{name}={value!r} is not a whole number")
            return default
        if minimum is not None and number < minimum:
            self.problems.append(f"{name}={value!r} must be at least {minimum}")
            return default
        return number

    def list(self, name: builtins.str, default: builtins.str = "") -> builtins.list[builtins.str]:
        value = self._raw(name)
        return [item.strip() for item in (default if value is None else value).split(",") if item.strip()]

    def int_list(self, name: builtins.str, default: builtins.str) -> builtins.list[builtins.int]:
        items = self.list(name, default)
        try:
            return [int(item) for item in items]
        except ValueError:
            self.problems.append(
                f"{name}={self.environ.get(name)!r} is not a comma-separated list of numbers"
            )
            return [int(item) for item in default.split(",") if item.strip()]

    def choice(
        self, name: builtins.str, choices: tuple[builtins.str, ...], default: builtins.str
    ) -> builtins.str:
        value = self._raw(name)
        if value is None or not value.strip():
            return default
        if value.strip() not in choices:
            self.problems.append(f"{name}={value!r} is not one of: {', '.join(choices)}")
            return default
        return value.strip()

    def url(
        self, name: builtins.str, schemes: tuple[builtins.str, ...], default: builtins.str = ""
    ) -> builtins.str:
        value = self._raw(name)
        if value is None or not value.strip():
            return default
        parts = urlsplit(value.strip())
        if parts.scheme not in schemes or not (parts.netloc or parts.path):
            self.problems.append(f"{name}: {_redact(value)!r} is not a URL of scheme {' or '.join(schemes)}")
            return default
        return value.strip()

    def require(self, name: builtins.str, why: builtins.str) -> None:
        """Records a problem when a variable the profile needs is missing or empty."""
        self.known.add(name)
        if not (self.environ.get(name) or "").strip():
            self.problems.append(f"{name} must be set ({why})")

    def check_unknown(self, also_known: tuple[builtins.str, ...] = ()) -> None:
        known = self.known | set(also_known)
        for name in sorted(self.environ):
            if name.startswith(PREFIX) and name not in known:
                close = difflib.get_close_matches(name, sorted(n for n in known if n.startswith(PREFIX)), 1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                self.problems.append(f"{name} is not a setting of Convergence{hint}")

    def raise_if_problems(self) -> None:
        if self.problems:
            raise InvalidEnvironment(self.problems)

    def exit_if_problems(self) -> None:
        """At start: one line per problem on standard error and exit status 2, no traceback."""
        if self.problems:
            sys.stderr.write(f"convergence: {InvalidEnvironment(self.problems)}\n")
            raise SystemExit(2)


def _redact(url: str) -> str:
    """A URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
