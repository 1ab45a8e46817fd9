"""`validate_plan(data)`: the plan JSON's rules (SPEC §2); every message names its field path."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from bot.plan.core.graph import cycle_in, format_cycle
from bot.plan.core.model import (
    RISK_CATEGORIES,
    STATUSES,
    Dependency,
    Enabler,
    Feature,
    Milestone,
    Nfrs,
    Perspectives,
    Plan,
    Risk,
)

FEATURE_ID = re.compile(r"^FEAT_[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_\d{3}$")
ENABLER_ID = re.compile(r"^ENAB_[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_\d{3}$")
PLAN_KEYS = ("pi_vision", "features", "enablers", "nfrs", "dependencies", "risks", "milestones", "perspectives")
EXTENSION_KEYS = ("status", "issue", "group")
FEATURE_KEYS = ("feature_id", "title", "benefit_hypothesis", "acceptance_criteria", "domain", "priority",
                "estimate_hours", *EXTENSION_KEYS)
ENABLER_KEYS = ("enabler_id", "title", "architectural_purpose", "estimate_hours", *EXTENSION_KEYS)
NFR_KEYS = ("performance", "security")
DEPENDENCY_KEYS = ("source_id", "target_id", "reason")
RISK_KEYS = ("description", "category", "mitigation")
MILESTONE_KEYS = ("name", "target", "items")
PERSPECTIVE_KEYS = ("pm", "architect", "rte")


class Reader:
    """Reads typed fields out of JSON-like data, collecting `path: message` errors."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, path: str, message: str) -> None:
        """Record one error for `path`."""
        self.errors.append(f"{path}: {message}")

    def mapping(self, value: Any, path: str, keys: tuple[str, ...]) -> Mapping[str, Any] | None:
        """`value` as a mapping with only known keys, or None (error recorded)."""
        if not isinstance(value, Mapping):
            self.fail(path or "plan", "must be an object")
            return None
        for key in value:
            if key not in keys:
                self.fail(_join(path, str(key)), f"unknown key (expected one of: {', '.join(keys)})")
        return value

    def text(self, obj: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> str:
        """A string field, stripped; '' when absent and optional."""
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(_join(path, key), "required")
            return ""
        if not isinstance(value, str):
            self.fail(_join(path, key), f"must be a string, got {type(value).__name__}")
            return ""
        return value.strip()

    def texts(self, obj: Mapping[str, Any], key: str, path: str, *, at_least: str = "") -> tuple[str, ...]:
        """A list of non-empty strings; `at_least` names the item when one is required."""
        values = self.items(obj, key, path)
        out = []
        for index, value in enumerate(values):
            if isinstance(value, str) and value.strip():
                out.append(value.strip())
            else:
                self.fail(f"{_join(path, key)}[{index}]", "must be a non-empty string")
        if at_least and not values:
            self.fail(_join(path, key), f"at least one {at_least}")
        return tuple(out)

    def text_or_texts(self, obj: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        """ONE string (the design's contract) or a list of strings (a compatible extension)."""
        value = obj.get(key)
        if isinstance(value, str):
            return (value.strip(),) if value.strip() else ()
        if value is not None and not isinstance(value, list):
            self.fail(_join(path, key), f"must be a string or a list of strings, got {type(value).__name__}")
            return ()
        return self.texts(obj, key, path)

    def issue(self, obj: Mapping[str, Any], key: str, path: str) -> int | None:
        """An optional issue number."""
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.fail(_join(path, key), f"must be an issue number, got {value!r}")
            return None
        return value

    def items(self, obj: Mapping[str, Any], key: str, path: str) -> list[Any]:
        """A list field ([] when absent or null)."""
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(_join(path, key), "must be a list")
            return []
        return value

    def hours(self, obj: Mapping[str, Any], key: str, path: str) -> float | None:
        """An optional positive number of hours."""
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            self.fail(_join(path, key), "must be a positive number of hours")
            return None
        return float(value)

    def choice(self, obj: Mapping[str, Any], key: str, path: str, choices: tuple[str, ...]) -> str:
        """One of `choices` (the first is the default)."""
        value = obj.get(key)
        if value is None:
            return choices[0]
        if value not in choices:
            self.fail(_join(path, key), f"must be one of {'|'.join(choices)}, got {value!r}")
            return choices[0]
        return str(value)


def validate_plan(data: Any) -> tuple[Plan | None, list[str]]:
    """Check plan JSON against SPEC §2; the plan when valid, else None and every error."""
    reader = Reader()
    top = reader.mapping(data, "", PLAN_KEYS)
    if top is None:
        return None, reader.errors
    parts = {key: _collect(reader, top, key, build) for key, build in _BUILDERS.items()}
    if top.get("features") in (None, []):
        reader.fail("features", "at least one feature")
    _check_ids(reader, parts["features"] + parts["enablers"])
    _check_references(reader, parts)
    plan = Plan(
        pi_vision=reader.text(top, "pi_vision", ""),
        nfrs=_nfrs(reader, top.get("nfrs")),
        perspectives=_perspectives(reader, top.get("perspectives")),
        **{key: tuple(value for _, value in pairs) for key, pairs in parts.items()},
    )
    # The cycle is checked on whatever could be read, so it is reported with every other error.
    cycle = cycle_in(plan.item_ids(), [(d.first, d.then) for d in plan.dependencies])
    if cycle:
        reader.fail("dependencies", f"cycle: {format_cycle(cycle)} (each id must be done before the next)")
    if reader.errors:
        return None, reader.errors
    return plan, []


def _collect(reader: Reader, top: Mapping[str, Any], key: str, build: Any) -> list[tuple[str, Any]]:
    pairs = [(f"{key}[{i}]", build(reader, value, f"{key}[{i}]")) for i, value in enumerate(reader.items(top, key, ""))]
    return [(path, value) for path, value in pairs if value is not None]


def _feature(reader: Reader, value: Any, path: str) -> Feature | None:
    obj = reader.mapping(value, path, FEATURE_KEYS)
    if obj is None:
        return None
    feature_id = reader.text(obj, "feature_id", path)
    if feature_id and not FEATURE_ID.match(feature_id):
        reader.fail(f"{path}.feature_id", f"must look like FEAT_<DOMAIN>_<NNN> (e.g. FEAT_AUTH_001), got {feature_id!r}")
    domain = reader.text(obj, "domain", path, required=False)
    return Feature(
        feature_id=feature_id,
        title=_title(reader, obj, path),
        benefit_hypothesis=reader.text(obj, "benefit_hypothesis", path),
        acceptance_criteria=reader.texts(obj, "acceptance_criteria", path, at_least="criterion"),
        domain=domain or None,
        priority=reader.choice(obj, "priority", path, ("medium", "high", "low")),
        estimate_hours=reader.hours(obj, "estimate_hours", path),
        **_extensions(reader, obj, path),
    )


def _enabler(reader: Reader, value: Any, path: str) -> Enabler | None:
    obj = reader.mapping(value, path, ENABLER_KEYS)
    if obj is None:
        return None
    enabler_id = reader.text(obj, "enabler_id", path)
    if enabler_id and not ENABLER_ID.match(enabler_id):
        reader.fail(f"{path}.enabler_id", f"must look like ENAB_<TECH>_<NNN> (e.g. ENAB_DB_001), got {enabler_id!r}")
    return Enabler(
        enabler_id=enabler_id,
        title=_title(reader, obj, path),
        architectural_purpose=reader.text(obj, "architectural_purpose", path),
        estimate_hours=reader.hours(obj, "estimate_hours", path),
        **_extensions(reader, obj, path),
    )


def _extensions(reader: Reader, obj: Mapping[str, Any], path: str) -> dict[str, Any]:
    """teabot's optional item fields: status (open|done|postponed), an existing issue, the epic's group."""
    return {"status": reader.choice(obj, "status", path, STATUSES), "issue": reader.issue(obj, "issue", path),
            "group": reader.text(obj, "group", path, required=False)}


def _title(reader: Reader, obj: Mapping[str, Any], path: str) -> str:
    title = reader.text(obj, "title", path)
    if title and not is_verb_object(title):
        reader.fail(f"{path}.title", f"must be verb-object (e.g. 'Export invoices'), got {title!r}")
    return title


def is_verb_object(title: str) -> bool:
    """Two words or more starting with a letter; scripts written without spaces (CJK) need one word."""
    words = title.split()
    if not words or not words[0][:1].isalpha():
        return False
    return len(words) >= 2 or any(unicodedata.east_asian_width(ch) == "W" for ch in title)


def _nfrs(reader: Reader, value: Any) -> Nfrs:
    if value is None:
        return Nfrs()
    obj = reader.mapping(value, "nfrs", NFR_KEYS)
    if obj is None:
        return Nfrs()
    nfrs = Nfrs(performance=reader.text_or_texts(obj, "performance", "nfrs"),
                security=reader.text_or_texts(obj, "security", "nfrs"))
    for kind in NFR_KEYS:
        for index, line in enumerate(getattr(nfrs, kind)):
            if not re.search(r"\d", line):
                where = f"nfrs.{kind}" if isinstance(obj.get(kind), str) else f"nfrs.{kind}[{index}]"
                reader.fail(where, f"must carry a number (e.g. {_NFR_EXAMPLES[kind]}), got {line!r}")
    return nfrs


_NFR_EXAMPLES = {"performance": "'p99 < 200 ms at 500 QPS'", "security": "'TLS 1.3 only'"}


def _dependency(reader: Reader, value: Any, path: str) -> Dependency | None:
    obj = reader.mapping(value, path, DEPENDENCY_KEYS)
    if obj is None:
        return None
    return Dependency(reader.text(obj, "source_id", path), reader.text(obj, "target_id", path),
                      reader.text(obj, "reason", path))


def _risk(reader: Reader, value: Any, path: str) -> Risk | None:
    if isinstance(value, str) and value.strip():
        return Risk(description=value.strip())
    obj = reader.mapping(value, path, RISK_KEYS)
    if obj is None:
        return None
    return Risk(reader.text(obj, "description", path), reader.choice(obj, "category", path, RISK_CATEGORIES),
                reader.text(obj, "mitigation", path, required=False))


def _milestone(reader: Reader, value: Any, path: str) -> Milestone | None:
    if isinstance(value, str) and value.strip():
        return Milestone(name=value.strip())
    obj = reader.mapping(value, path, MILESTONE_KEYS)
    if obj is None:
        return None
    return Milestone(reader.text(obj, "name", path), reader.text(obj, "target", path, required=False),
                     reader.texts(obj, "items", path))


def _perspectives(reader: Reader, value: Any) -> Perspectives | None:
    if value is None:
        return None
    obj = reader.mapping(value, "perspectives", PERSPECTIVE_KEYS)
    if obj is None:
        return None
    return Perspectives(*(reader.text(obj, key, "perspectives", required=False) for key in PERSPECTIVE_KEYS))


def _check_ids(reader: Reader, pairs: list[tuple[str, Any]]) -> None:
    seen: dict[str, str] = {}
    for path, item in pairs:
        item_id = item.item_id
        if item_id in seen:
            reader.fail(f"{path}.{_ID_KEY[type(item)]}", f"duplicate id {item_id} (also {seen[item_id]})")
        elif item_id:
            seen[item_id] = path


_ID_KEY = {Feature: "feature_id", Enabler: "enabler_id"}


def _check_references(reader: Reader, parts: dict[str, list[tuple[str, Any]]]) -> None:
    known = {item.item_id for _, item in parts["features"] + parts["enablers"]}
    pairs: dict[tuple[str, str], str] = {}
    for path, dep in parts["dependencies"]:
        for key in ("source_id", "target_id"):
            value = getattr(dep, key)
            if value and value not in known:
                reader.fail(f"{path}.{key}", f"unknown id {value}")
        if dep.source_id and dep.source_id == dep.target_id:
            reader.fail(path, f"{dep.source_id} cannot depend on itself")
        elif (dep.source_id, dep.target_id) in pairs:
            reader.fail(path, f"duplicate of {pairs[dep.source_id, dep.target_id]}")
        pairs.setdefault((dep.source_id, dep.target_id), path)
    for path, milestone in parts["milestones"]:
        for pos, item_id in enumerate(milestone.items):
            if item_id not in known:
                reader.fail(f"{path}.items[{pos}]", f"unknown id {item_id}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_BUILDERS = {
    "features": _feature,
    "enablers": _enabler,
    "dependencies": _dependency,
    "risks": _risk,
    "milestones": _milestone,
}
