"""Strict YAML loading: every problem located at file:line:column with its key path.

PyYAML silently keeps the last of two duplicate keys and its errors carry no
key path, so the document is composed into nodes first and turned into plain
Python values here, remembering where each key and value starts. Pydantic then
validates the values; its error locations are mapped back onto those marks.
All problems are gathered and raised together in one :class:`ContractError`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any

import polars as pl
import yaml
from pydantic import BaseModel, ValidationError

from mlaudit.contract.model import Contract
from mlaudit.errors import ContractError

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class LoadedContract:
    """A validated contract plus where it came from, for located messages and the report."""

    contract: Contract
    path: str
    sha256: str
    marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: KeyPath) -> str:
        """'file:line:col (key.path)' for the closest located ancestor of `path`."""
        return _where(self.path, self.marks, path)


def format_path(path: KeyPath) -> str:
    """('features', 'income', 'range', 0) -> 'features.income.range[0]'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _where(file: str, marks: dict[KeyPath, tuple[int, int]], path: KeyPath) -> str:
    probe = tuple(path)
    while probe not in marks and probe:
        probe = probe[:-1]
    line, col = marks.get(probe, (1, 1))
    return f"{file}:{line}:{col} ({format_path(path)})"


#: Tags a contract may use: the plain YAML types. Anything else (!!python/object, custom tags) is refused.
_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")}
#: Upper bound on nodes, so alias expansion ("billion laughs") cannot exhaust memory.
MAX_NODES = 200_000
#: Deepest nesting a contract may have (its deepest real key is about six levels down).
MAX_DEPTH = 32


@dataclass(frozen=True)
class OddKey:
    """A mapping key that YAML read as a boolean, number, null or date rather than as text."""

    path: KeyPath
    spelling: str
    kind: str
    line: int
    col: int

    def problem(self, file: str) -> str:
        where = f"{file}:{self.line}:{self.col} ({format_path(self.path)})"
        if not self.spelling.strip():
            return f"{where}: a key is empty (YAML reads it as null); write a name before the colon"
        quoted = '"' + self.spelling.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{where}: key '{self.spelling}' was read by YAML as {self.kind}, not a name; quote it ({quoted}:)"


def _kind_of(value: object) -> str:
    """What YAML made of a plain scalar, in words."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    if isinstance(value, dt.datetime):
        return "a date and time"
    if isinstance(value, dt.date):
        return "a date"
    return f"a {type(value).__name__}"


class _Composer:
    """Turns a YAML node tree into Python values, recording marks and duplicate keys.

    Refuses what a contract has no use for and what would hide its meaning from
    a reviewer: custom tags, merge keys (<<) and recursive aliases.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.marks: dict[KeyPath, tuple[int, int]] = {}
        self.problems: list[str] = []
        #: Keys YAML read as something other than text (yes, 1, 2026-01-01, ~), kept under their spelling.
        self.odd_keys: list[OddKey] = []
        self._scalars = yaml.SafeLoader("")
        self._nodes = 0
        self._open: set[int] = set()

    def _at(self, node: yaml.Node, path: KeyPath) -> str:
        return f"{self.file}:{node.start_mark.line + 1}:{node.start_mark.column + 1} ({format_path(path)})"

    def _scalar(self, node: yaml.Node, path: KeyPath) -> Any:
        if node.tag not in _PLAIN_TAGS:
            raise ContractError([f"{self._at(node, path)}: YAML tag {node.tag} is not allowed in a contract; "
                                 "write a plain value"])
        try:
            return self._scalars.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise ContractError([f"{self._at(node, path)}: cannot read this value ({getattr(exc, 'problem', exc)})"]
                                ) from None
        except (ValueError, IndexError, KeyError, AttributeError, OverflowError) as exc:
            # PyYAML's converters raise these for values such as 2026-02-30, !!int abc or a 5,000-digit number
            text = _short(str(exc) or type(exc).__name__)
            raise ContractError([f"{self._at(node, path)}: cannot read this value ({text}); write a plain, valid "
                                 "value"]) from None

    def value(self, node: yaml.Node, path: KeyPath) -> Any:
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise ContractError([f"{self._at(node, path)}: the contract expands to more than {MAX_NODES:,} values "
                                 "(aliases?); write it out plainly"])
        if id(node) in self._open:
            raise ContractError([f"{self._at(node, path)}: a YAML alias refers to itself; remove the recursion"])
        if len(path) > MAX_DEPTH:
            raise ContractError([f"{self._at(node, path)}: nested more than {MAX_DEPTH} levels deep; a contract is "
                                 "a few levels deep, write it out plainly"])
        self.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
            raise ContractError([f"{self._at(node, path)}: YAML tag {node.tag} is not allowed in a contract"])
        self._open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return [self.value(item, (*path, i)) for i, item in enumerate(node.value)]
            return self._scalar(node, path)
        finally:
            self._open.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ContractError([f"{self._at(key_node, path)}: YAML merge keys (<<) are not supported; "
                                     "write the keys out so a reviewer sees them"])
            if not isinstance(key_node, yaml.ScalarNode):
                raise ContractError([f"{self._at(key_node, path)}: a key must be a plain name, not a list or mapping"])
            key = self._scalar(key_node, path)
            line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            odd = None
            if not isinstance(key, str):
                # keep the name as written: `yes:` is the column 'yes' to the reader, not True
                odd = OddKey((*path, str(key_node.value)), str(key_node.value), _kind_of(key), line, col)
                key = odd.spelling
            key_path = (*path, key)
            if key in out:
                first = self.marks.get(key_path, (0, 0))
                self.problems.append(f"{self.file}:{line}:{col} ({format_path(key_path)}): duplicate key "
                                     f"'{key}' (first defined at line {first[0]}); remove one of them")
                continue
            if odd is not None:
                self.odd_keys.append(odd)
            self.marks[key_path] = (line, col)
            out[key] = self.value(value_node, key_path)
            self.marks[key_path] = (line, col)  # the key is the better place to point at for its value
        return out


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types inside Optional/Union/list/dict/tuple annotations."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    return [annotation]


