"""Run axe-core (installed by `npm ci` from package-lock.json, injected by Playwright from
node_modules: never a CDN) on the page a browser shows, and tell its violations."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .conftest import AXE

# RGAA 4.1 follows WCAG 2.1 level AA; axe's best practices come along (reported, failing only when
# serious or critical, like the rest).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING = ("critical", "serious")

RUN = """async (tags) => {
  const results = await axe.run(
    document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact || 'minor', help: v.help,
    targets: v.nodes.map(n => n.target.join(' ')),
  }));
}"""


@dataclass
class Violation:
    id: str
    impact: str
    help: str
    targets: list[str]


@dataclass
class Audit:
    role: str
    page: str
    url: str
    violations: list[Violation] = field(default_factory=list)

    def count(self, impact: str) -> int:
        """Violating elements of that impact (one rule failing on 3 elements counts 3)."""
        return sum(len(v.targets) for v in self.violations if v.impact == impact)

    @property
    def failing(self) -> list[Violation]:
        return [v for v in self.violations if v.impact in FAILING]

    def line(self) -> str:
        counts = Counter(
            {impact: self.count(impact) for impact in ("critical", "serious", "moderate", "minor")}
        )
        rules = ", ".join(f"{v.id}×{len(v.targets)}" for v in self.failing)
        return (
            f"{self.role:<21} {self.page:<45} critical {counts['critical']:>3}"
            f"  serious {counts['serious']:>3}"
            f"  moderate {counts['moderate']:>3}  minor {counts['minor']:>3}  {rules}"
        )

    def without(self, known: dict[tuple[str, str], str]) -> Audit:
        """The audit less the violations listed as known for its page."""
        kept = [v for v in self.violations if (self.page, v.id) not in known]
        return Audit(self.role, self.page, self.url, kept)

    def details(self) -> str:
        return "\n".join(
            f"  {self.page} ({self.url}) [{v.impact}] {v.id}: {v.help}: {'; '.join(v.targets[:5])}"
            for v in self.failing
        )


def audit(page, *, role: str, name: str, url: str) -> Audit:
    """Axe on what the page shows now."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(RUN, TAGS)
    return Audit(role, name, url, [Violation(**v) for v in found])
