"""Who is asking, and which groups they may act on: the same rule for API keys and console sessions."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.organizers.records import ROLES, OrganizerRecord, Role, role_of


@dataclass(frozen=True)
class Principal:
    org_id: str
    role: Role
    groups: frozenset[str] = field(default_factory=frozenset)
    name: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_manage(self, group_id: str) -> bool:
        return self.is_admin or group_id in self.groups

    def context(self) -> dict[str, str]:
        """The authorizer's context (API Gateway passes string values only)."""
        return {"role": self.role, "groups": ",".join(sorted(self.groups))}

    @classmethod
    def from_context(cls, org_id: str, context: dict[str, object]) -> Principal:
        role = str(context.get("role") or "")
        groups = frozenset(g for g in str(context.get("groups") or "").split(",") if g)
        # No role in the context: refuse everything but what every organizer may do.
        return cls(org_id, role if role in ROLES else "organizer", groups)  # type: ignore[arg-type]

    @classmethod
    def of(cls, record: OrganizerRecord) -> Principal:
        return cls(record["id"], role_of(record), frozenset(record.get("groups") or ()), record["name"])