def _annotation_at(root: type[BaseModel], loc: KeyPath) -> Any:
    """The annotation that validates the value at `loc` (None where the path leaves the model)."""
    current: Any = root
    for part in loc:
        candidates = _unwrap(current)
        nxt: Any = None
        for cand in candidates:
            origin = typing.get_origin(cand)
            if isinstance(cand, type) and issubclass(cand, BaseModel) and isinstance(part, str):
                if part in cand.model_fields:
                    nxt = cand.model_fields[part].annotation
                    break
            elif origin is dict:
                nxt = typing.get_args(cand)[1]
                break
            elif origin in (list, tuple) and isinstance(part, int):
                nxt = typing.get_args(cand)[0]
                break
        if nxt is None:
            return None
        current = nxt
    return current


def _model_at(root: type[BaseModel], loc: KeyPath) -> type[BaseModel] | None:
    """The pydantic model class that validates the mapping at `loc`, if any."""
    for cand in _unwrap(_annotation_at(root, loc)):
        if isinstance(cand, type) and issubclass(cand, BaseModel):
            return cand
    return None


def _odd_key_problems(odd_keys: list[OddKey], file: str) -> tuple[list[str], set[KeyPath]]:
    """Problems for keys YAML did not read as text, and the paths they were reported at.

    Reported where the key must be a name (features, thresholds, a feature's checks) or where its spelling is a
    section key; elsewhere the key stays under its spelling and the usual message says what is wrong with it
    ("unknown key 'on'", or a mapping where a value belongs), which quoting would not fix.
    """
    problems: list[str] = []
    reported: set[KeyPath] = set()
    for odd in odd_keys:
        parent = odd.path[:-1]
        names = any(typing.get_origin(c) is dict for c in _unwrap(_annotation_at(Contract, parent)))
        model = _model_at(Contract, parent)
        if names or (model is not None and odd.spelling in model.model_fields):
            problems.append(odd.problem(file))
            reported.add(odd.path)
    return problems, reported


def _data_path(data: Any, loc: tuple[Any, ...], keep_last: bool) -> KeyPath:
    """The part of a pydantic error location that exists in the data.

    Pydantic adds the names of union members ('str', 'int', 'str-enum[...]') to
    locations; they are not keys of the file and would point nowhere.
    """
    path: list[str | int] = []
    current = data
    for i, part in enumerate(loc):
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            current = current[part]
            path.append(part)
        elif keep_last and i == len(loc) - 1 and isinstance(part, str | int):
            path.append(part)
    return tuple(path)


