from __future__ import annotations

from django_tenants.middleware.main import TenantMainMiddleware

from revo.tenancy.models import Domain, Tenant


class TenantMiddleware(TenantMainMiddleware):
    """django-tenants' host → schema resolution, refusing deactivated tenants and the
    template (an unknown or inactive host gets a 404, never a crash)."""

    def get_tenant(self, domain_model: type[Domain], hostname: str) -> Tenant:
        tenant = super().get_tenant(domain_model, hostname)
        if not tenant.is_active or tenant.is_template:
            raise domain_model.DoesNotExist(hostname)
        return tenant
