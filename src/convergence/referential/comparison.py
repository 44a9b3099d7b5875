"""What changed between two editions of the referential.

Both editions are compared through their canonical documents (the export format), so the
comparison sees exactly what a file would show: codes are the identity of axes, types and
categories; names, descriptors and expected levels are their content.
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


@dataclass
class Comparison:
    before: Referential
    after: Referential
    axes_added: list[dict[str, str]] = field(default_factory=list)
    axes_removed: list[dict[str, str]] = field(default_factory=list)
    axes_renamed: list[Renamed] = field(default_factory=list)
    descriptors_changed: list[AxisDescriptorChanges] = field(default_factory=list)
    expectations_changed: list[TargetChanges] = field(default_factory=list)
    targets_added: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    targets_removed: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    blockers_added: list[dict[str, str]] = field(default_factory=list)
    blockers_removed: list[dict[str, str]] = field(default_factory=list)

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
    old, new = referential_document(before), referential_document(after)
    result = Comparison(before=before, after=after)
    old_axes = {axis["code"]: axis for axis in old["axes"]}
    new_axes = {axis["code"]: axis for axis in new["axes"]}
    result.axes_added = [_brief(axis) for code, axis in new_axes.items() if code not in old_axes]
    result.axes_removed = [_brief(axis) for code, axis in old_axes.items() if code not in new_axes]
    for code, axis in new_axes.items():
        previous = old_axes.get(code)
        if previous is None:
            continue
        if _name(previous) != _name(axis):
            result.axes_renamed.append(Renamed(code, _name(previous), _name(axis)))
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
    return result