def _pydantic_problems(
    exc: ValidationError, file: str, marks: dict[KeyPath, tuple[int, int]], data: Any
) -> list[str]:
    problems = []
    seen: set[KeyPath] = set()
    for err in exc.errors(include_url=False):
        kind = err["type"]
        loc = _data_path(data, tuple(err["loc"]), keep_last=kind == "missing")
        if loc in seen:  # one problem per place: pydantic reports once per union member
            continue
        seen.add(loc)
        where = _where(file, marks, loc)
        if kind == "extra_forbidden":
            parent = _model_at(Contract, loc[:-1])
            allowed = sorted(parent.model_fields) if parent else []
            hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
            suggestion = f"did you mean '{hint[0]}'?" if hint else f"allowed keys: {', '.join(allowed)}"
            problems.append(f"{where}: unknown key '{loc[-1]}'; {suggestion}")
        elif kind == "missing":
            problems.append(f"{where}: required key '{loc[-1]}' is missing; add it")
        else:
            got = err.get("input")
            shown = f" (got {_short(_repr(got))})" if not isinstance(got, dict | list) else ""
            msg = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {msg}{shown}")
    return problems


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


#: Feature keys that only make sense for some feature types.
_KEYS_BY_TYPE = {
    "range": ("float", "int"),
    "allowed": ("category", "string", "int", "bool"),
    "regex": ("string", "category"),
}


def _semantic_problems(data: dict[str, Any], where: typing.Callable[[KeyPath], str],
                       odd: frozenset[KeyPath] = frozenset()) -> list[str]:
    """Checks pydantic cannot express, run on the raw values so they are reported even when
    other parts of the file are invalid: SQL that parses, regexes polars accepts, check ids that exist."""
    from mlaudit.checks.registry import REGISTRY

    problems = []
    rules = data.get("rules")
    seen_names: dict[str, int] = {}
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        name = _mapping(rule).get("name")
        if isinstance(name, str):
            if name in seen_names:
                problems.append(f"{where(('rules', i, 'name'))}: rule name '{name}' is already used by "
                                f"rules[{seen_names[name]}]; names identify findings, make it unique")
            seen_names.setdefault(name, i)
        expr = _mapping(rule).get("expr")
        if isinstance(expr, str):
            try:
                pl.sql_expr(expr)
            except Exception as exc:  # polars raises several error types for bad SQL
                problems.append(f"{where(('rules', i, 'expr'))}: SQL expression does not parse: {exc}")
    sql_lists = [(("outcomes", "slices", "predicates"), _mapping(_mapping(data.get("outcomes")).get("slices"))
                  .get("predicates")),
                 (("human_review", "required_when"), _mapping(data.get("human_review")).get("required_when"))]
    for list_path, items in sql_lists:
        for i, item in enumerate(items if isinstance(items, list) else []):
            expr = _mapping(item).get("expr")
            if isinstance(expr, str):
                try:
                    pl.sql_expr(expr)
                except Exception as exc:  # polars raises several error types for bad SQL
                    problems.append(f"{where((*list_path, i, 'expr'))}: SQL expression does not parse: {exc}")
    for section, key in (("kill_switch", "when"), ("retraining", "evidence")):
        conditions = _mapping(data.get(section)).get(key)
        for i, condition in enumerate(conditions if isinstance(conditions, list) else []):
            name = _mapping(condition).get("check")
            if isinstance(name, str) and not REGISTRY.knows(name):
                choices = REGISTRY.ids() + REGISTRY.families()
                hint = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
                tail = f"did you mean '{hint[0]}'?" if hint else "run `mlaudit checks` for the list"
                problems.append(f"{where((section, key, i, 'check'))}: unknown check or family '{name}'; {tail}")
    features = _mapping(data.get("features"))
    for name, feature in features.items():
        ftype = _mapping(feature).get("type")
        for key, types in _KEYS_BY_TYPE.items():
            if _mapping(feature).get(key) is not None and isinstance(ftype, str) and ftype not in types:
                problems.append(f"{where(('features', name, key))}: {key} applies to {', '.join(types)} "
                                f"features, not {ftype}")
        regex = _mapping(feature).get("regex")
        if isinstance(regex, str):
            try:  # polars evaluates patterns with Rust's regex engine: no look-around or backreferences
                pl.select(pl.lit("").str.contains(f"^(?:{regex})$"))
            except pl.exceptions.PolarsError as exc:
                problems.append(f"{where(('features', name, 'regex'))}: invalid regular expression for polars "
                                f"(Rust syntax): {' '.join(str(exc).split())[:200]}")
    scopes: list[tuple[KeyPath, dict[Any, Any]]] = [(("thresholds",), _mapping(data.get("thresholds")))]
    scopes += [(("features", n, "checks"), _mapping(_mapping(f).get("checks"))) for n, f in features.items()]
    for path, overrides in scopes:
        for check_id, override in overrides.items():
            if str(check_id) not in REGISTRY.ids():
                if (*path, check_id) in odd:  # already said: the key was read as a number or a boolean
                    continue
                hint = difflib.get_close_matches(str(check_id), REGISTRY.ids(), n=1, cutoff=0.6)
                tail = f"did you mean '{hint[0]}'?" if hint else "run `mlaudit checks` for the list"
                problems.append(f"{where((*path, check_id))}: unknown check '{check_id}'; {tail}")
                continue
            spec = REGISTRY.get(str(check_id)).spec
            written = {k for k in ("warn", "fail") if _mapping(override).get(k) is not None}
            if written and spec.levels_from:
                problems.append(f"{where((*path, check_id, sorted(written)[0]))}: '{check_id}' takes its levels "
                                f"from {spec.levels_from}, not from warn/fail here")
            if path[0] == "features" and not spec.per_feature:
                problems.append(f"{where((*path, check_id))}: '{check_id}' is not evaluated per feature; "
                                f"set it under thresholds.{check_id} instead")
            method = _mapping(override).get("method")
            if method is not None and method not in spec.methods:
                offered = f"one of {', '.join(spec.methods)}" if spec.methods else "no method choice"
                problems.append(f"{where((*path, check_id, 'method'))}: '{check_id}' offers {offered}, "
                                f"not '{method}'")
    return problems


