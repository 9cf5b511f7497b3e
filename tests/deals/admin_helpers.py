"""Drive Django admin pages like a browser would."""

from __future__ import annotations

from typing import Any

from django.test import Client


def logged_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def form_data(response: Any) -> dict[str, Any]:
    """The POST body a browser would send back from a rendered change form: the main
    form's and every inline's current values, management forms included."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            value = management[name].value()
            data[f"{formset.prefix}-{name}"] = "" if value is None else value
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = value
    return data
