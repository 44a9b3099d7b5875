"""Reading and checking a referential file (contract, section 2) without touching the database.

`referential_document_parse` turns the raw bytes of a file into a *canonical document*: plain
dicts and lists holding only the keys the format knows, with every optional key present only
when it has a value. The import service writes that document to the database, the export
builds the same document from the database, and `document_hash` fingerprints it; so
"same content" means "same canonical document", whatever the file's layout or comments.

Every problem is collected with its location (`axes[3].levels: missing level 2`) rather than
stopping at the first one, so that an author fixes a file in one pass.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from typing import Any

import yaml
from django.conf import settings

FORMAT = "convergence-referential/1"
REFERENTIAL_CODE_RE = re.compile(r"[a-z0-9][a-z0-9.-]*")
AXIS_CODE_RE = re.compile(r"[A-Z0-9_-]+")
# Codes of blocker categories, families, types and categories: the contract gives no pattern;
# these are identifiers used in dataset files and URLs, so no spaces or punctuation.
ITEM_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
MAX_DEPTH = 20  # the format nests 6 levels deep; deeper input is an attack or a mistake
MAX_LEVEL = 10

Document = dict[str, Any]

_LoaderBase: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ReferentialFileError(Exception):
    """The file cannot be loaded; `problems` holds one line per problem, each with its location."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _StrictLoader(_LoaderBase):  # type: ignore[misc, valid-type]
    """Safe YAML loading that refuses duplicate mapping keys (the last one would silently win)."""

    def construct_mapping(self, node, deep=False):  # noqa: ANN001, ANN201
        seen: dict[Any, Any] = {}
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                ) from None
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {_quote(key)}", key_node.start_mark
                )
            seen[key] = True
        return super().construct_mapping(node, deep=deep)