def _model_problems(contract: Contract, where: typing.Callable[[KeyPath], str]) -> list[str]:
    """Consistency between sections of a contract that validated."""
    problems = []
    if contract.model.task.value == "multiclass_classification" and contract.columns.probabilities:
        classes = contract.model.classes or []
        if len(classes) != len(contract.columns.probabilities):
            problems.append(
                f"{where(('columns', 'probabilities'))}: {len(contract.columns.probabilities)} probability "
                f"columns but model.classes lists {len(classes)}; list one class per column"
            )
    return problems + _outcome_problems(contract, where)


#: Headline metrics each task can compute.
_TASK_METRICS = {
    "binary_classification": ("accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss", "brier"),
    "multiclass_classification": ("accuracy", "macro_precision", "macro_recall", "macro_f1", "roc_auc", "log_loss",
                                  "brier"),
    "regression": ("mae", "rmse", "mape", "pinball", "asymmetric"),
}


def _outcome_problems(contract: Contract, where: typing.Callable[[KeyPath], str]) -> list[str]:
    """The outcomes section against the model's task and the column roles it relies on."""
    problems = []
    o, task = contract.outcomes, contract.model.task.value
    if o.headline is not None and o.headline not in _TASK_METRICS[task]:
        problems.append(f"{where(('outcomes', 'headline'))}: '{o.headline}' is not a {task} metric; use one of "
                        f"{', '.join(_TASK_METRICS[task])}")
    costs = o.costs
    if costs is None:
        return problems
    binary_costs = costs.false_negative is not None or costs.false_positive is not None
    if binary_costs and task != "binary_classification":
        key = "false_negative" if costs.false_negative is not None else "false_positive"
        problems.append(f"{where(('outcomes', 'costs', key))}: false_negative/false_positive costs apply to binary "
                        "models; give a cost matrix (outcomes.costs.matrix) instead")
    if costs.matrix and task == "regression":
        problems.append(f"{where(('outcomes', 'costs', 'matrix'))}: a cost matrix needs classes; regression costs "
                        "come from columns.cost")
    cells: list[tuple[KeyPath, typing.Any]] = [(("outcomes", "costs", k), getattr(costs, k))
                                               for k in ("false_negative", "false_positive")]
    cells += [(("outcomes", "costs", "matrix", i, "cost"), c.cost) for i, c in enumerate(costs.matrix)]
    classes = [str(c) for c in contract.model.classes or []]
    for path, value in cells:
        if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            problems.append(f"{where(path)}: cost {value} is negative; write what an error costs as a positive "
                            "amount")
        if value == "amount" and not contract.columns.amount:
            problems.append(f"{where(path)}: 'amount' means columns.amount, which the contract does not set")
    binary_values = {"0", "1", "true", "false"} | ({str(contract.model.positive_class).lower()}
                                                   if contract.model.positive_class is not None else set())
    for i, cell in enumerate(costs.matrix):
        for key in ("actual", "predicted"):
            value = getattr(cell, key)
            if task == "binary_classification" and not classes and str(value).lower() not in binary_values:
                problems.append(f"{where(('outcomes', 'costs', 'matrix', i, key))}: class {value!r} of a binary "
                                "model: write 1/true (the positive class) or 0/false, or set model.positive_class")
            elif classes and str(getattr(cell, key)) not in classes:
                problems.append(f"{where(('outcomes', 'costs', 'matrix', i, key))}: class {getattr(cell, key)!r} "
                                f"is not in model.classes ({', '.join(classes)})")
    return problems


