"""Problems found in a dataset file: where (kept exact) and what (in the reader's language).

A problem is a location (`row 45, column level`, `subjects[12].type`, `file`), which is the
same in every language, and a message, which is translated when it is shown: the command line
prints it in English (the contract's wording, for scripts), the web pages in the reader's
language. Messages are therefore kept untranslated until then:

- `Message(_("unknown campaign \"%(code)s\""), code=...)`: a lazily translated template and its
  parameters (which may be lazy themselves), interpolated in the active language;
- `Rendered({"en": ..., "fr": ...})`: a message already written in each language, for
  validators that translate their messages eagerly (the answer checks).

An import run stores each problem rendered in every language of the site (`as_json`), so that
its page shows it in the language of whoever reads it, whenever that is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import get_language, override

SOURCE_LANGUAGE = "en"  # the language of the source strings, which the command line prints
ROW_RE = re.compile(r"row (?P<row>\d+)(?:, column (?P<column>\w+))?\Z")
# A problem stored as one line before problems were kept per language.
LEGACY_RE = re.compile(r"row (?P<row>\d+)(?:, column (?P<column>[\w]+))?: (?P<message>.*)\Z", re.S)


def languages() -> list[str]:
    """The languages a problem is written in: English (the source) and every site language."""
    return list(dict.fromkeys([SOURCE_LANGUAGE, *(code for code, _name in settings.LANGUAGES)]))


def pick(texts: Mapping[str, str], language: str | None) -> str:
    """The text for `language` (or its base language: `fr` for `fr-ca`), else English, else any."""
    if language:
        for code in (language, language.split("-")[0]):
            if code in texts:
                return texts[code]
    if SOURCE_LANGUAGE in texts:
        return texts[SOURCE_LANGUAGE]
    return next(iter(texts.values()), "")


class Message:
    """A translatable template (`gettext_lazy`) and its `%(name)s` parameters, interpolated in
    the active language each time it is turned into text."""

    __slots__ = ("params", "template")

    def __init__(self, template: Text, /, **params: Any):
        self.template = template
        self.params = params

    def __str__(self) -> str:
        template = str(self.template)
        if not self.params:
            return template
        return template % {
            name: str(value) if isinstance(value, Promise | Message | Rendered) else value
            for name, value in self.params.items()
        }

    def __repr__(self) -> str:
        return f"Message({str(self.template)!r}, **{self.params!r})"


class Rendered:
    """A message already written in each language: the text of the active language."""

    __slots__ = ("texts",)

    def __init__(self, texts: Mapping[str, str]):
        self.texts = dict(texts)

    def __str__(self) -> str:
        return pick(self.texts, get_language())

    def __repr__(self) -> str:
        return f"Rendered({self.texts!r})"


Text = str | Promise | Message | Rendered


def render(message: Text, language: str | None) -> str:
    """`message` in `language` (None: the active language)."""
    if language is None:
        return str(message)
    if isinstance(message, Rendered):
        return pick(message.texts, language)
    with override(language):
        return str(message)


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One problem: `where` it is (exact, never translated) and what is wrong."""

    where: str
    message: Text

    def text(self, language: str | None = None) -> str:
        """`where: message`, the message in `language` (None: the active language)."""
        message = render(self.message, language)
        return f"{self.where}: {message}" if self.where else message

    def english(self) -> str:
        """The line the command line prints (contract, section 1)."""
        return self.text(SOURCE_LANGUAGE)

    def __str__(self) -> str:
        return self.text()

    def as_json(self) -> dict[str, Any]:
        """What an import run stores: the location and the message in every site language."""
        return {"where": self.where, "message": {code: render(self.message, code) for code in languages()}}


def stored_problem_cells(stored: Any, language: str | None = None) -> tuple[str, str, str]:
    """A problem stored on an import run → (row, column, message) for the error table, the
    message in `language` (None: the active language). A problem outside the rows keeps its
    location in the message (`file: ...`). Reads the older one-line form too (English only)."""
    if isinstance(stored, dict):
        where = str(stored.get("where") or "")
        texts = stored.get("message")
        message = pick(texts, language or get_language()) if isinstance(texts, dict) else str(texts or "")
        match = ROW_RE.match(where)
        if match is not None:
            return match["row"], match["column"] or "", message
        return "", "", f"{where}: {message}" if where else message
    line = str(stored)
    legacy = LEGACY_RE.match(line)
    if legacy is None:
        return "", "", line
    return legacy["row"], legacy["column"] or "", legacy["message"]
