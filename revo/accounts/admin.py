from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.http import HttpRequest

from revo.accounts import services
from revo.accounts.models import User


class UserCreationForm(forms.ModelForm):
    password = forms.CharField(widget=forms.PasswordInput, strip=False)

    class Meta:
        model = User
        fields = ("email", "full_name", "role")

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "full_name", "role", "is_active", "last_login", "date_joined")
    list_filter = ("role", "is_active")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    readonly_fields = ("permissions_version", "last_login", "date_joined", "updated_at")
    fields = (
        "email",
        "full_name",
        "role",
        "is_active",
        "permissions_version",
        "last_login",
        "date_joined",
        "updated_at",
    )

    def get_form(self, request: HttpRequest, obj: User | None = None, **kwargs):  # noqa: ANN201
        if obj is None:
            kwargs["form"] = UserCreationForm
            kwargs["fields"] = ("email", "full_name", "role", "password")
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None):  # noqa: ANN201
        return () if obj is None else self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: User | None = None):  # noqa: ANN201
        return ("email", "full_name", "role", "password") if obj is None else self.fields

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:  # noqa: ANN001
        if not change:
            created = services.user_create(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                role=form.cleaned_data["role"],
                full_name=form.cleaned_data.get("full_name", ""),
            )
            obj.pk = created.pk
            return
        new_role = obj.role
        # Everything but the role is plain data; the role goes through its service.
        obj.role = User.objects.values_list("role", flat=True).get(pk=obj.pk)
        super().save_model(request, obj, form, change)
        services.user_set_role(user=obj, role=new_role, by=request.user)

    def save_related(self, request, form, formsets, change) -> None:  # noqa: ANN001
        # Group membership is derived from the role; nothing else to save.
        return


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(BaseGroupAdmin):
    """Role groups are materialised from the role table in code: visible, not editable."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return False
