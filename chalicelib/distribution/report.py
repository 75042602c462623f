"""The deliveries report: who got what for one meeting (a read view for organizers).

Statuses: ``sent`` (with time), ``failed`` (with reason), ``pending`` (not sent yet: due later,
due now, or claimed by a run in progress), ``suppressed`` (bounced address). A reminder that
can no longer go out (superseded by a later one, or the meeting is over) is not listed as pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from chalicelib.distribution.ledger import DeliveryRepository
from chalicelib.distribution.planner import current_lead, reminder
from chalicelib.distribution.records import DeliveryRow
from chalicelib.errors import Invalid
from chalicelib.groups.service import GroupService
from chalicelib.meetings.service import MeetingService
from chalicelib.signups.service import SignupService

ReportStatus = Literal["sent", "failed", "pending", "suppressed"]
REPORT_STATUSES: tuple[ReportStatus, ...] = ("sent", "failed", "pending", "suppressed")


@dataclass(frozen=True)
class ReportFilter:
    email: str | None = None
    status: ReportStatus | None = None


def parse_filter(params: dict[str, str]) -> ReportFilter:
    from chalicelib.signups.addresses import normalize_email

    errors: dict[str, str] = {}
    email: str | None = None
    if "email" in params:
        try:
            email = normalize_email(params["email"])
        except ValueError:
            errors["email"] = "Must be a valid email address."
    status = params.get("status")
    if status is not None and status not in REPORT_STATUSES:
        errors["status"] = "Must be one of sent, failed, pending, suppressed."
    if errors:
        raise Invalid(fields=errors)
    return ReportFilter(email, cast(ReportStatus | None, status))


class DeliveriesReport:
    def __init__(
        self, *, groups: GroupService, meetings: MeetingService, signups: SignupService, ledger: DeliveryRepository
    ) -> None:
        self.groups = groups
        self.meetings = meetings
        self.signups = signups
        self.ledger = ledger

    def build(self, group_id: str, day: str, *, only: ReportFilter, now: datetime) -> dict[str, Any]:
        group = self.groups.get(group_id)
        meeting = self.meetings.meeting_on(group, day)
        rows: dict[str, dict[str, DeliveryRow]] = {}
        for row in self.ledger.rows(group_id, day):
            rows.setdefault(row["signup_id"], {})[row["kind"]] = row
        lead_minutes = [int(x) for x in group["reminder_leads_minutes"]]
        due = current_lead(lead_minutes, meeting, now)
        # A reminder is still to come unless the meeting is over or a shorter one already superseded it.
        still_to_send = [
            reminder(lead).key for lead in lead_minutes if now < meeting.ends_at and (due is None or lead <= due)
        ]
        entries: list[dict[str, Any]] = []
        for member in self.signups.members(group_id):
            if only.email and member["email"] != only.email:
                continue
            base = {"signup_id": member["id"], "email": member["email"], "name": member["name"]}
            mine = rows.get(member["id"], {})
            if member["status"] == "bounced":
                entries.append(
                    {**base, "reminder": None, "status": "suppressed", "reason": member.get("bounce_reason")}
                )
                continue
            for kind, row in sorted(mine.items()):
                status = {"sent": "sent", "failed": "failed"}.get(row["status"], "pending")
                entries.append(
                    {
                        **base,
                        "reminder": kind,
                        "status": status,
                        "sent_at": row.get("sent_at"),
                        "reason": row.get("reason"),
                    }
                )
            if member["status"] == "active" and meeting.status != "cancelled":
                for kind in still_to_send:
                    if kind not in mine:
                        entries.append({**base, "reminder": kind, "status": "pending", "sent_at": None, "reason": None})
        if only.status:
            entries = [e for e in entries if e["status"] == only.status]
        counts: dict[str, int] = dict.fromkeys(REPORT_STATUSES, 0)
        for entry in entries:
            counts[entry["status"]] += 1
        return {"meeting": meeting.public(), "counts": counts, "deliveries": entries}
