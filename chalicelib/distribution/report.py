"""The deliveries report: who was told what about one meeting (a read view for organizers).

``deliveries`` lists each message per member: ``sent`` (with time), ``failed`` (with reason),
``pending`` (not sent yet: due later, due now, or claimed by a run in progress), ``suppressed``
(bounced address). A reminder that can no longer go out (superseded by a later one, or the
meeting is over) is not listed as pending.

``opened`` counts the members who opened their personal link for this meeting (the first time
only; no address or device is kept), and each member's ``opened_at`` says when.

``members`` says, per member, what they were last told about the meeting (time, on or cancelled,
whether the join details are still the current ones), whether that is still the truth, and
whether a notice is on its way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from chalicelib.distribution.ledger import DeliveryRepository
from chalicelib.distribution.planner import current_lead, due_message, reminder_key
from chalicelib.distribution.records import RESEND_GUARD_KIND, DeliveryRow
from chalicelib.distribution.truth import last_told, truth_of
from chalicelib.errors import Invalid
from chalicelib.groups.service import GroupService
from chalicelib.joinlinks.records import OPENED_KIND
from chalicelib.meetings.service import MeetingService
from chalicelib.signups.records import SignupRecord
from chalicelib.signups.service import SignupService

ReportStatus = Literal["sent", "failed", "pending", "suppressed"]
REPORT_STATUSES: tuple[ReportStatus, ...] = ("sent", "failed", "pending", "suppressed")


@dataclass(frozen=True)
class ReportFilter:
    email: str | None = None
    status: ReportStatus | None = None


def parse_filter(params: dict[str, str]) -> ReportFilter:
    from chalicelib.emails import normalize_email

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

    def for_member(self, group_id: str, signup_id: str) -> list[dict[str, Any]]:
        """What one person was sent about each meeting (her rows of the ledger), newest meeting first:
        ``date``, ``message`` (reminder, changed, ...), ``kind`` (the ledger key), ``status``
        (claimed, sent, failed), ``sent_at``, ``failed_at``, ``reason``."""
        return self.ledger.member_rows(group_id, signup_id)

    def build(self, group_id: str, day: str, *, only: ReportFilter, now: datetime, lease_now: float) -> dict[str, Any]:
        group = self.groups.get(group_id)
        meeting = self.meetings.meeting_on(group, day)
        truth = truth_of(group, meeting)
        rows: dict[str, list[DeliveryRow]] = {}
        opened: dict[str, str] = {}
        for row in self.ledger.rows(group_id, day):
            if row["kind"] == RESEND_GUARD_KIND:
                continue  # an organizer's re-send request (the re-send itself is a row of its own)
            if row["kind"] == OPENED_KIND:  # the member opened their personal link for this meeting
                opened[row["signup_id"]] = str(row.get("opened_at"))
                continue
            rows.setdefault(row["signup_id"], []).append(row)
        lead_minutes = [int(x) for x in group["reminder_leads_minutes"]]
        due = current_lead(lead_minutes, meeting, now)
        # A reminder is still to come unless the meeting is over or a shorter one already superseded it.
        still_to_send = [
            reminder_key(lead, meeting)
            for lead in lead_minutes
            if now < meeting.ends_at and (due is None or lead <= due)
        ]
        entries: list[dict[str, Any]] = []
        members: list[dict[str, Any]] = []
        for member in self.signups.members(group_id):
            if only.email and member["email"] != only.email:
                continue
            base = {"signup_id": member["id"], "email": member["email"], "name": member["name"]}
            mine = rows.get(member["id"], [])
            if member["status"] == "bounced":
                entries.append(
                    {
                        **base,
                        "reminder": None,
                        "type": None,
                        "status": "suppressed",
                        "sent_at": None,
                        "reason": member.get("bounce_reason"),
                    }
                )
                continue
            for row in sorted(mine, key=lambda r: r["kind"]):
                status = {"sent": "sent", "failed": "failed"}.get(row["status"], "pending")
                entries.append(
                    {
                        **base,
                        "reminder": row["kind"],
                        "type": row.get("message"),
                        "status": status,
                        "sent_at": row.get("sent_at"),
                        "reason": row.get("reason"),
                    }
                )
            if member["status"] != "active":
                continue
            kinds = {row["kind"] for row in mine}
            if meeting.status != "cancelled":
                for kind in still_to_send:
                    if kind not in kinds:
                        entries.append(
                            {
                                **base,
                                "reminder": kind,
                                "type": "reminder",
                                "status": "pending",
                                "sent_at": None,
                                "reason": None,
                            }
                        )
            view = self._member_view(
                base, member, meeting_rows=mine, group=group, meeting=meeting, truth=truth, now=now, lease_now=lease_now
            )
            members.append({**view, "opened_at": opened.get(member["id"])})
        if only.status:
            entries = [e for e in entries if e["status"] == only.status]
        counts: dict[str, int] = dict.fromkeys(REPORT_STATUSES, 0)
        for entry in entries:
            counts[entry["status"]] += 1
        return {
            "meeting": meeting.public(),
            "counts": counts,
            "opened": len(opened),
            "deliveries": entries,
            "members": members,
        }

    @staticmethod
    def _member_view(
        base: dict[str, Any],
        member: SignupRecord,
        *,
        meeting_rows: list[DeliveryRow],
        group: Any,
        meeting: Any,
        truth: Any,
        now: datetime,
        lease_now: float,
    ) -> dict[str, Any]:
        told = last_told(meeting_rows)
        last: dict[str, Any] | None = None
        up_to_date = False
        if told is not None:
            row, said = told
            last = {
                "message": row["kind"],
                "type": row.get("message"),
                "sent_at": row.get("sent_at"),
                "starts_at": said.start,
                "status": said.status,
                "join_details_current": said.join == truth.join,
            }
            up_to_date = not truth.changes_from(said)
        upcoming = due_message(group, meeting, meeting_rows, now=now, lease_now=lease_now)
        return {
            **base,
            "last_told": last,
            "up_to_date": up_to_date,
            "notice_pending": upcoming is not None and upcoming.type != "reminder",
        }
