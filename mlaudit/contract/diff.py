"""What changed between two contracts, and which changes a review must gate (`mlaudit contract diff OLD NEW`).

A contract is a promise about data and about how hard the audit looks at it.
A pull request that edits it is **breaking** when it does either of:

- *weaken the contract*: a feature, rule or owner removed, a limit raised, a
  check disabled or capped at warn. Bad data that failed before may now pass.
- *change what the data must look like*: a range narrowed, a value no longer
  allowed, `nullable: false`. Data that passed before may now fail in
  production. For the declarations of the data (feature ranges, allowed values,
  null shares, regex, unique, score range) both directions are therefore
  breaking, with a kind that says which (`range_narrowed`, `range_widened`).

Levels of checks (thresholds, rule and output shares, row count, freshness,
outcome tolerances) are judged on the first point only: lowering them is what
a contract is for, so a tightened level is reported as non-breaking.
Significance settings (`drift.alpha`, `drift.correction`, `outcomes.alpha`)
move both ways at once (more findings and more false alarms, or fewer
findings), so every change of them is breaking.

Levels are compared as they take effect, the way the checks resolve them
(:meth:`Context.levels`): registry defaults fill what a side leaves unset, a
warn level at or above fail is dropped, `fail` and the first level that alerts
at all are both compared. A section's own limit (a rule's share, a feature's
`max_null_share`) is compared on top of the NEW contract's `thresholds`, so a
contract-wide change is reported once, under `thresholds`.

Nothing is silently ignored: after the specific comparisons, both contracts'
full trees (`model_dump`, defaults included) are walked and every leaf that
differs and no specific comparison judged is reported as a non-breaking
`changed`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mlaudit.checks.base import Context, Levels, limit_text, pct, stated
from mlaudit.checks.outcome_data import HEADLINE
from mlaudit.checks.perfbase import RATE_TOLERANCE
from mlaudit.checks.registry import REGISTRY
from mlaudit.contract.loader import KeyPath, LoadedContract, format_path
from mlaudit.contract.model import Contract, Feature, RowCount, Rule, Severity, Task, Threshold, parse_duration
from mlaudit.stats.metrics import HIGHER_IS_BETTER

#: Every kind of change, and whether it is breaking. The ids are stable: CI scripts may match on them.
KINDS: dict[str, bool] = {
    # features
    "feature_removed": True,
    "feature_added": False,
    "type_changed": True,
    "nullable_tightened": True,
    "nullable_loosened": True,
    "null_share_tightened": True,
    "null_share_loosened": True,
    "range_narrowed": True,
    "range_widened": True,
    "allowed_narrowed": True,
    "allowed_widened": True,
    "regex_changed": True,
    "unique_changed": True,
    # levels of checks: thresholds.<id>, features.<f>.checks.<id>
    "threshold_loosened": True,
    "threshold_tightened": False,
    "check_disabled": True,
    "check_enabled": False,
    "severity_lowered": True,
    "severity_raised": False,
    # rules
    "rule_removed": True,
    "rule_added": False,
    "rule_changed": True,
    "rule_loosened": True,
    "rule_tightened": False,
    # outputs
    "score_range_narrowed": True,
    "score_range_widened": True,
    "outputs_loosened": True,
    "outputs_tightened": False,
    "confidence_gate_removed": True,
    "confidence_gate_added": False,
    "confidence_gate_loosened": True,
    "confidence_gate_tightened": False,
    # dataset
    "row_count_loosened": True,
    "row_count_tightened": False,
    "freshness_loosened": True,
    "freshness_tightened": False,
    # significance (drift, outcomes)
    "alpha_raised": True,
    "alpha_lowered": True,
    "correction_changed": True,
    # model, columns, owners
    "task_changed": True,
    "role_changed": True,
    "role_removed": True,
    "role_added": False,
    "owner_removed": True,
    "owner_added": False,
    # outcomes
    "outcomes_loosened": True,
    "outcomes_tightened": False,
    "tolerance_changed": True,
    # anything else
    "review_removed": True,
    "review_added": False,
    "review_loosened": True,
    "review_tightened": False,
    "kill_switch_removed": True,
    "kill_switch_added": False,
    "kill_condition_removed": True,
    "kill_condition_added": False,
    "kill_condition_softened": True,
    "changed": False,
}

_LOOSER = "loosened: what failed may now pass"
_TIGHTER = "tightened"
_MAY_FAIL = "data that passed may now fail"
_WEAKER = "guarantee weakened: values it rejected now pass"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
#: An inclusive [min, max]; None is an open end.
Bounds = tuple[float | None, float | None]


@dataclass(frozen=True)
class Change:
    """One difference between two contracts.

    `path` is the key path ('features.income.range', 'rules[2]') in the new
    contract; for something removed, in the old one. `kind` is a key of KINDS
    (which also says whether it is breaking). `message` is one line, located as
    'file:line:col (key.path): ...' in the new file, or in the old file when
    the key is only there.
    """

    path: str
    kind: str
    breaking: bool
    message: str


def diff(old: LoadedContract, new: LoadedContract) -> list[Change]:
    """Every change from `old` to `new`: the specific comparisons in section order, then the generic
    'changed' leftovers (see the module docstring for what is breaking)."""
    d = _Diff(old, new)
    for section in (_model, _owners, _columns, _features, _rules, _dataset, _outputs, _thresholds, _drift,
                    _outcomes, _human_review, _kill_switch):
        section(d)
    d.generic(_tree(old.contract, new.contract), _tree(new.contract, old.contract), ())
    return d.changes


def render(changes: Sequence[Change]) -> str:
    """Text for a terminal or a CI log: breaking changes first, then the others, then a count."""
    if not changes:
        return "no changes"
    ordered = sorted(changes, key=lambda c: not c.breaking)  # stable: section order within each group
    lines = [f"{'BREAKING' if c.breaking else 'change':<8}  {c.message} [{c.kind}]" for c in ordered]
    breaking = sum(c.breaking for c in changes)
    noun = "change" if len(changes) == 1 else "changes"
    lines.append(f"{len(changes)} {noun}: {breaking} breaking, {len(changes) - breaking} non-breaking")
    return "\n".join(lines)


def exit_code(changes: Sequence[Change]) -> int:
    """1 when any change is breaking (the gate), else 0."""
    return 1 if any(c.breaking for c in changes) else 0


# --------------------------------------------------------------------------------------------- the collector


@dataclass
class _Diff:
    """The two contracts, the changes found so far, and the keys already judged by a specific comparison."""

    old: LoadedContract
    new: LoadedContract
    changes: list[Change] = field(default_factory=list)
    covered: set[KeyPath] = field(default_factory=set)

    @property
    def hybrid(self) -> Contract:
        """The old contract under the new contract's `thresholds`: compares a section's own limits alone."""
        return self.old.contract.model_copy(update={"thresholds": self.new.contract.thresholds})

    def add(self, kind: str, text: str, key: KeyPath, *, old_key: KeyPath | None = None, gone: bool = False,
            covers: Iterable[KeyPath] | None = None) -> None:
        """Record a change at `key`, located in the new file unless the key is only in the old one.

        `old_key` is where the same thing is in the old file (a rule's index may differ); `gone` forces the
        old file. `covers` are the keys this change judges (default: `key`), kept from the generic walk.
        """
        old_key = key if old_key is None else old_key
        if key in self.new.marks and not gone:
            where = self.new.where(key)
        elif old_key in self.old.marks:
            where = self.old.where(old_key)
        else:
            where = self.new.where(key)
        shown = old_key if gone else key
        self.changes.append(Change(format_path(shown), kind, KINDS[kind], f"{where}: {text}"))
        self.covered.update((key,) if covers is None else covers)

    def judged(self, *keys: KeyPath) -> None:
        """Keys a specific comparison has judged even when it reported nothing (an order without meaning)."""
        self.covered.update(keys)

    def is_covered(self, key: KeyPath) -> bool:
        """Judged already: the key, one of its ancestors, or (for a subtree only one side has) a descendant."""
        return any(key[:i] in self.covered for i in range(1, len(key) + 1)) or any(
            c[: len(key)] == key for c in self.covered)

    def generic(self, old: Any, new: Any, key: KeyPath, old_key: KeyPath | None = None) -> None:
        """Report every differing leaf under `key` that no specific comparison judged, as 'changed'."""
        base = key if old_key is None else old_key
        for leaf, was, now in _leaves(old, new, key):
            if not self.is_covered(leaf):
                verb = "added" if was is _ABSENT else "removed" if now is _ABSENT else "changed"
                self.add("changed", f"{verb}: {_brief(_show(was, True))} -> {_brief(_show(now, True))}", leaf,
                         old_key=(*base, *leaf[len(key):]))


class _Absent:
    """A key one side does not have (not the same as a key set to null)."""

    def __repr__(self) -> str:
        return "(absent)"


_ABSENT = _Absent()


def _leaves(old: Any, new: Any, key: KeyPath) -> Iterator[tuple[KeyPath, Any, Any]]:
    """(key, old, new) for each differing leaf; lists are leaves, mappings are walked."""
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for k in _union(old, new):
            yield from _leaves(old.get(k, _ABSENT), new.get(k, _ABSENT), (*key, k))
        return
    yield key, old, new


def _tree(contract: Contract, other: Contract) -> dict[str, Any]:
    """`contract` as plain values, defaults included; a check override only `other` has is filled with an
    empty override, so that a new override is compared key by key with what it replaces."""
    tree: dict[str, Any] = contract.model_dump(mode="json")
    empty = Threshold().model_dump(mode="json")
    scopes = [(tree["thresholds"], other.thresholds)]
    scopes += [(tree["features"][name]["checks"], other.features[name].checks)
               for name in contract.features if name in other.features]
    for mine, theirs in scopes:
        for check_id in theirs:
            mine.setdefault(check_id, dict(empty))
    return tree


# ------------------------------------------------------------------------------------------ small helpers


def _union(old: Mapping[Any, Any], new: Mapping[Any, Any]) -> list[Any]:
    """Keys of both, the new file's order first, then keys only the old one has."""
    return [*new, *(k for k in old if k not in new)]


def _num(x: float) -> str:
    return f"{x:g}"


def _show(value: Any, top: bool = False) -> str:
    """A value as a reader of the YAML file would write it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, str):
        return f"'{value}'" if top else value
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _brief(text: str, width: int = 100) -> str:
    """A whole section (a reserved one, say) shown in one line of a readable length."""
    return text if len(text) <= width else text[: width - 3] + "..."


def _inf(x: float | None) -> float:
    """A limit left out never trips: it is as loose as infinity."""
    return math.inf if x is None else x


def _alert(levels: Levels) -> float | None:
    """The first level that reports anything: warn when there is one (it is below fail), else fail."""
    return levels.warn if levels.warn is not None else levels.fail


def _direction(old: Levels, new: Levels) -> tuple[bool, bool]:
    """(looser, tighter): does some statistic now get a milder status, or a harsher one?

    Comparing the fail level and the first alerting level covers a warn level dropped because fail moved
    below it: values that warned now fail, which is tighter, not looser.
    """
    pairs = [(_inf(old.fail), _inf(new.fail)), (_inf(_alert(old)), _inf(_alert(new)))]
    return any(n > o for o, n in pairs), any(n < o for o, n in pairs)


def _context(contract: Contract) -> Context:
    return Context(contract=contract, current_schema={}, reference_schema={}, as_of=_EPOCH)


def _levels(contract: Contract, check_id: str, feature: str | None = None, base: Threshold | None = None,
            warn_on_any: bool = False) -> Levels:
    """Levels of a check as the checks resolve them; `warn_on_any`: a tolerated share above 0 with no warn
    level warns on any violation (rules and outputs)."""
    levels = _context(contract).levels(REGISTRY.get(check_id).spec, feature, base)
    if warn_on_any and levels.warn is None and levels.fail is not None and levels.fail > 0:
        levels = replace(levels, warn=0.0)
    return levels


def _compare_levels(d: _Diff, key: KeyPath, old: Levels, new: Levels, subject: str, *,
                    kinds: tuple[str, str] = ("threshold_loosened", "threshold_tightened"),
                    fields: tuple[str, ...] = ("warn", "fail"), shown: Callable[[float], str] = _num,
                    old_key: KeyPath | None = None) -> None:
    """Enabled, severity, then the levels of one scope (`fields`: the keys that set them); a disabled check's
    levels do not matter. `old_key`: where the scope is in the old file, when its index differs."""
    base = key if old_key is None else old_key
    if old.enabled != new.enabled:
        text = "check disabled; it no longer runs here" if old.enabled else "check enabled again"
        d.add("check_disabled" if old.enabled else "check_enabled", f"{subject}: {text}", (*key, "enabled"),
              old_key=(*base, "enabled"))
        return
    if not new.enabled:
        return
    if old.severity != new.severity:
        lowered = new.severity is Severity.warning
        tail = "; its failures now only warn" if lowered else "; it can now fail"
        d.add("severity_lowered" if lowered else "severity_raised",
              f"{subject}: severity {old.severity.value} -> {new.severity.value}{tail}", (*key, "severity"),
              old_key=(*base, "severity"))
    looser, tighter = _direction(old, new)
    if looser or tighter:
        mixed = " (tighter on one level)" if looser and tighter else ""
        d.add(kinds[0] if looser else kinds[1],
              f"{subject}: {limit_text(old, shown)} -> {limit_text(new, shown)}; {_LOOSER if looser else _TIGHTER}"
              f"{mixed}", key, old_key=base, covers=[(*key, f) for f in fields])


def _limit(d: _Diff, key: KeyPath, subject: str, old: tuple[float, str], new: tuple[float, str],
           kinds: tuple[str, str], higher_is_looser: bool = True) -> None:
    """One number where one direction loosens: (value, text) per side, text as the reader wrote it."""
    (was, was_text), (now, now_text) = old, new
    if was == now:
        return
    looser = (now > was) == higher_is_looser
    d.add(kinds[0] if looser else kinds[1],
          f"{subject} {was_text} -> {now_text}; {_LOOSER if looser else _TIGHTER}", key)


def _end(x: float | None) -> str:
    return "null" if x is None else _num(x)


def _show_range(bounds: Bounds | None) -> str:
    return "none" if bounds is None else f"[{_end(bounds[0])}, {_end(bounds[1])}]"


def _moves(old: Bounds, new: Bounds) -> tuple[list[str], list[str]]:
    """(ends moved in, ends moved out) of an inclusive range; None is an open end."""
    narrowed: list[str] = []
    widened: list[str] = []
    lo_old = -math.inf if old[0] is None else old[0]
    lo_new = -math.inf if new[0] is None else new[0]
    if lo_new != lo_old:
        (narrowed if lo_new > lo_old else widened).append(f"minimum {_end(old[0])} -> {_end(new[0])}")
    if _inf(new[1]) != _inf(old[1]):
        (narrowed if _inf(new[1]) < _inf(old[1]) else widened).append(f"maximum {_end(old[1])} -> {_end(new[1])}")
    return narrowed, widened


def _range_changes(d: _Diff, key: KeyPath, subject: str, old: Bounds | None, new: Bounds | None,
                   kinds: tuple[str, str], shown: tuple[str, str] | None = None) -> None:
    """A narrowed and a widened change (both breaking) for the ends of a range that moved."""
    narrowed, widened = _moves(old or (None, None), new or (None, None))
    was, now = shown or (_show_range(old), _show_range(new))
    if narrowed:
        d.add(kinds[0], f"{subject} {was} -> {now} ({', '.join(narrowed)}); {_MAY_FAIL}", key)
    if widened:
        d.add(kinds[1], f"{subject} {was} -> {now} ({', '.join(widened)}); {_WEAKER}", key)


# ---------------------------------------------------------------------------------------------- sections


def _model(d: _Diff) -> None:
    """model.task: every check that reads the task (outputs, labels, performance) judges differently."""
    old, new = d.old.contract.model.task, d.new.contract.model.task
    if old != new:
        d.add("task_changed", f"model task {old.value} -> {new.value}; outputs and performance are judged "
              "differently", ("model", "task"))


def _owners(d: _Diff) -> None:
    """An owner area left without a team: its findings go to no one."""
    old, new = d.old.contract.owners, d.new.contract.owners
    for area in type(old).model_fields:
        was, now = getattr(old, area), getattr(new, area)
        if was is not None and now is None:
            d.add("owner_removed", f"owner of {area} removed (was team '{was.team}'); its findings are "
                  "unassigned", ("owners", area))
        elif was is None and now is not None:
            d.add("owner_added", f"owner of {area} added: team '{now.team}'", ("owners", area))


def _columns(d: _Diff) -> None:
    """Role columns: one renamed or removed stops checks that relied on it (or points them elsewhere)."""
    old, new = d.old.contract.columns, d.new.contract.columns
    for role in type(old).model_fields:
        key = ("columns", role)
        was, now = getattr(old, role), getattr(new, role)
        if role == "segments":
            _segments(d, key, was, now)
        elif was == now or (not was and not now):
            continue
        elif not now:
            d.add("role_removed", f"column role {role} removed (was {_show(was, True)}); checks that used it "
                  "no longer run", key)
        elif not was:
            d.add("role_added", f"column role {role} added: {_show(now, True)}", key)
        else:
            d.add("role_changed", f"column role {role} {_show(was, True)} -> {_show(now, True)}; checks read "
                  "another column", key)


def _segments(d: _Diff, key: KeyPath, was: list[str], now: list[str]) -> None:
    """Segments are a set: their order has no meaning."""
    d.judged(key)
    removed, added = [c for c in was if c not in now], [c for c in now if c not in was]
    if removed:
        d.add("role_removed", f"segment columns removed: {', '.join(removed)}", key)
    if added:
        d.add("role_added", f"segment columns added: {', '.join(added)}", key)


def _features(d: _Diff) -> None:
    """Features by name: removed, added, or compared key by key."""
    old, new = d.old.contract.features, d.new.contract.features
    hybrid = d.hybrid
    for name in _union(old, new):
        key = ("features", name)
        if name not in new:
            d.add("feature_removed", f"feature '{name}' removed (was {old[name].type.value}); its checks no longer "
                  "run", key, gone=True)
        elif name not in old:
            d.add("feature_added", f"feature '{name}' added ({new[name].type.value})", key)
        else:
            _feature(d, name, old[name], new[name], hybrid)


def _feature(d: _Diff, name: str, old: Feature, new: Feature, hybrid: Contract) -> None:
    key = ("features", name)
    if old.type != new.type:
        d.add("type_changed", f"feature '{name}' type {old.type.value} -> {new.type.value}; data of the old type "
              "now fails validation.schema", (*key, "type"))
    _null_share(d, name, old, new, hybrid)
    _range_changes(d, (*key, "range"), f"feature '{name}' range", old.range, new.range,
                   ("range_narrowed", "range_widened"))
    _allowed(d, name, old, new)
    if old.regex != new.regex:
        d.add("regex_changed", f"feature '{name}' regex {_show(old.regex, True)} -> {_show(new.regex, True)}; "
              "values that matched may not, and values it rejected may now pass", (*key, "regex"))
    if old.unique != new.unique:
        tail = f"repeated values now fail; {_MAY_FAIL}" if new.unique else "repeated values no longer fail"
        d.add("unique_changed", f"feature '{name}' unique {_show(old.unique)} -> {_show(new.unique)}; {tail}",
              (*key, "unique"))
    for check_id in _union(old.checks, new.checks):
        _compare_levels(d, (*key, "checks", check_id), _levels(hybrid, check_id, name),
                        _levels(d.new.contract, check_id, name), f"'{check_id}' on feature '{name}'")


def _null_share(d: _Diff, name: str, old: Feature, new: Feature, hybrid: Contract) -> None:
    """nullable and max_null_share, as the levels of validation.null_share they give (nullable wins)."""
    key = ("features", name)
    judged = [(*key, "nullable"), (*key, "max_null_share")]

    def levels(contract: Contract, f: Feature) -> Levels:
        base = Threshold(fail=0.0) if not f.nullable else stated(f, fail="max_null_share")
        return _levels(contract, "validation.null_share", None, base)

    was, now = levels(hybrid, old), levels(d.new.contract, new)
    if old.nullable != new.nullable:
        if new.nullable:
            d.add("nullable_loosened", f"feature '{name}' nullable false -> true: missing values tolerated "
                  f"({limit_text(now, pct)}); {_WEAKER}", (*key, "nullable"), covers=judged)
        else:
            d.add("nullable_tightened", f"feature '{name}' nullable true -> false: any missing value fails "
                  f"(was {limit_text(was, pct)}); {_MAY_FAIL}", (*key, "nullable"), covers=judged)
        return
    looser, tighter = _direction(was, now)
    if looser or tighter:
        tail = _WEAKER if looser else _MAY_FAIL
        d.add("null_share_loosened" if looser else "null_share_tightened",
              f"feature '{name}' null share {limit_text(was, pct)} -> {limit_text(now, pct)}; {tail}",
              (*key, "max_null_share"), covers=judged)


def _text(value: str | int | bool) -> str:
    """Allowed values are compared as text, as validation.allowed_values does (booleans as true/false)."""
    return _show(value)


def _allowed(d: _Diff, name: str, old: Feature, new: Feature) -> None:
    """Allowed values are a set: a value removed may fail data, a value added weakens the guarantee."""
    key = ("features", name, "allowed")
    d.judged(key)
    if old.allowed is None and new.allowed is None:
        return
    subject = f"feature '{name}' allowed values"
    if old.allowed is None or new.allowed is None:
        narrowed = old.allowed is None
        d.add("allowed_narrowed" if narrowed else "allowed_widened",
              f"{subject} {_show(old.allowed) if old.allowed is not None else 'any'} -> "
              f"{_show(new.allowed) if new.allowed is not None else 'any'}; {_MAY_FAIL if narrowed else _WEAKER}",
              key)
        return
    old_texts, new_texts = {_text(v) for v in old.allowed}, {_text(v) for v in new.allowed}
    removed = [_text(v) for v in old.allowed if _text(v) not in new_texts]
    added = [_text(v) for v in new.allowed if _text(v) not in old_texts]
    if removed:
        d.add("allowed_narrowed", f"{subject}: no longer allowed {', '.join(removed)}; {_MAY_FAIL}", key)
    if added:
        d.add("allowed_widened", f"{subject}: now also allowed {', '.join(added)}; {_WEAKER}", key)


def _rule_levels(contract: Contract, rule: Rule) -> Levels:
    base = stated(rule, fail="max_violation_share", warn="warn_violation_share", severity="severity")
    return _levels(contract, "validation.rule", None, base, warn_on_any=True)


def _rules(d: _Diff) -> None:
    """Rules by name (names are unique): a renamed rule is one removed and one added; order has no meaning."""
    old = {r.name: (i, r) for i, r in enumerate(d.old.contract.rules)}
    new = {r.name: (i, r) for i, r in enumerate(d.new.contract.rules)}
    hybrid = d.hybrid
    for name in _union(old, new):
        if name not in new:
            d.add("rule_removed", f"rule '{name}' removed (was `{old[name][1].expr}`); it no longer runs",
                  ("rules", old[name][0]), gone=True, covers=())
        elif name not in old:
            d.add("rule_added", f"rule '{name}' added: `{new[name][1].expr}`", ("rules", new[name][0]))
        else:
            _rule(d, name, old[name], new[name], hybrid)
    d.judged(("rules",))


def _rule(d: _Diff, name: str, old: tuple[int, Rule], new: tuple[int, Rule], hybrid: Contract) -> None:
    (i_old, was), (i_new, now) = old, new
    key, old_key = ("rules", i_new), ("rules", i_old)
    if was.expr != now.expr:
        d.add("rule_changed", f"rule '{name}' expression `{was.expr}` -> `{now.expr}`; it judges rows "
              "differently", (*key, "expr"), old_key=(*old_key, "expr"))
    _compare_levels(d, key, _rule_levels(hybrid, was), _rule_levels(d.new.contract, now), f"rule '{name}'",
                    kinds=("rule_loosened", "rule_tightened"),
                    fields=("warn_violation_share", "max_violation_share"), shown=pct, old_key=old_key)
    d.generic(was.model_dump(mode="json"), now.model_dump(mode="json"), key, old_key)


def _dataset(d: _Diff) -> None:
    """Row count bounds (min 1 when unset, as validation.row_count) and freshness durations."""
    old, new = d.old.contract.dataset, d.new.contract.dataset
    kinds = ("row_count_loosened", "row_count_tightened")
    key = ("dataset", "row_count")

    def low(c: RowCount | None) -> tuple[float, str]:
        return (1, "1 (default)") if c is None or c.min is None else (c.min, f"{c.min:,}")

    def high(c: RowCount | None) -> tuple[float, str]:
        return (math.inf, "unbounded") if c is None or c.max is None else (c.max, f"{c.max:,}")

    _limit(d, (*key, "min"), "row count minimum", low(old.row_count), low(new.row_count), kinds,
           higher_is_looser=False)
    _limit(d, (*key, "max"), "row count maximum", high(old.row_count), high(new.row_count), kinds)
    _freshness(d)


def _freshness(d: _Diff) -> None:
    """Freshness fail and warn ages; warn is compared as the first age that alerts at all."""
    old, new = d.old.contract.dataset.freshness, d.new.contract.dataset.freshness
    kinds = ("freshness_loosened", "freshness_tightened")
    key = ("dataset", "freshness")

    def age(text: str | None) -> float:
        return math.inf if text is None else parse_duration(text).total_seconds()

    fail_old, fail_new = old.fail if old else None, new.fail if new else None
    _limit(d, (*key, "fail"), "freshness fail age", (age(fail_old), fail_old or "none"),
           (age(fail_new), fail_new or "none"), kinds)
    warn_old, warn_new = old.warn if old else None, new.warn if new else None
    if warn_old is not None or warn_new is not None:
        _limit(d, (*key, "warn"), "freshness warn age", (min(age(warn_old), age(fail_old)), warn_old or "none"),
               (min(age(warn_new), age(fail_new)), warn_new or "none"), kinds)


def _score_range(c: Contract) -> Bounds:
    """outputs.score_range as it takes effect: [0, 1] for classifiers when unset, no range for regression."""
    if c.outputs.score_range is not None:
        return c.outputs.score_range
    return (None, None) if c.model.task is Task.regression else (0.0, 1.0)


def _outputs(d: _Diff) -> None:
    """Score range (both directions breaking), invalid-output share and tolerance, confidence gate."""
    old, new = d.old.contract, d.new.contract
    key = ("outputs", "score_range")
    was, now = _score_range(old), _score_range(new)
    shown = tuple(_show_range(r) + ("" if c.outputs.score_range is not None else " (default)")
                  for r, c in ((was, old), (now, new)))
    _range_changes(d, key, "score range", was, now, ("score_range_narrowed", "score_range_widened"),
                   (shown[0], shown[1]))
    kinds = ("outputs_loosened", "outputs_tightened")
    _compare_levels(d, ("outputs", "max_violation_share"),
                    _levels(d.hybrid, "validation.prediction_range", None,
                            stated(old.outputs, fail="max_violation_share"), warn_on_any=True),
                    _levels(new, "validation.prediction_range", None,
                            stated(new.outputs, fail="max_violation_share"), warn_on_any=True),
                    "invalid outputs share", kinds=kinds, fields=("max_violation_share",),
                    shown=pct)
    tol_old, tol_new = old.outputs.probabilities_sum_tolerance, new.outputs.probabilities_sum_tolerance
    _limit(d, ("outputs", "probabilities_sum_tolerance"), "probability sum tolerance",
           (tol_old, _num(tol_old)), (tol_new, _num(tol_new)), kinds)
    _confidence_gate(d)


def _confidence_gate(d: _Diff) -> None:
    """A gate removed stops the check; `below` lowered counts fewer decisions as weak (looser)."""
    old, new = d.old.contract.outputs.confidence_gate, d.new.contract.outputs.confidence_gate
    key = ("outputs", "confidence_gate")
    if old is None and new is None:
        return
    if new is None:
        d.add("confidence_gate_removed", "confidence gate removed; weak automatic decisions are no longer "
              "checked", key)
        return
    if old is None:
        d.add("confidence_gate_added", f"confidence gate added (below {_num(new.below)})", key)
        return
    kinds = ("confidence_gate_loosened", "confidence_gate_tightened")
    _limit(d, (*key, "below"), "confidence gate 'below'", (old.below, _num(old.below)),
           (new.below, _num(new.below)), kinds, higher_is_looser=False)
    was = _levels(d.hybrid, "validation.confidence_gate", None, stated(old, warn="warn", fail="fail"))
    now = _levels(d.new.contract, "validation.confidence_gate", None, stated(new, warn="warn", fail="fail"))
    _compare_levels(d, key, was, now, "confidence gate share", kinds=kinds, shown=pct)


def _thresholds(d: _Diff) -> None:
    """thresholds.<check>: contract-wide levels as they take effect, registry defaults filling unset keys."""
    old, new = d.old.contract, d.new.contract
    for check_id in _union(old.thresholds, new.thresholds):
        _compare_levels(d, ("thresholds", check_id), _levels(old, check_id), _levels(new, check_id),
                        f"'{check_id}' contract-wide")


def _significance(d: _Diff, key: KeyPath, subject: str, old: float, new: float) -> None:
    """Raised: more findings and more false alarms (what passed may fail); lowered: fewer findings."""
    if old < new:
        d.add("alpha_raised", f"{subject} {_num(old)} -> {_num(new)}; more findings and false alarms: runs "
              "that passed may now fail", key)
    elif old > new:
        d.add("alpha_lowered", f"{subject} {_num(old)} -> {_num(new)}; fewer findings: changes it reported "
              "may now pass", key)


def _drift(d: _Diff) -> None:
    """drift.alpha and drift.correction decide which drifts count: any change moves the gate."""
    old, new = d.old.contract.drift, d.new.contract.drift
    _significance(d, ("drift", "alpha"), "drift alpha", old.alpha, new.alpha)
    if old.correction != new.correction:
        tail = ("no correction: many features tested at once give many false alarms" if new.correction == "none"
                else "a different number of drifts is reported")
        d.add("correction_changed", f"drift correction {old.correction} -> {new.correction}; {tail}",
              ("drift", "correction"))


def _tolerance(c: Contract) -> float | None:
    """The headline's allowed worsening: outcomes.tolerance, else 0.02 for a rate; None (relative to the
    reference) for a loss."""
    o = c.outcomes
    if o.tolerance is not None:
        return o.tolerance
    return RATE_TOLERANCE if (o.headline or HEADLINE[c.model.task]) in HIGHER_IS_BETTER else None


def _outcomes(d: _Diff) -> None:
    """Allowed worsening of performance and calibration: raised is looser."""
    old, new = d.old.contract, d.new.contract
    kinds = ("outcomes_loosened", "outcomes_tightened")
    was, now = _tolerance(old), _tolerance(new)
    same_headline = (old.outcomes.headline or HEADLINE[old.model.task]) == (
        new.outcomes.headline or HEADLINE[new.model.task])
    key = ("outcomes", "tolerance")
    if same_headline and was is not None and now is not None:
        _limit(d, key, "outcomes tolerance", (was, _num(was)), (now, _num(now)), kinds)
    elif same_headline and was != now:
        d.add("tolerance_changed", f"outcomes tolerance {_show(old.outcomes.tolerance)} -> "
              f"{_show(new.outcomes.tolerance)}; an absolute tolerance and the default relative to the reference "
              "cannot be compared: review it", key)
    for path, subject in ((("relative_tolerance",), "outcomes relative tolerance"),
                          (("calibration", "max_ece"), "calibration max_ece"),
                          (("confidence", "max_increase"), "low-confidence max_increase")):
        a, b = _get(old.outcomes, path), _get(new.outcomes, path)
        _limit(d, ("outcomes", *path), subject, (a, _num(a)), (b, _num(b)), kinds)
    _significance(d, ("outcomes", "alpha"), "outcomes alpha", old.outcomes.alpha, new.outcomes.alpha)


def _get(section: Any, path: tuple[str, ...]) -> float:
    for part in path:
        section = getattr(section, part)
    return float(section)


def _human_review(d: _Diff) -> None:
    """Review conditions removed or an unreviewed share raised let the model decide more alone."""
    old, new = d.old.contract.human_review, d.new.contract.human_review
    key: KeyPath = ("human_review",)
    if old is None and new is None:
        return
    if new is None:
        d.add("review_removed", "human_review removed: no decision is required to reach a person any more", key,
              gone=True)
        return
    if old is None:
        d.add("review_added", f"human_review added ({len(new.required_when)} conditions)", key)
        return
    before = {c.name: c for c in old.required_when}
    after = {c.name: c for c in new.required_when}
    for i, name in enumerate(before):
        if name not in after:
            d.add("review_removed", f"review condition '{name}' removed: such decisions may now be taken alone",
                  (*key, "required_when", i), gone=True)
    for i, (name, c) in enumerate(after.items()):
        path = (*key, "required_when", i)
        if name not in before:
            d.add("review_added", f"review condition '{name}' added", path)
            continue
        was_c = before[name]
        was = was_c.max_unreviewed_share if was_c.max_unreviewed_share is not None else old.max_unreviewed_share
        now = c.max_unreviewed_share if c.max_unreviewed_share is not None else new.max_unreviewed_share
        if (was_c.expr, was_c.out_of_distribution) != (c.expr, c.out_of_distribution):
            was_text, now_text = _show(was_c.expr or "out_of_distribution"), _show(c.expr or "out_of_distribution")
            d.add("review_loosened", f"review condition '{name}' rewritten: {was_text} -> {now_text}; which "
                  "decisions need a person changed", path)
        if now != was:
            kind = "review_loosened" if now > was else "review_tightened"
            d.add(kind, f"review condition '{name}': unreviewed share allowed {_num(was)} -> {_num(now)}", path)
    d.judged(key)
    if new.max_unreviewed_share > old.max_unreviewed_share:
        d.add("review_loosened", f"human_review.max_unreviewed_share {_num(old.max_unreviewed_share)} -> "
              f"{_num(new.max_unreviewed_share)}", (*key, "max_unreviewed_share"))


def _kill_switch(d: _Diff) -> None:
    """A kill switch removed, a condition removed or made warn-only: the model can no longer be stopped by it."""
    old, new = d.old.contract.kill_switch, d.new.contract.kill_switch
    key: KeyPath = ("kill_switch",)
    if old is None and new is None:
        return
    if new is None:
        d.add("kill_switch_removed", "kill_switch removed: nothing can take the model out of the loop any more", key,
              gone=True)
        return
    if old is None:
        d.add("kill_switch_added", f"kill_switch added ({len(new.when)} conditions)", key)
        return
    before = {c.model_dump_json(exclude={"name", "warn_only"}): (i, c) for i, c in enumerate(old.when)}
    after = {c.model_dump_json(exclude={"name", "warn_only"}): (i, c) for i, c in enumerate(new.when)}
    for sig, (i, c) in before.items():
        if sig not in after:
            d.add("kill_condition_removed", f"kill-switch condition {c.name or c.check!r} removed or changed",
                  (*key, "when", i), gone=True)
    for sig, (i, c) in after.items():
        if sig not in before:
            d.add("kill_condition_added", f"kill-switch condition {c.name or c.check!r} added", (*key, "when", i))
        elif c.warn_only and not before[sig][1].warn_only:
            d.add("kill_condition_softened", f"kill-switch condition {c.name or c.check!r} made warn_only: it no "
                  "longer disables the model", (*key, "when", i))
    d.judged(key)
