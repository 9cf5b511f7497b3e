"""Tenant provisioning time (target ≤ 3 s) and a no-op ``migrate_schemas`` over many tenants
(target ≤ 60 s for 200).

    python bench/tenant_provisioning.py [--provision 5] [--tenants 200]

Runs in its own database (see bench/_common.py); tenants made for the migrate measurement
are kept for the next run.
"""

from __future__ import annotations

import argparse
import time

from _common import median, percentile, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--provision", type=int, default=5, help="tenants to time one by one")
    parser.add_argument("--tenants", type=int, default=200, help="tenants for the migrate run")
    args = parser.parse_args()

    setup_django()
    from django.core.management import call_command

    from revo.tenancy.models import Tenant
    from revo.tenancy.services import template_tenant_ensure, tenant_provision

    template_tenant_ensure()
    run = int(time.time())
    timings = []
    for i in range(args.provision):
        slug = f"prov-{run}-{i}"
        started = time.perf_counter()
        result = tenant_provision(
            slug=slug,
            name=f"Provisioned {i}",
            domain=f"{slug}.localhost",
            admin_email=f"admin@{slug}.example",
            admin_password="bench-password-123",
        )
        timings.append(time.perf_counter() - started)
        result.tenant.delete(force_drop=True)
    print(f"provisioning: median {median(timings):.2f}s, max {max(timings):.2f}s")

    existing = Tenant.objects.filter(slug__startswith="mig-").count()
    for i in range(existing, args.tenants):
        slug = f"mig-{i:04d}"
        tenant_provision(
            slug=slug,
            name=f"Migrate {i}",
            domain=f"{slug}.localhost",
            admin_email=f"admin@{slug}.example",
            admin_password="bench-password-123",
        )
        if (i + 1) % 25 == 0:
            print(f"  {i + 1}/{args.tenants} tenants ready", flush=True)
    schemas = Tenant.objects.exclude(schema_name="public").count()

    started = time.perf_counter()
    call_command("migrate_schemas", tenant=True, verbosity=0)
    migrate_s = time.perf_counter() - started
    print(
        f"RESULT bench=tenant_provisioning provision_median_s={median(timings):.2f} "
        f"provision_p95_s={percentile(timings, 95):.2f} noop_migrate_s={migrate_s:.1f} "
        f"schemas={schemas} target_provision_s=3 target_migrate_s=60"
    )


if __name__ == "__main__":
    main()
