from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import construct_instance

from revo.leads.models import Lead, Reply, ReplyClassification
from revo.leads.validation import LEAD_DATA_FIELDS, clean_lead_data


def _assign_only(form: forms.ModelForm) -> None:
    """Copy the cleaned values onto the instance without the model's own validation:
    the form's ``clean`` and then the services validate, and the services save."""
    form.instance = construct_instance(form, form.instance, form._meta.fields, form._meta.exclude)


class LeadForm(forms.ModelForm):
    """Cleans like the services do (lowercased email, country codes) so the form's
    constraint checks see the values that will be stored."""

    class Meta:
        model = Lead
        fields = (*LEAD_DATA_FIELDS, "owner", "next_follow_up_at")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        given = {k: data[k] for k in LEAD_DATA_FIELDS if k in data and k not in self.errors}
        cleaned, errors = clean_lead_data(given)
        for name, message in errors.items():
            self.add_error(name, message)
        data.update({k: v for k, v in cleaned.items() if k not in errors})
        email = data.get("email")
        if email and "email" not in self.errors:
            taken = Lead.objects.filter(email=email).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("email", f"a lead with email {email} already exists")
        return data

    def _post_clean(self) -> None:
        _assign_only(self)


class LeadImportForm(forms.Form):
    file = forms.FileField(help_text="CSV (comma or semicolon), UTF-8 or Windows-1252.")
    on_existing = forms.ChoiceField(
        choices=(("skip", "Skip leads that exist"), ("update", "Update leads that exist")),
        initial="skip",
        widget=forms.RadioSelect,
        help_text="What to do when an email already has a lead. It is never duplicated.",
    )
    source = forms.CharField(
        max_length=100, required=False, help_text="Recorded as the source of created leads."
    )


class ReplyForm(forms.ModelForm):
    class Meta:
        model = Reply
        fields = (
            "lead",
            "from_email",
            "received_at",
            "subject",
            "body",
            "message_id",
            "classification",
            "not_now_until",
            "handled",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("not_now_until") and data.get("classification") != (
            ReplyClassification.NOT_NOW
        ):
            self.add_error("not_now_until", "only with the not_now classification")
        return data

    def _post_clean(self) -> None:
        _assign_only(self)
