from revo.leads.admin.leads import LeadAdmin
from revo.leads.admin.replies import OutreachMessageAdmin, ReplyAdmin

__all__ = ["LeadAdmin", "OutreachMessageAdmin", "ReplyAdmin"]
