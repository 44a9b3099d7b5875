"""What changed between two editions of the referential.

Both editions are compared through their canonical documents (the export format), so the
comparison sees exactly what a file would show: codes are the identity of axes, types and
categories; names, descriptors and expected levels are their content. The same function
compares two stored editions (the comparison page, publication) and a stored edition with a
workbook not saved yet (the upload preview): `documents_compare`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language

from .models import Referential, localized
from .services import referential_document


def _english() -> bool:
    return (get_language() or "fr").startswith("en")


def _name(item: dict[str, Any]) -> str:
    return localized(item["name"], item.get("name_en") or "")


def _rename(previous: dict[str, Any], item: dict[str, Any]) -> tuple[str, str] | None:
    """(before, after) when the name changed in either language, shown in the active language
    unless only the other one changed (an author must see every change)."""
    if (previous["name"], previous.get("name_en") or "") == (item["name"], item.get("name_en") or ""):
        return None
    before, after = _name(previous), _name(item)
    if before == after:
        before, after = previous["name"], item["name"]
        if before == after:
            before, after = previous.get("name_en") or "", item.get("name_en") or ""
    return before, after


def _brief(item: dict[str, Any]) -> dict[str, str]:
    return {"code": item["code"], "name": _name(item)}


def _levels(axis: dict[str, Any]) -> dict[int, str]:
    if _english() and axis.get("levels_en"):
        return {**axis.get("levels", {}), **axis["levels_en"]}
    return axis.get("levels", {})


@dataclass
class Renamed:
    code: str
    before: str
    after: str


@dataclass
class DescriptorChange:
    level: int
    before: str | None
    after: str | None


@dataclass
class AxisDescriptorChanges:
    code: str
    name: str
    changes: list[DescriptorChange]


@dataclass
class ExpectationChange:
    axis: str
    # None: the axis does not apply; ("applies", None): applies with no expected level
    before: tuple[bool, int | None]
    after: tuple[bool, int | None]


@dataclass
class TargetChanges:
    kind: str  # "type" or "category"
    code: str
    name: str
    changes: list[ExpectationChange]


@dataclass(frozen=True)
class Edition:
    """What the comparison shows of each side: a stored edition, or a file not saved yet."""

    code: str
    display_title: str = ""


@dataclass
class TargetRenamed:
    kind: str  # "type" or "category"
    code: str
    before: str
    after: str


@dataclass
class Comparison:
    before: Referential | Edition
    after: Referential | Edition
    axes_added: list[dict[str, str]] = field(default_factory=list)
    axes_removed: list[dict[str, str]] = field(default_factory=list)
    axes_renamed: list[Renamed] = field(default_factory=list)
    descriptors_changed: list[AxisDescriptorChanges] = field(default_factory=list)
    expectations_changed: list[TargetChanges] = field(default_factory=list)
    targets_added: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    targets_removed: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    blockers_added: list[dict[str, str]] = field(default_factory=list)
    blockers_removed: list[dict[str, str]] = field(default_factory=list)
    targets_renamed: list[TargetRenamed] = field(default_factory=list)
    blockers_renamed: list[Renamed] = field(default_factory=list)
    scale_changed: tuple[tuple[int, int], tuple[int, int]] | None = None

    @property
    def applicability_gained(self) -> int:
        """(type or category, axis) pairs where the axis now applies and did not."""
        return sum(1 for t in self.expectations_changed for c in t.changes if c.after[0] and not c.before[0])

    @property
    def applicability_lost(self) -> int:
        return sum(1 for t in self.expectations_changed for c in t.changes if c.before[0] and not c.after[0])

    @property
    def expected_levels_changed(self) -> int:
        """Pairs where the axis applies on both sides with a different expected level."""
        return sum(1 for t in self.expectations_changed for c in t.changes if c.before[0] and c.after[0])

    def changed_axis_codes(self) -> set[str]:
        """Axes touched by any change (added, removed, renamed, descriptors, expectations)."""
        codes = {a["code"] for a in self.axes_added} | {a["code"] for a in self.axes_removed}
        codes |= {r.code for r in self.axes_renamed} | {d.code for d in self.descriptors_changed}
        codes |= {c.axis for t in self.expectations_changed for c in t.changes}
        return codes

    def summary(self) -> dict[str, Any]:
        """What changed, as plain data (recorded with an edition at its publication)."""
        return {
            "axes_added": [a["code"] for a in self.axes_added],
            "axes_removed": [a["code"] for a in self.axes_removed],
            "axes_renamed": [r.code for r in self.axes_renamed],
            "descriptors_changed": [d.code for d in self.descriptors_changed],
            "expected_levels_changed": self.expected_levels_changed,
            "applicability_gained": self.applicability_gained,
            "applicability_lost": self.applicability_lost,
            "targets_added": [t["code"] for _kind, t in self.targets_added],
            "targets_removed": [t["code"] for _kind, t in self.targets_removed],
            "targets_renamed": [t.code for t in self.targets_renamed],
            "blockers_added": [b["code"] for b in self.blockers_added],
            "blockers_removed": [b["code"] for b in self.blockers_removed],
            "blockers_renamed": [b.code for b in self.blockers_renamed],
        }

    @property
    def is_empty(self) -> bool:
        return not any(
            (
                self.axes_added,
                self.axes_removed,
                self.axes_renamed,
                self.descriptors_changed,
                self.expectations_changed,
                self.targets_added,
                self.targets_removed,
                self.blockers_added,
                self.blockers_removed,
                self.targets_renamed,
                self.blockers_renamed,
                self.scale_changed,
            )
        )


def _targets(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    targets: dict[tuple[str, str], dict[str, Any]] = {}
    for family in doc["service_families"]:
        for service_type in family["types"]:
            targets[("type", service_type["code"])] = service_type
    for category in doc["product_categories"]:
        targets[("category", category["code"])] = category
    return targets


def referential_compare(before: Referential, after: Referential) -> Comparison:
    """What changed from one stored edition to another."""
    return documents_compare(
        referential_document(before), referential_document(after), before=before, after=after
    )


def documents_compare(
    old: dict[str, Any], new: dict[str, Any], *, before: Referential | Edition, after: Referential | Edition
) -> Comparison:
    """What changed from one canonical document to another (see `schema.py`)."""
    result = Comparison(before=before, after=after)
    old_scale = (old["scale"]["min"], old["scale"]["max"])
    new_scale = (new["scale"]["min"], new["scale"]["max"])
    if old_scale != new_scale:
        result.scale_changed = (old_scale, new_scale)
    old_axes = {axis["code"]: axis for axis in old["axes"]}
    new_axes = {axis["code"]: axis for axis in new["axes"]}
    result.axes_added = [_brief(axis) for code, axis in new_axes.items() if code not in old_axes]
    result.axes_removed = [_brief(axis) for code, axis in old_axes.items() if code not in new_axes]
    for code, axis in new_axes.items():
        previous = old_axes.get(code)
        if previous is None:
            continue
        if renamed := _rename(previous, axis):
            result.axes_renamed.append(Renamed(code, *renamed))
        before_levels, after_levels = _levels(previous), _levels(axis)
        changes = [
            DescriptorChange(level, before_levels.get(level), after_levels.get(level))
            for level in sorted(set(before_levels) | set(after_levels))
            if before_levels.get(level) != after_levels.get(level)
        ]
        if changes:
            result.descriptors_changed.append(AxisDescriptorChanges(code, _name(axis), changes))

    axis_order = [axis["code"] for axis in new["axes"]] + [
        a["code"] for a in old["axes"] if a["code"] not in new_axes
    ]
    old_targets, new_targets = _targets(old), _targets(new)
    for key, target in new_targets.items():
        previous = old_targets.get(key)
        if previous is None:
            result.targets_added.append((key[0], _brief(target)))
            continue
        if renamed := _rename(previous, target):
            result.targets_renamed.append(TargetRenamed(key[0], key[1], *renamed))
        expectation_changes: list[ExpectationChange] = []
        for code in axis_order:
            was = (code in previous["expected"], previous["expected"].get(code))
            now = (code in target["expected"], target["expected"].get(code))
            if was != now:
                expectation_changes.append(ExpectationChange(code, was, now))
        if expectation_changes:
            result.expectations_changed.append(
                TargetChanges(key[0], key[1], _name(target), expectation_changes)
            )
    result.targets_removed = [
        (key[0], _brief(target)) for key, target in old_targets.items() if key not in new_targets
    ]

    old_blockers = {item["code"]: item for item in old["blocker_categories"]}
    new_blockers = {item["code"]: item for item in new["blocker_categories"]}
    result.blockers_added = [_brief(item) for code, item in new_blockers.items() if code not in old_blockers]
    result.blockers_removed = [
        _brief(item) for code, item in old_blockers.items() if code not in new_blockers
    ]
    result.blockers_renamed = [
        Renamed(code, *renamed)
        for code, item in new_blockers.items()
        if code in old_blockers and (renamed := _rename(old_blockers[code], item))
    ]
    return result
