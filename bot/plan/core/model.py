"""The plan as values: frozen dataclasses mirroring the plan JSON (see `validation` for the rules)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

PRIORITIES = ("high", "medium", "low")
STATUSES = ("open", "done", "postponed")  # done and postponed items are shown, never created
RISK_CATEGORIES = ("technical", "resource", "integration", "other")


@dataclass(frozen=True)
class Feature:
    """A business feature: what and why (the PM's perspective)."""

    feature_id: str
    title: str
    benefit_hypothesis: str
    acceptance_criteria: tuple[str, ...]
    domain: str | None = None
    priority: str = "medium"
    estimate_hours: float | None = None
    status: str = "open"
    issue: int | None = None  # an existing issue this item is: linked, never duplicated
    group: str = ""  # the epic's heading or parent line this item was listed under

    @property
    def item_id(self) -> str:
        """The id shared by features and enablers."""
        return self.feature_id

    @property
    def area(self) -> str:
        """The domain label value: the explicit domain, else the <DOMAIN> part of the id."""
        return (self.domain or self.feature_id.split("_", 1)[1].rsplit("_", 1)[0]).lower()


@dataclass(frozen=True)
class Enabler:
    """Architectural runway that features need first (the architect's perspective)."""

    enabler_id: str
    title: str
    architectural_purpose: str
    estimate_hours: float | None = None
    status: str = "open"
    issue: int | None = None
    group: str = ""

    @property
    def item_id(self) -> str:
        """The id shared by features and enablers."""
        return self.enabler_id

    @property
    def area(self) -> str:
        """The domain label value: the <TECH> part of the id."""
        return self.enabler_id.split("_", 1)[1].rsplit("_", 1)[0].lower()


Item = Feature | Enabler


@dataclass(frozen=True)
class Post:
    """One message in an issue's thread: the body or a comment (what the planner and /summarize read)."""

    author: str
    body: str


@dataclass(frozen=True)
class Nfrs:
    """Quantified non-functional requirements."""

    performance: tuple[str, ...] = ()
    security: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dependency:
    """An edge `source_id -> target_id`: the SOURCE is done first, the target needs it (SPEC §2).

    In Gitea the target's tickets are blocked by the source's tickets.
    """

    source_id: str
    target_id: str
    reason: str

    @property
    def first(self) -> str:
        """The item done first (the prerequisite)."""
        return self.source_id

    @property
    def then(self) -> str:
        """The item that needs `first`."""
        return self.target_id


@dataclass(frozen=True)
class Risk:
    """A risk to the flow (the RTE's perspective)."""

    description: str
    category: str = "technical"
    mitigation: str = ""


@dataclass(frozen=True)
class Milestone:
    """A named point in the PI, with the items due by then."""

    name: str
    target: str = ""
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Perspectives:
    """Each perspective's reasoning, written out."""

    pm: str = ""
    architect: str = ""
    rte: str = ""


@dataclass(frozen=True)
class Plan:
    """A validated PI plan for one epic."""

    pi_vision: str
    features: tuple[Feature, ...]
    enablers: tuple[Enabler, ...] = ()
    nfrs: Nfrs = field(default_factory=Nfrs)
    dependencies: tuple[Dependency, ...] = ()
    risks: tuple[Risk, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    perspectives: Perspectives | None = None

    def items(self) -> Iterator[Item]:
        """Features then enablers, in input order."""
        yield from self.features
        yield from self.enablers

    def open_items(self) -> Iterator[Item]:
        """Items still to be done (not done, not postponed)."""
        return (item for item in self.items() if item.status == "open")

    def item_ids(self) -> list[str]:
        """Ids of all items, features first, in input order."""
        return [item.item_id for item in self.items()]

    def item(self, item_id: str) -> Item:
        """The feature or enabler with this id (KeyError when unknown)."""
        for item in self.items():
            if item.item_id == item_id:
                return item
        raise KeyError(item_id)

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-able data; `validate_plan(plan.to_dict())` gives the plan back."""
        data: dict[str, Any] = {
            "pi_vision": self.pi_vision,
            "features": [_feature_dict(f) for f in self.features],
            "enablers": [_enabler_dict(e) for e in self.enablers],
            "nfrs": {"performance": list(self.nfrs.performance), "security": list(self.nfrs.security)},
            "dependencies": [vars(d).copy() for d in self.dependencies],
            "risks": [vars(r).copy() for r in self.risks],
            "milestones": [{"name": m.name, "target": m.target, "items": list(m.items)} for m in self.milestones],
        }
        if self.perspectives is not None:
            data["perspectives"] = vars(self.perspectives).copy()
        return data


def _feature_dict(feature: Feature) -> dict[str, Any]:
    data = _without_defaults(vars(feature).copy())
    data["acceptance_criteria"] = list(feature.acceptance_criteria)
    return data


def _enabler_dict(enabler: Enabler) -> dict[str, Any]:
    return _without_defaults(vars(enabler).copy())


def _without_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out the extension fields at their defaults, so plain plans stay in the contract's shape."""
    for key, default in (("status", "open"), ("issue", None), ("group", "")):
        if data.get(key) == default:
            del data[key]
    return data
