"""Writes to leads, outreach drafts and replies (one module each). Each service validates,
changes and audits in one transaction."""

from revo.leads.services.leads import (
    NO_OUTREACH_STATUSES,
    REPLY_TRANSITIONS,
    ReplyOutcome,
    RunId,
    lead_apply_reply_classification,
    lead_create,
    lead_record_contact,
    lead_score_set,
    lead_soft_delete,
    lead_transition,
    lead_update,
)
from revo.leads.services.outreach import (
    FirstTouchOutcome,
    OutreachDraft,
    lead_first_touch_record,
    outreach_draft_create,
)
from revo.leads.services.replies import (
    ReplyHandled,
    reply_classify,
    reply_handle,
    reply_mark_handled,
    reply_record,
)

__all__ = [
    "NO_OUTREACH_STATUSES",
    "REPLY_TRANSITIONS",
    "FirstTouchOutcome",
    "OutreachDraft",
    "ReplyHandled",
    "ReplyOutcome",
    "RunId",
    "lead_apply_reply_classification",
    "lead_create",
    "lead_first_touch_record",
    "lead_record_contact",
    "lead_score_set",
    "lead_soft_delete",
    "lead_transition",
    "lead_update",
    "outreach_draft_create",
    "reply_classify",
    "reply_handle",
    "reply_mark_handled",
    "reply_record",
]
