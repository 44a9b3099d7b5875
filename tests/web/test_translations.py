"""The French catalog is complete, compiled, and used: French is the site's default language and
English its complete alternative, so a missing or stale translation is a visible defect."""

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

LOCALE_DIR = Path(settings.LOCALE_PATHS[0]) / "fr" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"
MSGFMT = shutil.which("msgfmt")

# %(name)s / %(n)d / %(size).1f, and the bare %s / %d / %%.
PYTHON_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdif]|%%")
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def where(self) -> str:
        return f"django.po line {self.line}: {self.msgid[:70]!r}"


def _unquote(text: str) -> str:
    body = text.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), "\\" + m.group(1)), body)


def parse_po(path: Path) -> list[Entry]:
    """A small PO reader (no third-party dependency): active entries, the header excluded."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None
    flags: set[str] = set()
    after_msgctxt = False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#~"):  # obsolete entries are not compiled
            continue
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            assert current is not None and target is not None, f"line {number}: string outside an entry"
            name, index = target
            if index is None:
                setattr(current, name, getattr(current, name) + _unquote(line))
            else:
                current.msgstr_plural[index] += _unquote(line)
            continue
        # An entry starts at its msgctxt, or at its msgid when it has no context.
        if keyword == "msgctxt" or (keyword == "msgid" and not after_msgctxt):
            current = Entry(line=number, flags=flags)
            entries.append(current)
            flags = set()
        after_msgctxt = keyword == "msgctxt"
        assert current is not None, f"line {number}: {keyword} outside an entry"
        plural = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if plural:
            index = int(plural.group(1))
            current.msgstr_plural[index] = _unquote(rest)
            target = ("msgstr_plural", index)
        elif keyword in ("msgctxt", "msgid", "msgid_plural", "msgstr"):
            setattr(current, keyword, _unquote(rest))
            target = (keyword, None)
        else:
            raise AssertionError(f"line {number}: unexpected {keyword!r}")
    return [entry for entry in entries if entry.msgid]  # the header has an empty msgid


def nplurals(path: Path) -> int:
    match = re.search(r"nplurals=(\d+)", path.read_text(encoding="utf-8"))
    assert match, "the French catalog has no Plural-Forms header"
    return int(match.group(1))


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    assert PO_FILE.exists(), f"{PO_FILE} is missing: run `convergence makemessages -l fr`"
    return parse_po(PO_FILE)


def test_the_parser_reads_every_entry_msgfmt_counts(entries):
    if not MSGFMT:
        pytest.skip("msgfmt (gettext) is not installed: cannot cross-check the PO reader")
    result = subprocess.run(
        [MSGFMT, "--statistics", "-o", "/dev/null", str(PO_FILE)], capture_output=True, text=True, check=True
    )
    counts = [int(n) for n in re.findall(r"(\d+) ", result.stderr)]
    assert sum(counts) == len(entries), result.stderr


def test_the_french_catalog_has_no_untranslated_entry(entries):
    untranslated = [
        entry.where
        for entry in entries
        if (entry.msgid_plural is None and not entry.msgstr)
        or (entry.msgid_plural is not None and not all(entry.msgstr_plural.values()))
    ]
    assert not untranslated, "Untranslated French entries:\n" + "\n".join(untranslated)


def test_the_french_catalog_has_no_fuzzy_entry(entries):
    fuzzy = [entry.where for entry in entries if "fuzzy" in entry.flags]
    assert not fuzzy, "Fuzzy French entries (check the translation, then remove the flag):\n" + "\n".join(
        fuzzy
    )


def test_plural_entries_give_every_plural_form(entries):
    expected = set(range(nplurals(PO_FILE)))
    wrong = [
        entry.where
        for entry in entries
        if entry.msgid_plural is not None and set(entry.msgstr_plural) != expected
    ]
    assert not wrong, f"Plural entries without the {len(expected)} forms of the header:\n" + "\n".join(wrong)


def test_translations_keep_the_placeholders_of_the_source(entries):
    wrong = []
    for entry in entries:
        if "python-format" not in entry.flags:
            continue
        source = sorted(PYTHON_PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        named_source = {name for name in source if name}
        translations = [entry.msgstr] if entry.msgid_plural is None else list(entry.msgstr_plural.values())
        for text in translations:
            found = PYTHON_PLACEHOLDER.findall(text)
            # A singular form may drop the count (“une autoévaluation”), never another placeholder.
            if entry.msgid_plural is not None:
                if {name for name in found if name} - named_source or not set(
                    named_source - {"counter", "n"}
                ) <= set(found):
                    wrong.append(entry.where)
            elif sorted(found) != source:
                wrong.append(entry.where)
    assert not wrong, "Translations whose placeholders differ from the source:\n" + "\n".join(wrong)


def test_html_markup_in_a_source_string_is_kept_in_its_translation(entries):
    tag = re.compile(r"</?[a-z][^>]*>")
    wrong = [
        entry.where
        for entry in entries
        if entry.msgstr and sorted(tag.findall(entry.msgid)) != sorted(tag.findall(entry.msgstr))
    ]
    assert not wrong, "Translations whose HTML differs from the source:\n" + "\n".join(wrong)


def test_the_compiled_catalog_is_up_to_date_with_the_po_file(tmp_path):
    if not MSGFMT:
        pytest.skip(
            "msgfmt (gettext) is not installed: cannot recompile django.po to compare it with django.mo"
        )
    assert MO_FILE.exists(), f"{MO_FILE} is missing: run `convergence compilemessages`"
    fresh = tmp_path / "django.mo"
    # The same command as `convergence compilemessages`.
    subprocess.run(
        [MSGFMT, "--check-format", "-o", str(fresh), str(PO_FILE)], check=True, capture_output=True
    )
    assert fresh.read_bytes() == MO_FILE.read_bytes(), (
        "django.mo is older than django.po: run `convergence compilemessages` and commit django.mo"
    )


PUBLIC_PAGES = [
    # (url, French phrase, English phrase)
    (
        "/",
        "Piloter l’adoption de la doctrine du numérique en santé",
        "Steering the adoption of the e-health doctrine",
    ),
    (
        "/referentiels/",
        "Les éditions de la doctrine du numérique en santé",
        "The editions of the e-health doctrine that products and services are assessed against",
    ),
    ("/rapports/observatoire/", "Rapports publiés", "Published reports"),
    ("/accessibilite/", "Accessibilité\u00a0: partiellement conforme", "Accessibility: partially compliant"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "french", "english"), PUBLIC_PAGES)
def test_a_public_page_is_in_french_by_default_and_in_english_on_request(url, french, english):
    default = Client().get(url)  # no Accept-Language header: the site's default language
    assert default.status_code == 200
    page = default.content.decode()
    assert '<html lang="fr"' in page
    assert french in page
    assert english not in page

    asked = Client(HTTP_ACCEPT_LANGUAGE="en").get(url)
    assert asked.status_code == 200
    page = asked.content.decode()
    assert '<html lang="en"' in page
    assert english in page
    assert french not in page


@pytest.mark.django_db
def test_the_language_chosen_with_the_header_button_sticks_over_the_browser_language():
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/referentiels/"})
    assert response.status_code == 302
    page = client.get("/referentiels/").content.decode()
    assert "Referentials" in page and "Référentiels" not in page

    client.post("/i18n/setlang/", {"language": "fr", "next": "/referentiels/"})
    page = client.get("/referentiels/").content.decode()
    assert "Référentiels" in page


@pytest.mark.django_db
def test_allauth_pages_use_the_french_catalog_of_allauth():
    page = Client().get("/comptes/login/").content.decode()
    assert "Mot de passe" in page
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/comptes/login/").content.decode()
    assert "Password" in page and "Mot de passe" not in page


GETTEXT_FUNCTIONS = {
    "_": 0,
    "gettext": 0,
    "gettext_lazy": 0,
    "_lazy": 0,
    "ngettext": 0,
    "ngettext_lazy": 0,
    "pgettext": 1,
    "pgettext_lazy": 1,
    "npgettext": 1,
    "npgettext_lazy": 1,
}
TEMPLATE_STRING = r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
TRANSLATE_TAG = re.compile(
    r"{%\s*(?:translate|trans)\s+" + TEMPLATE_STRING + r"(?:[^%]*?\bcontext\s+" + TEMPLATE_STRING + ")?"
)
TEMPLATE_UNDERSCORE = re.compile(r"\b_\(" + TEMPLATE_STRING + r"\)")


def _source_msgids() -> dict[tuple[str | None, str], str]:
    """(context, msgid) of every literal string the code asks to translate, with where it is:
    Python calls read with `ast`, template tags read the way the template engine reads them."""
    import ast

    from django.utils.text import unescape_string_literal

    root = Path(settings.BASE_DIR)
    found: dict[tuple[str | None, str], str] = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts or "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in GETTEXT_FUNCTIONS:
                continue
            position = GETTEXT_FUNCTIONS[name]
            args = node.args
            if len(args) <= position or not all(
                isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args[: position + 1]
            ):
                continue
            context = args[0].value if position else None
            found[(context, args[position].value)] = f"{path.relative_to(root)}:{node.lineno}"
    for path in sorted((root / "templates").rglob("*")):
        if path.suffix not in (".html", ".txt"):
            continue
        text = path.read_text(encoding="utf-8")
        for match in TRANSLATE_TAG.finditer(text):
            context = unescape_string_literal(match.group(2)) if match.group(2) else None
            line = text.count("\n", 0, match.start()) + 1
            found[(context, unescape_string_literal(match.group(1)))] = f"{path.relative_to(root)}:{line}"
        for match in TEMPLATE_UNDERSCORE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found[(None, unescape_string_literal(match.group(1)))] = f"{path.relative_to(root)}:{line}"
    return found


def test_every_string_the_code_translates_has_a_french_translation(entries):
    """Catches a string added after the last `makemessages`, and a template literal whose runtime
    value differs from what makemessages extracted (a backslash, for instance)."""
    translated = {
        (entry.msgctxt, entry.msgid) for entry in entries if entry.msgstr or any(entry.msgstr_plural.values())
    }
    missing = sorted(
        f"{where}: {msgid!r}"
        for (context, msgid), where in _source_msgids().items()
        if (context, msgid) not in translated
    )
    assert not missing, (
        "Strings with no French translation: run `convergence makemessages -l fr`, translate them in "
        "locale/fr/LC_MESSAGES/django.po, then `convergence compilemessages`:\n" + "\n".join(missing)
    )


@pytest.mark.django_db
def test_the_questionnaire_scale_labels_follow_the_page_language():
    from django.utils import translation

    from convergence.assessments.validation import ReferentialContext
    from convergence.referential.models import ScaleLevel
    from tests.factories import ReferentialFactory

    referential = ReferentialFactory()
    ScaleLevel.objects.create(referential=referential, value=0, label="Non engagé", label_en="Not started")
    with translation.override("fr"):
        assert ReferentialContext.from_referential(referential).scale_labels[0] == "Non engagé"
    with translation.override("en"):
        assert ReferentialContext.from_referential(referential).scale_labels[0] == "Not started"