def _quote(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _mark(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "somewhere"


def _refuse_anchors_and_deep_nesting(text: str) -> None:
    """Scan the event stream before anything is built: an alias is refused *before* it is
    expanded (the "billion laughs" bomb never grows), and so is nesting deep enough to exhaust
    the stack of the composer."""
    depth = 0
    for event in yaml.parse(text, Loader=_LoaderBase):
        if isinstance(event, yaml.AliasEvent):
            where = _mark(event.start_mark)
            raise ReferentialFileError(
                [f"{where}: YAML aliases (*{event.anchor}) are not allowed in a referential"]
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise ReferentialFileError(
                [f"{_mark(event.start_mark)}: YAML anchors (&{anchor}) are not allowed in a referential"]
            )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise ReferentialFileError(
                    [f"{_mark(event.start_mark)}: nesting deeper than {MAX_DEPTH} levels"]
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def yaml_load(source: str | bytes) -> Any:
    """Size check, UTF-8 decoding, anchor refusal, then safe loading; errors as ReferentialFileError."""
    limit = settings.REFERENTIAL_MAX_BYTES
    size = len(source) if isinstance(source, bytes) else len(source.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise ReferentialFileError(
            [f"file: {size} bytes, more than the {limit} bytes a referential may have"]
        )
    if isinstance(source, bytes):
        try:
            text = source.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ReferentialFileError(
                [f"file: not UTF-8 text (byte 0x{source[error.start]:02x} at offset {error.start})"]
            ) from None
    else:
        text = source
    try:
        _refuse_anchors_and_deep_nesting(text)
        documents = list(yaml.load_all(text, Loader=_StrictLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        raise ReferentialFileError([f"{_mark(mark)}: {problem}"]) from None
    except yaml.YAMLError as error:
        raise ReferentialFileError([f"file: invalid YAML ({error})"]) from None
    except ValueError as error:  # PyYAML builds dates itself: "2026-13-01" fails there
        raise ReferentialFileError([f"file: invalid value ({error})"]) from None
    if len(documents) != 1:
        raise ReferentialFileError([f"file: expected one YAML document, found {len(documents)}"])
    return documents[0]


class _Checker:
    """Collects problems while walking the loaded YAML into the canonical document."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def mapping(self, value: Any, where: str, required: set[str], optional: set[str]) -> dict | None:
        if not isinstance(value, dict):
            self.problem(where or "file", f"expected a mapping, got {_kind(value)}")
            return None
        for key in value:
            if not isinstance(key, str) or key not in required | optional:
                allowed = ", ".join(sorted(required | optional))
                self.problem(_join(where, key), f"unknown key {_quote(key)}; allowed keys: {allowed}")
        for key in sorted(required - set(value)):
            self.problem(where or "file", f"missing key {_quote(key)}")
        return value

    def text(
        self, mapping: dict, key: str, where: str, *, max_length: int, required: bool = True
    ) -> str | None:
        if key not in mapping:
            return None
        value = mapping[key]
        path = _join(where, key)
        if value is None and not required:
            return None
        if not isinstance(value, str):
            self.problem(path, f"expected text, got {_kind(value)}")
            return None
        value = value.strip()
        if required and not value:
            self.problem(path, "must not be empty")
            return None
        if len(value) > max_length:
            self.problem(path, f"longer than {max_length} characters ({len(value)})")
            return None
        return value or None

    def code(self, mapping: dict, where: str, pattern: re.Pattern, hint: str, max_length: int) -> str | None:
        if "code" not in mapping:
            return None
        value = mapping["code"]
        path = _join(where, "code")
        if not isinstance(value, str):
            self.problem(path, f"expected a text code, got {_kind(value)} (quote it)")
            return None
        if not pattern.fullmatch(value) or len(value) > max_length:
            self.problem(path, f"invalid code {_quote(value)}: {hint}, at most {max_length} characters")
            return None
        return value

    def integer(self, value: Any, where: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(where, f"expected an integer, got {_kind(value)}")
            return None
        return value

    def level_map(
        self, value: Any, where: str, low: int, high: int, *, max_length: int
    ) -> dict[int, str] | None:
        """A text per level of the scale, every level present and no other."""
        if not isinstance(value, dict):
            self.problem(where, f"expected a mapping of level to text, got {_kind(value)}")
            return None
        result: dict[int, str] = {}
        for key, text in value.items():
            if isinstance(key, bool) or not isinstance(key, int):
                self.problem(f"{where}.{key}", f"a level must be an integer, got {_kind(key)}")
                continue
            if not low <= key <= high:
                self.problem(f"{where}.{key}", f"level {key} outside the scale {low}-{high}")
                continue
            checked = self.text({key: text}, key, where, max_length=max_length)  # type: ignore[arg-type]
            if checked is not None:
                result[key] = checked
        for level in range(low, high + 1):
            if level not in value:
                self.problem(where, f"missing level {level}")
        return {level: result[level] for level in sorted(result)}


def _join(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ({_quote(value[:40])})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, datetime.date):
        return f"a date ({value.isoformat()})"
    return type(value).__name__


TOP_REQUIRED = {"format", "code", "title", "scale", "axes"}
TOP_OPTIONAL = {"title_en", "published_on", "blocker_categories", "service_families", "product_categories"}
AXIS_REQUIRED = {"code", "name"}
AXIS_OPTIONAL = {
    "name_en",
    "group",
    "group_en",
    "description",
    "description_en",
    "levels",
    "levels_en",
    # Ours (docs/referential.md): what to do to reach a level, shown as the next steps.
    "actions",
    "actions_en",
    "action_links",
}
ACTION_MAX_LENGTH = 5_000
LINK_MAX_LENGTH = 500
MAX_LINKS = 10
LINK_RE = re.compile(r"https?://[^\s]+")


def document_from_data(data: Any) -> Document:
    """Check loaded YAML against the format; return the canonical document or raise."""
    check = _Checker()
    top = check.mapping(data, "", TOP_REQUIRED, TOP_OPTIONAL)
    if top is None:
        raise ReferentialFileError(check.problems)
    doc: Document = {}
    if "format" in top and top["format"] != FORMAT:
        check.problem("format", f"expected {_quote(FORMAT)}, got {_quote(top['format'])}")
    doc["format"] = FORMAT
    doc["code"] = check.code(
        top, "", REFERENTIAL_CODE_RE, "use a-z, 0-9, '.' and '-', starting with a-z or 0-9", 100
    )
    doc["title"] = check.text(top, "title", "", max_length=300)
    if (title_en := check.text(top, "title_en", "", max_length=300, required=False)) is not None:
        doc["title_en"] = title_en
    published_on = top.get("published_on")
    if isinstance(published_on, str):
        try:
            published_on = datetime.date.fromisoformat(published_on)
        except ValueError:
            check.problem("published_on", f"expected a date YYYY-MM-DD, got {_quote(published_on)}")
            published_on = None
    if isinstance(published_on, datetime.datetime) or (
        published_on is not None and not isinstance(published_on, datetime.date)
    ):
        check.problem("published_on", f"expected a date YYYY-MM-DD, got {_kind(published_on)}")
        published_on = None
    if published_on is not None:
        doc["published_on"] = published_on

    low, high = _scale(check, top.get("scale"), doc)
    axis_codes = _axes(check, top.get("axes"), doc, low, high)
    _blocker_categories(check, top.get("blocker_categories"), doc)
    _service_families(check, top.get("service_families"), doc, axis_codes, low, high)
    _product_categories(check, top.get("product_categories"), doc, axis_codes, low, high)
    if check.problems:
        raise ReferentialFileError(check.problems)
    return doc


def _scale(check: _Checker, value: Any, doc: Document) -> tuple[int, int]:
    """Return the scale bounds; (0, 3) when they are unusable, so later checks still run."""
    if value is None:
        return 0, 3
    scale = check.mapping(value, "scale", {"min", "max", "labels"}, {"labels_en"})
    if scale is None:
        return 0, 3
    low = check.integer(scale["min"], "scale.min") if "min" in scale else None
    high = check.integer(scale["max"], "scale.max") if "max" in scale else None
    if low is not None and high is not None and not 0 <= low < high <= MAX_LEVEL:
        check.problem("scale", f"expected 0 <= min < max <= {MAX_LEVEL}, got min {low} and max {high}")
        low = high = None
    if low is None or high is None:
        return 0, 3
    out: dict[str, Any] = {"min": low, "max": high}
    if "labels" in scale:
        out["labels"] = check.level_map(scale["labels"], "scale.labels", low, high, max_length=200)
    if scale.get("labels_en") is not None:
        out["labels_en"] = check.level_map(scale["labels_en"], "scale.labels_en", low, high, max_length=200)
    doc["scale"] = out
    return low, high


def _axes(check: _Checker, value: Any, doc: Document, low: int, high: int) -> set[str]:
    codes: dict[str, int] = {}
    doc["axes"] = []
    if value is None:
        return set()
    if not isinstance(value, list) or not value:
        check.problem("axes", f"expected a non-empty list of axes, got {_kind(value)}")
        return set()
    for index, item in enumerate(value):
        where = f"axes[{index}]"
        axis = check.mapping(item, where, AXIS_REQUIRED, AXIS_OPTIONAL)
        if axis is None:
            continue
        code = check.code(axis, where, AXIS_CODE_RE, "use A-Z, 0-9, '_' and '-'", 50)
        if code is not None:
            if code in codes:
                check.problem(
                    f"{where}.code", f"duplicate axis code {_quote(code)} (already axes[{codes[code]}])"
                )
            else:
                codes[code] = index
        out: dict[str, Any] = {"code": code, "name": check.text(axis, "name", where, max_length=300)}
        for key, limit in (("name_en", 300), ("group", 200), ("group_en", 200)):
            if (text := check.text(axis, key, where, max_length=limit, required=False)) is not None:
                out[key] = text
        for key in ("description", "description_en"):
            if (text := check.text(axis, key, where, max_length=10_000, required=False)) is not None:
                out[key] = text
        if axis.get("levels") is not None:
            out["levels"] = check.level_map(axis["levels"], f"{where}.levels", low, high, max_length=5_000)
        if axis.get("levels_en") is not None:
            if axis.get("levels") is None:
                check.problem(
                    f"{where}.levels_en", "English descriptors given without the descriptors (levels)"
                )
            out["levels_en"] = check.level_map(
                axis["levels_en"], f"{where}.levels_en", low, high, max_length=5_000
            )
        _actions(check, axis, where, out, low, high)
        doc["axes"].append(out)
    return set(codes)


def _action_levels(check: _Checker, value: Any, where: str, low: int, high: int) -> dict[int, Any] | None:
    """A partial map of level to something: the levels above the lowest one (a level one reaches)."""
    if not isinstance(value, dict):
        check.problem(where, f"expected a mapping of level to text, got {_kind(value)}")
        return None
    result: dict[int, Any] = {}
    for key, item in value.items():
        if isinstance(key, bool) or not isinstance(key, int):
            check.problem(f"{where}.{key}", f"a level must be an integer, got {_kind(key)}")
        elif not low < key <= high:
            check.problem(
                f"{where}.{key}",
                f"level {key}: actions lead to a level of {low + 1}-{high} (the scale is {low}-{high})",
            )
        else:
            result[key] = item
    return result


def _actions(check: _Checker, axis: dict, where: str, out: dict[str, Any], low: int, high: int) -> None:
    """`actions` (level → what to do to reach it), `actions_en`, `action_links` (level → URLs)."""
    texts: dict[str, dict[int, str]] = {}
    for key in ("actions", "actions_en"):
        if axis.get(key) is None:
            continue
        levels = _action_levels(check, axis[key], f"{where}.{key}", low, high)
        if levels is None:
            continue
        checked = {}
        for level in levels:
            value = check.text(levels, level, f"{where}.{key}", max_length=ACTION_MAX_LENGTH)  # type: ignore[arg-type]
            if value is not None:
                checked[level] = value
        texts[key] = {level: checked[level] for level in sorted(checked)}
    if "actions_en" in texts:
        for level in texts["actions_en"]:
            if level not in texts.get("actions", {}):
                check.problem(
                    f"{where}.actions_en.{level}", "English action given without the action (actions)"
                )
    if axis.get("action_links") is not None:
        links = _action_levels(check, axis["action_links"], f"{where}.action_links", low, high)
        if links is not None:
            checked_links: dict[int, list[str]] = {}
            for level, urls in links.items():
                path = f"{where}.action_links.{level}"
                if isinstance(urls, str):
                    urls = [urls]
                if not isinstance(urls, list) or not urls:
                    check.problem(path, f"expected a list of links, got {_kind(urls)}")
                    continue
                if len(urls) > MAX_LINKS:
                    check.problem(path, f"more than {MAX_LINKS} links")
                    continue
                good = []
                for url in urls:
                    if not isinstance(url, str) or not LINK_RE.fullmatch(url) or len(url) > LINK_MAX_LENGTH:
                        check.problem(
                            path,
                            f"invalid link {_quote(url)}: an http:// or https:// address without spaces, "
                            f"at most {LINK_MAX_LENGTH} characters",
                        )
                    else:
                        good.append(url)
                if level not in texts.get("actions", {}):
                    check.problem(path, "links given without the action (actions)")
                checked_links[level] = good
            if checked_links:
                out["action_links"] = {level: checked_links[level] for level in sorted(checked_links)}
    for key in ("actions", "actions_en"):
        if texts.get(key):
            out[key] = texts[key]


def _named_items(
    check: _Checker, value: Any, where: str, noun: str, optional: set[str], seen: dict[str, str] | None = None
) -> list[tuple[str, dict, dict]]:
    """Common shape of blocker categories, families, types and categories: code, name, name_en."""
    if value is None:
        return []
    if not isinstance(value, list):
        check.problem(where, f"expected a list, got {_kind(value)}")
        return []
    seen = {} if seen is None else seen
    items = []
    for index, item in enumerate(value):
        item_where = f"{where}[{index}]"
        mapping = check.mapping(item, item_where, {"code", "name"}, {"name_en", *optional})
        if mapping is None:
            continue
        code = check.code(mapping, item_where, ITEM_CODE_RE, "use letters, digits, '.', '_' and '-'", 100)
        if code is not None:
            if code in seen:
                check.problem(
                    f"{item_where}.code", f"duplicate {noun} code {_quote(code)} (already {seen[code]})"
                )
            else:
                seen[code] = item_where
        out: dict[str, Any] = {"code": code, "name": check.text(mapping, "name", item_where, max_length=300)}
        if (
            name_en := check.text(mapping, "name_en", item_where, max_length=300, required=False)
        ) is not None:
            out["name_en"] = name_en
        items.append((item_where, mapping, out))
    return items


def _expected(check: _Checker, mapping: dict, where: str, axis_codes: set[str], low: int, high: int) -> dict:
    value = mapping.get("expected")
    where = f"{where}.expected"
    if value is None:
        return {}
    if not isinstance(value, dict):
        check.problem(where, f"expected a mapping of axis code to level, got {_kind(value)}")
        return {}
    out: dict[str, int | None] = {}
    for code, level in value.items():
        if not isinstance(code, str):
            check.problem(f"{where}.{code}", f"an axis code must be text, got {_kind(code)} (quote it)")
            continue
        if code not in axis_codes:
            known = ", ".join(sorted(axis_codes)) or "none"
            check.problem(f"{where}.{code}", f"unknown axis {_quote(code)}; known axes: {known}")
            continue
        if level is not None:
            if isinstance(level, bool) or not isinstance(level, int):
                check.problem(f"{where}.{code}", f"expected a level or null, got {_kind(level)}")
                continue
            if not low <= level <= high:
                check.problem(f"{where}.{code}", f"level {level} outside the scale {low}-{high}")
                continue
        out[code] = level
    return out


def _blocker_categories(check: _Checker, value: Any, doc: Document) -> None:
    doc["blocker_categories"] = [
        out for _, _, out in _named_items(check, value, "blocker_categories", "blocker category", set())
    ]


def _service_families(
    check: _Checker, value: Any, doc: Document, axis_codes: set[str], low: int, high: int
) -> None:
    doc["service_families"] = []
    type_codes: dict[str, str] = {}
    for where, mapping, family in _named_items(check, value, "service_families", "service family", {"types"}):
        family["types"] = []
        types = _named_items(
            check,
            mapping.get("types"),
            f"{where}.types",
            "service type",
            {"common_core", "expected"},
            type_codes,
        )
        for type_where, type_mapping, service_type in types:
            common_core = type_mapping.get("common_core", False)
            if not isinstance(common_core, bool):
                check.problem(
                    f"{type_where}.common_core", f"expected true or false, got {_kind(common_core)}"
                )
            service_type["common_core"] = common_core is True
            service_type["expected"] = _expected(check, type_mapping, type_where, axis_codes, low, high)
            family["types"].append(service_type)
        doc["service_families"].append(family)


def _product_categories(
    check: _Checker, value: Any, doc: Document, axis_codes: set[str], low: int, high: int
) -> None:
    doc["product_categories"] = []
    for where, mapping, category in _named_items(
        check, value, "product_categories", "product category", {"expected"}
    ):
        category["expected"] = _expected(check, mapping, where, axis_codes, low, high)
        doc["product_categories"].append(category)


def referential_document_parse(source: str | bytes) -> Document:
    """Bytes or text of a referential file → canonical document; ReferentialFileError otherwise."""
    return document_from_data(yaml_load(source))


def document_hash(doc: Document) -> str:
    """SHA-256 of a canonical JSON form: map order and file layout do not count, content does."""
    canonical = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
