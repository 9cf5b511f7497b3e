from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from revo.audit.selectors import history_for
from revo.core.exceptions import DomainError
from revo.leads import services
from revo.leads.admin.forms import LeadForm, LeadImportForm
from revo.leads.csv_export import leads_csv_lines
from revo.leads.csv_import import leads_import_csv
from revo.leads.models import Lead, OutreachMessage, Reply
from revo.leads.validation import LEAD_DATA_FIELDS

# Transitions a person takes from the lead list; ``convert`` happens when a deal is made.
ADMIN_TRANSITIONS: tuple[tuple[str, str], ...] = (
    ("contact", "Mark as contacted"),
    ("engage", "Mark as engaged"),
    ("qualify", "Qualify"),
    ("disqualify", "Disqualify"),
    ("unsubscribe", "Unsubscribe (opt-out)"),
    ("bounce", "Mark as bounced"),
)


class ScoreBandFilter(admin.SimpleListFilter):
    title = "score"
    parameter_name = "score_band"
    BANDS = {"hot": (70, 100), "warm": (40, 69), "cold": (0, 39)}

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [
            ("hot", "Hot (70–100)"),
            ("warm", "Warm (40–69)"),
            ("cold", "Cold (0–39)"),
            ("none", "Not scored"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        value = self.value()
        if value == "none":
            return queryset.filter(score__isnull=True)
        if value in self.BANDS:
            low, high = self.BANDS[value]
            return queryset.filter(score__gte=low, score__lte=high)
        return queryset


class CompanySizeFilter(admin.SimpleListFilter):
    title = "company size"
    parameter_name = "company_size_band"
    BANDS: dict[str, tuple[str, int, int | None]] = {
        "1-49": ("1–49 employees", 1, 49),
        "50-249": ("50–249 employees", 50, 249),
        "250-999": ("250–999 employees", 250, 999),
        "1000+": ("1,000 or more employees", 1000, None),
    }

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [*((key, label) for key, (label, _, _) in self.BANDS.items()), ("none", "Unknown")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        value = self.value()
        if value == "none":
            return queryset.filter(company_size__isnull=True)
        if value in self.BANDS:
            _, low, high = self.BANDS[value]
            queryset = queryset.filter(company_size__gte=low)
            return queryset if high is None else queryset.filter(company_size__lte=high)
        return queryset


class OutreachInline(admin.TabularInline):
    model = OutreachMessage
    fields = ("sequence_step", "subject", "to_email", "review_status", "confidence", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("sequence_step", "created_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReplyInline(admin.TabularInline):
    model = Reply
    fields = ("received_at", "from_email", "subject", "classification", "handled")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _transition_action(name: str, label: str):  # noqa: ANN202
    def action(modeladmin: LeadAdmin, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
        modeladmin.apply_transition(request, queryset, name)

    action.__name__ = f"transition_{name}"
    return admin.action(description=f"{label} (selected leads)", permissions=["change"])(action)


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    form = LeadForm
    change_list_template = "admin/leads/lead/change_list.html"
    list_display = (
        "name",
        "email",
        "company",
        "industry",
        "company_size",
        "status",
        "score",
        "owner",
        "source",
        "created_at",
    )
    list_display_links = ("name", "email")
    list_filter = (
        "status",
        ScoreBandFilter,
        "industry",
        CompanySizeFilter,
        "source",
        "country",
        "owner",
        "lawful_basis",
    )
    search_fields = ("email", "first_name", "last_name", "company", "industry")
    list_select_related = ("owner",)
    list_per_page = 50
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    raw_id_fields = ("owner",)
    inlines = (OutreachInline, ReplyInline)
    readonly_fields = (
        "status",
        "status_changed_at",
        "score",
        "score_reasons",
        "scored_at",
        "last_contacted_at",
        "created_at",
        "updated_at",
        "history",
    )
    fieldsets = (
        (None, {"fields": ("email", "first_name", "last_name", "company", "title")}),
        ("Company", {"fields": ("industry", "company_size")}),
        ("Contact", {"fields": ("website", "phone", "country", "source", "notes")}),
        ("Lawful basis", {"fields": ("lawful_basis", "consent_note")}),
        ("Pipeline", {"fields": ("owner", "next_follow_up_at", "last_contacted_at")}),
        (
            "Status and score (changed by actions and agents only)",
            {"fields": ("status", "status_changed_at", "score", "score_reasons", "scored_at")},
        ),
        ("History", {"fields": ("history", "created_at", "updated_at")}),
    )
    actions = [
        *(_transition_action(name, label) for name, label in ADMIN_TRANSITIONS),
        "export_selected",
    ]

    @admin.display(description="name", ordering="last_name")
    def name(self, obj: Lead) -> str:
        return obj.full_name or "—"

    @admin.display(description="history")
    def history(self, obj: Lead) -> SafeString | str:
        if obj.pk is None:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    timezone.localtime(r.at).strftime("%Y-%m-%d %H:%M"),
                    r.field,
                    r.transition,
                    r.from_state or "·",
                    r.to_state,
                    r.actor,
                    r.reason,
                )
                for r in history_for(obj)
            ),
        )
        return format_html(
            "<table><thead><tr><th>at</th><th>field</th><th>change</th><th>from → to</th>"
            "<th>by</th><th>reason</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    # -- permissions ---------------------------------------------------------------------------

    def has_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("leads.import_leads")

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("leads.export_leads")

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not self.has_export_permission(request):
            actions.pop("export_selected", None)
        return actions

    # -- writes go through the services --------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Lead, form: LeadForm, change: bool) -> None:
        data = {k: form.cleaned_data[k] for k in LEAD_DATA_FIELDS if k in form.cleaned_data}
        if change:
            services.lead_update(
                lead=obj,
                data={k: v for k, v in data.items() if k in form.changed_data},
                owner=form.cleaned_data.get("owner"),
                next_follow_up_at=form.cleaned_data.get("next_follow_up_at"),
                by=request.user,
            )
            return
        created = services.lead_create(
            **data,
            owner=form.cleaned_data.get("owner"),
            next_follow_up_at=form.cleaned_data.get("next_follow_up_at"),
            by=request.user,
        )
        obj.pk = created.pk

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        """Deleting a lead only hides it (soft delete): its drafts and replies stay for the
        audit trail, so they neither block the deletion nor get deleted with it."""
        names = [str(obj) for obj in objs]
        return names, {self.model._meta.verbose_name_plural: len(names)}, set(), []

    def delete_model(self, request: HttpRequest, obj: Lead) -> None:
        services.lead_soft_delete(lead=obj, by=request.user, reason="deleted in admin")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
        for lead in queryset:
            services.lead_soft_delete(lead=lead, by=request.user, reason="deleted in admin")

    def apply_transition(self, request: HttpRequest, queryset: QuerySet[Lead], name: str) -> None:
        done, refused = 0, []
        for lead in queryset:
            try:
                services.lead_transition(
                    lead=lead, transition=name, by=request.user, reason="admin action"
                )
            except DomainError as exc:
                refused.append(f"{lead.email}: {exc.message}")
            else:
                done += 1
        if done:
            self.message_user(request, f"{name}: {done} lead(s) changed.", messages.SUCCESS)
        if refused:
            shown = "; ".join(refused[:10]) + (" …" if len(refused) > 10 else "")
            self.message_user(request, f"{name}: {len(refused)} refused — {shown}", messages.ERROR)

    # -- CSV import and export -----------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="leads_lead_import",
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="leads_lead_export",
            ),
        ]
        return own + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "has_import_permission": self.has_import_permission(request),
            "has_export_permission": self.has_export_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        report = None
        form = LeadImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                report = leads_import_csv(
                    file=form.cleaned_data["file"].read(),
                    on_existing=form.cleaned_data["on_existing"],
                    source=form.cleaned_data["source"],
                    by=request.user,
                )
            except DomainError as exc:
                form.add_error("file", f"{exc.message}. Nothing was imported.")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import leads from CSV" if report is None else "Lead import report",
            "form": form,
            "report": report,
        }
        template = (
            "admin/leads/lead/import_report.html"
            if report is not None
            else "admin/leads/lead/import_form.html"
        )
        return TemplateResponse(request, template, context)

    def _export_response(self, queryset: QuerySet[Lead]) -> StreamingHttpResponse:
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(leads_csv_lines(queryset), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="leads-{stamp}.csv"'
        return response

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        """Every lead the changelist shows with the current filters and search."""
        if not (self.has_export_permission(request) and self.has_view_permission(request)):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return self._export_response(changelist.queryset)

    @admin.action(description="Export selected leads to CSV")
    def export_selected(
        self, request: HttpRequest, queryset: QuerySet[Lead]
    ) -> StreamingHttpResponse:
        return self._export_response(queryset)