_POSITION = re.compile(r":(\d+):(\d+)")


def _by_position(problems: list[str]) -> list[str]:
    """Problems in file order, so a person can fix them top to bottom."""
    def key(p: str) -> tuple[int, int]:
        m = _POSITION.search(p)
        return (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    return sorted(problems, key=key)


def _repr(value: object) -> str:
    """repr() that survives values Python refuses to print (an integer of thousands of digits)."""
    try:
        return repr(value)
    except ValueError:
        return f"<{type(value).__name__} too large to show>"


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _tab_problem(exc: yaml.MarkedYAMLError) -> str | None:
    """What to say when a tab broke the YAML (PyYAML says "found character '\\t' that cannot start any token")."""
    mark = exc.problem_mark
    if mark is None or "'\\t'" not in str(exc.problem):
        return None
    buffer, pointer = getattr(mark, "buffer", None), getattr(mark, "pointer", None)
    if isinstance(buffer, str) and isinstance(pointer, int):
        line_start = buffer.rfind("\n", 0, pointer) + 1
        if buffer[line_start:pointer].strip(" \t\ufeff"):  # text before it on its line: a tab between tokens
            return "a tab character; YAML takes spaces, not tabs, between keys and values: replace the tab with spaces"
    return "a tab character; YAML indents with spaces only: replace the tab with spaces"


def parse_contract(text: str, file: str = "<contract>") -> LoadedContract:
    """Parse and validate contract text; raise ContractError with every problem found."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        tab = _tab_problem(exc)
        if tab is not None:
            raise ContractError([f"{file}:{line}:{col}: not valid YAML: {tab}"]) from None
        raise ContractError([f"{file}:{line}:{col}: not valid YAML: {exc.problem or exc}"]) from None
    except yaml.YAMLError as exc:
        raise ContractError([f"{file}:1:1: not valid YAML: {exc}"]) from None
    except RecursionError:
        raise ContractError([f"{file}:1:1: the YAML nests too deeply to be a contract; write it out plainly"]) from None
    composer = _Composer(file)
    data = composer.value(node, ()) if node is not None else None
    if data is None:
        raise ContractError([f"{file}:1:1: the contract is empty; start from `mlaudit init`"])
    problems = list(composer.problems)
    odd_problems, odd_paths = _odd_key_problems(composer.odd_keys, file)
    problems += odd_problems
    if not isinstance(data, dict):
        raise ContractError([*problems, f"{file}:1:1: the contract must be a mapping of sections"])
    if "version" in data and data["version"] != 1:
        raise ContractError([f"{_where(file, composer.marks, ('version',))}: unsupported contract "
                             f"version {_short(_repr(data['version']))}; this mlaudit reads version 1"])
    contract: Contract | None = None
    try:
        contract = Contract.model_validate(data)
    except ValidationError as exc:
        problems += _pydantic_problems(exc, file, composer.marks, data)
    problems += _semantic_problems(data, lambda p: _where(file, composer.marks, p), frozenset(odd_paths))
    if contract is not None:
        problems += _model_problems(contract, lambda p: _where(file, composer.marks, p))
    if not problems:  # an odd key nothing else objected to: never load it under a meaning nobody wrote
        problems += [odd.problem(file) for odd in composer.odd_keys if odd.path not in odd_paths]
    if problems or contract is None:
        raise ContractError(_by_position(problems))
    digest = hashlib.sha256(text.encode()).hexdigest()
    return LoadedContract(contract=contract, path=file, sha256=digest, marks=composer.marks)


def load_contract(path: str | Path) -> LoadedContract:
    """Read and validate a contract file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractError([f"{p}: contract file not found; check the path"]) from None
    except IsADirectoryError:
        raise ContractError([f"{p}: is a directory, not a contract file"]) from None
    except UnicodeDecodeError as exc:
        raise ContractError([f"{p}: not UTF-8 text ({exc.reason}); save the contract as UTF-8"]) from None
    except OSError as exc:
        raise ContractError([f"{p}: cannot read the contract ({exc.strerror})"]) from None
    return parse_contract(text, str(path))
