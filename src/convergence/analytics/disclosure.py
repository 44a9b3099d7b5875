"""Disclosure control: what a logged-in organisation may see of *other* organisations' answers
in aggregates. One rule, called by every page, file and API answer that a non-agency reader
reaches (dashboards, exports, the peer benchmark, the API's report); the agency reads every
figure unsuppressed, and the public observatory only ever shows the contract's public mode.

Who is a peer
-------------
A reader *knows* the subjects it may read one by one (`catalog.selectors.subjects_visible_to`:
a vendor its own products; an ARS or GRADeS its own subjects and every service of its region).
Every other subject is a **peer** subject. A figure computed only from known subjects discloses
nothing and is shown as is. A figure over peer subjects is a **peer cell**; it counts the
distinct peer subjects it is computed from, never the reader's own, so a reader cannot pad a
small group with subjects of its own (the benchmark attack: four own products at levels 0, 0, 3,
3 beside one competitor's product revealed that product's levels through the median). A peer
cell of fewer than K peer subjects (K = `engine.DEFAULT_MIN_CELL`, the contract's default
public K) is suppressed; an empty one (no peer at all) is not a peer cell.

Differencing, and complementary suppression
-------------------------------------------
A reader reaches several views of one campaign and scope: the national figures and a region's
(a regional dashboard shows its region beside the national figures; an API token asks for any
region), each unfiltered or filtered by one service type / product category. Their peer
subjects are unions of the cells of one table per axis: rows are regions (plus the products
of organisations with no region: no view selects that row, but national minus every region
gives it, so it is treated like the others), columns are types or
categories, with the margins: (region, all types), (national, type), (national, all types).
A view is one entry of that table. Every row and every column is a linear relation (the total
is the sum of its members), so a reader who sees all entries of a relation but one recovers that
one by difference: national minus its own region (which it knows) gives the rest of the
country, a category's national figures minus the same category in its region give the other
regions' services of that category, the unfiltered figures minus every category but one give
the last one. Hence, per axis and on the peer counts:

1. primary suppression: an entry with 0 < peers < K is suppressed (an entry of the reader's
   own region counts 0 peers for a region reader: it knows it, so its national figures are
   suppressed when the rest of the country has fewer than K peers — "national minus own
   region" — and the same at every filter's level);
2. complementary suppression: in every relation (row or column with its total), the suppressed
   entries must not be a single one, and when the total
   is shown their peers must add up to K or more; otherwise the smallest other entry with peers
   is suppressed too, and so on until no relation is left that gives a small group away;
3. no combination of relations either: with the rows and columns as the vertices of a graph
   and the entries as its edges (each entry is in its row's relation and its column's), a
   suppressed entry is exactly derivable from the shown ones if and only if it is a bridge of
   the graph of suppressed entries (the relations are the graph's signed incidence matrix,
   whose kernel is the cycle space). Every bridge is put on a cycle by suppressing one more
   entry, smallest first;
4. nor a small group through several relations: the relations of the vertices on one side of a
   cut, added with their signs, give the (signed) sum of the suppressed entries crossing it;
   when the lightest cut of the suppressed graph (Stoer-Wagner, weights = peers) weighs fewer
   than K peers, the smallest shown entry crossing it is suppressed too (a light cut that no
   shown entry crosses gives only the reader's own data: its entries cover the same peers with
   opposite signs; it is contracted and the next one looked at). Then rule 2 again, until none
   applies. A property test checks on random tables, by linear algebra, that no suppressed
   entry, and no group of fewer than K peers' cells, is a combination of the shown entries.

Each axis cell counts two things: the peer subjects answering it (for the mean and the
distribution: per-level counts are not suppressed one by one, since they come from the same
>= K subjects, as in the contract's public mode) and those of them with an expected level (for
`reached`, its rate and the projection); either below K suppresses the cell. The decision
depends on the data only, never on the view asked for, so every view shows the same pattern.

What is shown to a non-agency reader
------------------------------------
- A view whose subjects are all known (a region reader's own region of services): the full
  report.
- Any other view: the contract's **public mode** report (`public=True`, section 5 unchanged:
  axes answered by fewer than K subjects, groups of fewer than K subjects and blocker entries
  below K are suppressed), in which the axes suppressed by the rule above are suppressed too
  (the same keys as public mode: `suppressed: true` and the figures null), with the blockers
  of those axes left out and `axes_measured` / `axes_reaching_threshold` counted after it.
  Subject counts (total, per status, groups) stay as public mode gives them: they say how many
  subjects there are, not what they answered.
- Two campaigns: the figures of each campaign follow the rule on their own (a campaign is
  another table: its answers are other ones). The level transitions between two campaigns are
  the one figure that joins them: with both campaigns' distributions shown, the transitions of
  the subjects assessed in both give by difference the distribution of those assessed in one
  only. A transition matrix of an axis is shown only when that axis is shown in both
  campaigns and the peers assessed in both, in the later only and in the earlier only are each
  none or at least K; the all-axes matrix sums the shown axes only.
- The peer benchmark shows quartiles of the peers of one category (the reader's own products
  left out of the peers and of the group's size), suppressed below K. Quartiles are not
  additive, so no difference of benchmark cells is exact.

What this does not do: it bounds neither what inequalities between suppressed cells imply
(e.g. that a count is at most its total), nor what a signed difference of two hidden groups
tells when together they count K peers or more, nor a group whose K subjects all answer alike
(neither does the contract's public mode).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from convergence.assessments.models import Assessment, Campaign
from convergence.catalog.models import Subject
from convergence.catalog.selectors import subjects_visible_to
from convergence.organisations.models import Organisation
from convergence.organisations.tenancy import is_agency
from convergence.referential.models import Axis, Referential

from .engine import DEFAULT_MIN_CELL, SCOPES, ReportParams, report_compute, resolve
from .facts import facts_versions
from .queries import FactsSource, peer_cell_rows

K = DEFAULT_MIN_CELL

ALL = "*"  # the margin: every region (national) or every type / category

Entry = tuple[str, str]  # (region or ALL, type / category or ALL)


@dataclass(frozen=True)
class Peers:
    """Peer subjects of one cell: answering the axis with a level, and of those the ones with
    an expected level; `present`: with any answer on the axis (not applicable included)."""

    answered: int = 0
    expected: int = 0
    present: int = 0

    def __add__(self, other: Peers) -> Peers:
        return Peers(
            self.answered + other.answered, self.expected + other.expected, self.present + other.present
        )

    @property
    def has_answers(self) -> bool:
        return self.answered > 0


def small(peers: Peers, k: int = K) -> bool:
    """A group of peers that may not be shown: some, but fewer than K (either count)."""
    return 0 < peers.answered < k or 0 < peers.expected < k


def peer_group_shown(peers: int, k: int = K) -> bool:
    """Whether a figure over `peers` distinct peer subjects (the reader's own excluded) may be
    shown on its own: at least K of them."""
    return peers >= k


def discloses_everything(organisation: Organisation | None) -> bool:
    """The agency reads every figure unsuppressed."""
    return is_agency(organisation)


def known_subjects(organisation: Organisation) -> QuerySet[Subject]:
    """The subjects the reader may read one by one: figures over them alone disclose nothing."""
    return subjects_visible_to(organisation)


def known_assessments(organisation: Organisation, campaign_id: int) -> QuerySet[Assessment]:
    return Assessment.objects.filter(campaign_id=campaign_id, subject__in=known_subjects(organisation))


# --- the table of peer counts and its suppression pattern ------------------------------------


@dataclass
class Pattern:
    """Per axis code, the suppressed entries of the peer table (see the module docstring)."""

    suppressed: dict[str, set[Entry]] = field(default_factory=dict)
    peers: dict[str, dict[Entry, Peers]] = field(default_factory=dict)

    def hides(self, axis: str, entry: Entry) -> bool:
        return entry in self.suppressed.get(axis, set())

    def peers_of(self, axis: str, entry: Entry) -> Peers:
        return self.peers.get(axis, {}).get(entry, Peers())

    def has_peers(self, entry: Entry) -> bool:
        return any(cells.get(entry, Peers()).present for cells in self.peers.values())


def view_entry(region: str | None, category: str | None) -> Entry:
    return (region or ALL, category or ALL)


def peer_cells(
    *, campaign: Campaign, kind: str, organisation: Organisation, source: FactsSource | None = None
) -> dict[str, dict[Entry, Peers]]:
    """Peer subjects per axis code and (region, type / category), from the report facts (one
    answer per subject and axis): one GROUP BY query, plus the axes' codes. The margins are
    sums of the grouped counts."""
    rows = peer_cell_rows(
        campaign_id=campaign.pk,
        kind=kind,
        known=known_assessments(organisation, campaign.pk),
        source=source or FactsSource.current(),
    )
    codes = dict(Axis.objects.filter(referential_id=campaign.referential_id).values_list("pk", "code"))
    cells: dict[str, dict[Entry, Peers]] = defaultdict(lambda: defaultdict(Peers))
    for axis_id, region, category, n_answered, n_expected, n_present in rows:
        peers = Peers(n_answered, n_expected, n_present)
        table = cells[codes.get(axis_id, str(axis_id))]
        for entry in {(region, category), (region, ALL), (ALL, category), (ALL, ALL)}:
            table[entry] = table[entry] + peers
    return {code: dict(table) for code, table in cells.items()}


def relations(entries: Iterable[Entry]) -> list[tuple[list[Entry], Entry]]:
    """(members, total) of every row and column of the table holding `entries`."""
    regions = sorted({r for r, _c in entries if r != ALL})
    categories = sorted({c for _r, c in entries if c != ALL})
    lines = [([(r, c) for c in categories], (r, ALL)) for r in [*regions, ALL]]
    lines += [([(r, c) for r in regions], (ALL, c)) for c in [*categories, ALL]]
    return lines


def suppression(cells: dict[Entry, Peers], *, k: int = K) -> set[Entry]:
    """Primary then complementary suppression on one axis's table (module docstring).

    The relations form a graph: a vertex per row and per column of the table (margins
    included), an edge per entry, joining its row and its column; a relation is the (signed)
    sum of the edges at one vertex. With the shown entries known, a suppressed entry is
    determined exactly when it is a bridge of the graph of suppressed entries (a suppressed
    entry alone in a relation is the simplest bridge); on a cycle it is not. So: the line rule
    (no relation with one suppressed entry, none whose suppressed entries add up to fewer than
    K peers beside a shown total), then every bridge put on a cycle, until neither applies.
    The row of products of organisations with no region is selected by no view, but a reader
    derives it (national minus every region): it is treated like the others."""
    suppressed = {e for e, p in cells.items() if small(p, k)}
    lines = relations(cells)
    by_entry: dict[Entry, list[int]] = defaultdict(list)
    for index, (members, total) in enumerate(lines):
        for entry in [*members, total]:
            by_entry[entry].append(index)

    def counted(entry: Entry) -> bool:
        return cells.get(entry, Peers()).has_answers

    def smallest(entries: Iterable[Entry]) -> Entry | None:
        return min(entries, key=lambda e: (cells[e].answered, cells[e].expected, e), default=None)

    pending = list(range(len(lines)))
    while True:
        while pending:
            members, total = lines[pending.pop()]
            hidden = [e for e in members if e in suppressed and counted(e)]
            total_hidden = total in suppressed
            count = len(hidden) + int(total_hidden)
            if count == 0 or (
                count > 1 and (total_hidden or not small(sum((cells[e] for e in hidden), Peers()), k))
            ):
                continue
            pick = smallest(e for e in members if e not in suppressed and counted(e))
            if pick is None and not total_hidden and counted(total):
                pick = total
            if pick is None:
                continue  # nothing left to hide in this relation
            suppressed.add(pick)
            pending.extend(by_entry[pick])
        hidden_entries = {e for e in suppressed if counted(e)}
        pick = _cycle_breaker(cells, hidden_entries, smallest)
        if pick is None:
            pick = _small_cut_breaker(cells, hidden_entries, smallest, k)
        if pick is None:
            return suppressed
        suppressed.add(pick)
        pending.extend(by_entry[pick])


def _minimum_cut(
    vertices: list[tuple[str, str]], weights: dict[frozenset[tuple[str, str]], int]
) -> tuple[int, set[tuple[str, str]]]:
    """The lightest cut of a connected weighted graph and one side of it (Stoer and Wagner)."""
    groups = {v: {v} for v in vertices}
    graph: dict[tuple[str, str], dict[tuple[str, str], int]] = {v: {} for v in vertices}
    for pair, weight in weights.items():
        a, b = tuple(pair)
        graph[a][b] = graph[a].get(b, 0) + weight
        graph[b][a] = graph[b].get(a, 0) + weight
    best: tuple[int, set[tuple[str, str]]] | None = None
    while len(graph) > 1:
        start = min(graph)
        added = [start]
        attached = dict(graph[start])
        while len(added) < len(graph):
            vertex = max((v for v in graph if v not in added), key=lambda v: (attached.get(v, 0), v))
            added.append(vertex)
            for neighbour, weight in graph[vertex].items():
                attached[neighbour] = attached.get(neighbour, 0) + weight
        last, before = added[-1], added[-2]
        cut = sum(graph[last].values())  # the cut of the phase: `last` against all the others
        if best is None or cut < best[0]:
            best = (cut, set(groups[last]))
        # Merge the last vertex into the one before it.
        groups[before] |= groups.pop(last)
        for neighbour, weight in graph.pop(last).items():
            if neighbour == before:
                graph[before].pop(last, None)
                continue
            graph[neighbour].pop(last, None)
            graph[before][neighbour] = graph[before].get(neighbour, 0) + weight
            graph[neighbour][before] = graph[before][neighbour]
    assert best is not None
    return best


def _small_cut_breaker(
    cells: dict[Entry, Peers],
    hidden: set[Entry],
    smallest: Callable[[Iterable[Entry]], Entry | None],
    k: int,
) -> Entry | None:
    """An entry to suppress when some combination of relations gives the sum (or difference) of
    suppressed entries over fewer than K peers: a cut of the graph of suppressed entries (the
    relations of the vertices on one side, added with their signs, leave the entries crossing
    it) weighing fewer than K peers. The lightest shown entry crossing that cut is suppressed
    too; None when every cut weighs K or more (or a light cut cannot be mended)."""
    for measure in ("answered", "expected"):
        weighed = {e for e in hidden if getattr(cells[e], measure) > 0}
        adjacency: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        for entry in weighed:
            a, b = _vertices(entry)
            adjacency[a].add(b)
            adjacency[b].add(a)
        seen: set[tuple[str, str]] = set()
        for root in sorted(adjacency):
            if root in seen:
                continue
            component = {root}
            frontier = [root]
            while frontier:
                for neighbour in adjacency[frontier.pop()]:
                    if neighbour not in component:
                        component.add(neighbour)
                        frontier.append(neighbour)
            seen |= component
            # A light cut that no shown entry crosses is harmless: the entries crossing it then
            # cover the same peers with opposite signs (e.g. a region's only type and the region),
            # so what it gives is the reader's own data. Such a cut is contracted away (its
            # lightest entry's two ends merged) and the next lightest cut is looked at.
            merged = {v: v for v in component}

            def group(vertex: tuple[str, str], merged: dict = merged) -> tuple[str, str]:
                # A vertex of another component is its own group (it is skipped below).
                while merged.get(vertex, vertex) != vertex:
                    vertex = merged[vertex]
                return vertex

            while True:
                weights: dict[frozenset[tuple[str, str]], int] = defaultdict(int)
                for e in weighed:
                    a, b = (group(v) for v in _vertices(e))
                    if a in component and a != b:
                        weights[frozenset((a, b))] += getattr(cells[e], measure)
                groups = sorted({group(v) for v in component})
                if len(groups) < 2:
                    break
                cut, sides = _minimum_cut(groups, dict(weights))
                if not 0 < cut < k:
                    break
                side = {v for v in component if group(v) in sides}
                crossing = [
                    e
                    for e, p in cells.items()
                    if e not in hidden
                    and p.has_answers
                    and (_vertices(e)[0] in side) != (_vertices(e)[1] in side)
                ]
                pick = smallest(crossing)
                if pick is not None:
                    return pick
                lightest = smallest(
                    e for e in weighed if (_vertices(e)[0] in side) != (_vertices(e)[1] in side)
                )
                assert lightest is not None
                a, b = (group(v) for v in _vertices(lightest))
                merged[a] = b
    return None


def _vertices(entry: Entry) -> tuple[tuple[str, str], tuple[str, str]]:
    return ("row", entry[0]), ("column", entry[1])


def _bridges(edges: set[Entry]) -> list[Entry]:
    """The bridges of the graph whose edges are `edges` (Tarjan's lowpoints), in entry order."""
    adjacency: dict[tuple[str, str], list[tuple[tuple[str, str], Entry]]] = defaultdict(list)
    for entry in sorted(edges):
        u, v = _vertices(entry)
        adjacency[u].append((v, entry))
        adjacency[v].append((u, entry))
    order: dict[tuple[str, str], int] = {}
    low: dict[tuple[str, str], int] = {}
    found: list[Entry] = []
    for root in sorted(adjacency):
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack: list[tuple[tuple[str, str], Entry | None, Iterator[tuple[tuple[str, str], Entry]]]] = [
            (root, None, iter(adjacency[root]))
        ]
        while stack:
            vertex, via, neighbours = stack[-1]
            advanced = False
            for neighbour, entry in neighbours:
                if entry == via:
                    continue
                if neighbour in order:
                    low[vertex] = min(low[vertex], order[neighbour])
                    continue
                order[neighbour] = low[neighbour] = len(order)
                stack.append((neighbour, entry, iter(adjacency[neighbour])))
                advanced = True
                break
            if advanced:
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[vertex])
                if low[vertex] > order[parent]:
                    assert via is not None
                    found.append(via)
    return sorted(found)


def _cycle_breaker(
    cells: dict[Entry, Peers], hidden: set[Entry], smallest: Callable[[Iterable[Entry]], Entry | None]
) -> Entry | None:
    """An entry to suppress so that the first bridge of the suppressed graph lies on a cycle:
    the smallest shown entry joining the bridge's two sides, else the smallest one leaving its
    side (the next round goes on from there). None when no bridge is left (or none can be
    mended: every entry with peers is suppressed)."""
    for bridge in _bridges(hidden):
        u, v = _vertices(bridge)
        side = {u}
        frontier = [u]
        adjacency: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        for entry in hidden - {bridge}:
            a, b = _vertices(entry)
            adjacency[a].append(b)
            adjacency[b].append(a)
        while frontier:
            for neighbour in adjacency[frontier.pop()]:
                if neighbour not in side:
                    side.add(neighbour)
                    frontier.append(neighbour)
        shown = [e for e, p in cells.items() if e not in hidden and p.has_answers]
        leaving = [e for e in shown if (_vertices(e)[0] in side) != (_vertices(e)[1] in side)]
        other = {v}
        frontier = [v]
        while frontier:
            for neighbour in adjacency[frontier.pop()]:
                if neighbour not in other:
                    other.add(neighbour)
                    frontier.append(neighbour)
        joining = [e for e in leaving if _vertices(e)[0] in other or _vertices(e)[1] in other]
        pick = smallest(joining) or smallest(leaving)
        if pick is not None:
            return pick
    return None


def disclosure_pattern(
    *,
    campaign: Campaign,
    kind: str,
    organisation: Organisation,
    k: int = K,
    source: FactsSource | None = None,
) -> Pattern:
    """What `organisation` may not see of one campaign and scope, whatever the view.

    Cached under the campaign's facts version (bumped by every write a report reads, including
    a subject changing organisation, region or type) and the campaign's and edition's change
    times: the pattern costs a fraction of a second on a national table (regions x types), and
    the API and the exports ask for it on every request."""
    version = facts_versions([campaign.pk]).get(campaign.pk, 0)
    edited = (
        Referential.objects.filter(pk=campaign.referential_id).values_list("updated_at", flat=True).first()
    )
    key = (
        f"analytics:disclosure:{campaign.pk}:{kind}:{organisation.pk}:{k}:{version}:"
        f"{campaign.updated_at.timestamp()}:{edited.timestamp() if edited else ''}"
    )
    cached: Pattern | None = cache.get(key)
    if cached is not None:
        return cached
    cells = peer_cells(campaign=campaign, kind=kind, organisation=organisation, source=source)
    pattern = Pattern(
        suppressed={code: suppression(table, k=k) for code, table in cells.items()}, peers=cells
    )
    cache.set(key, pattern, timeout=3600)
    return pattern


# --- reports as a reader may see them -----------------------------------------------------------


def report_for_reader(params: ReportParams, organisation: Organisation | None) -> dict[str, Any]:
    """The report JSON (contract section 5) as `organisation` may see it: in full for the
    agency and for a view of known subjects only; otherwise public mode with the peer rule on
    top (module docstring). Raises engine.ReportError on bad parameters."""
    report, _pattern = disclosed_report(params, organisation)
    return report


def disclosed_report(
    params: ReportParams, organisation: Organisation | None, *, source: FactsSource | None = None
) -> tuple[dict[str, Any], Pattern | None]:
    """`report_for_reader`, with the pattern it applied (None: nothing suppressed by it)."""
    source = source or FactsSource.current()
    if discloses_everything(organisation):
        return report_compute(params, source=source).as_dict(), None
    campaign, scope = resolve(params)
    if organisation is None:  # no reader: public mode only, as without login
        return report_compute(replace(params, public=True, min_cell=K), source=source).as_dict(), None
    pattern = disclosure_pattern(
        campaign=campaign, kind=SCOPES[params.scope], organisation=organisation, source=source
    )
    entry = view_entry(params.region, params.category)
    if not pattern.has_peers(entry):
        return report_compute(replace(params, public=False), source=source).as_dict(), pattern
    report = report_compute(replace(params, public=True, min_cell=K), source=source)
    hidden = set()
    for figures in report.axes:
        if pattern.hides(figures.code, entry) and not figures.suppressed:
            figures.mean_level = figures.reached_rate = figures.reached = None
            figures.distribution = figures.projection = None
            figures.suppressed = True
        if figures.suppressed:
            hidden.add(figures.code)
    report.blockers = [b for b in report.blockers if b["axis"] not in hidden]
    measured = [a for a in report.axes if a.reached_rate is not None]
    report.axes_measured = len(measured)
    report.axes_reaching_threshold = sum(
        1 for a in measured if a.reached_rate is not None and a.reached_rate >= params.threshold
    )
    return report.as_dict(), pattern


def transitions_shown(
    *, axis: str, entry: Entry, later: Pattern, earlier: Pattern, both: int, k: int = K
) -> bool:
    """Whether the level transitions of one axis between two campaigns may be shown: the axis is
    shown in both campaigns, and the peers assessed in both (`both`), in the later one only and
    in the earlier one only are each none or at least K (otherwise the transitions and the two
    distributions give the others by difference)."""
    if later.hides(axis, entry) or earlier.hides(axis, entry):
        return False
    later_only = max(later.peers_of(axis, entry).answered - both, 0)
    earlier_only = max(earlier.peers_of(axis, entry).answered - both, 0)
    return not any(0 < n < k for n in (both, later_only, earlier_only))
