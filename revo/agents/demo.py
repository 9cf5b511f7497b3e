"""A realistic demo data set with work for every agent, built through the domain services.

Every scenario is keyed by the email of its lead: a scenario whose lead exists is left
alone, so seeding twice creates nothing new. Each scenario is written in one transaction:
it is there completely or not at all. Past events (emails sent days ago, invoices issued
weeks ago) are given their dates so the follow-up and dunning rules have something to do.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.agents.demo_data import (
    CONTACTED_WITH_REPLIES,
    ENGAGED,
    NEW_LEADS,
    PACKAGE,
    PRICE_LIST,
    RULES,
    SILENT_CONTACTED,
)
from revo.agents.models import AgentSettings
from revo.billing.dates import tenant_today
from revo.billing.models import Invoice
from revo.billing.services import (
    invoice_create_from_contract,
    invoice_submit_for_review,
    payment_record,
)
from revo.contracts.models import Contract, PriceListItem
from revo.contracts.services import (
    LineInput,
    contract_create,
    contract_review_decide,
    contract_send,
    contract_sign,
    contract_submit,
    negotiation_round_record,
    price_list_item_create,
    pricing_policy_ensure,
    pricing_policy_update,
)
from revo.core.exceptions import DomainError
from revo.deals.models import Deal, DealStage
from revo.deals.services import deal_advance, deal_create_from_lead, deal_mark_won
from revo.leads.models import Lead
from revo.leads.services import (
    lead_create,
    lead_record_contact,
    lead_transition,
    outreach_draft_create,
    reply_handle,
    reply_record,
)
from revo.llm.services import auto_approval_rule_save
from revo.reviews.services import review_decide, review_mark_applied


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    skipped: int = 0

    def add(self, name: str) -> None:
        self.created[name] = self.created.get(name, 0) + 1


def _admin() -> User:
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        raise DomainError("the tenant has no active admin to record the demo's decisions")
    return admin


def _lead(
    spec: tuple[str, ...],
    *,
    notes: str = "",
    source: str = "event",
    industry: str = "software",
    company_size: int = 200,
) -> Lead:
    email, first, last, title, company, country = spec
    return lead_create(
        email=email,
        first_name=first,
        last_name=last,
        title=title,
        company=company,
        country=country,
        source=source,
        industry=industry,
        company_size=company_size,
        notes=notes,
    )


def _sent_first_touch(lead: Lead, admin: User, *, days_ago: int) -> None:
    """A first touch that was approved and sent ``days_ago`` days ago."""
    message = outreach_draft_create(
        lead=lead,
        subject=f"Acme Pipeline for {lead.company}",
        body=f"Hi {lead.first_name or 'there'},\n\nI work with teams like {lead.company} on "
        "drafting follow-ups so reps spend their time on conversations. Would a 20-minute "
        "call next week be useful?\n\nBest regards,\nAlex Meyer",
    )
    review_decide(entity_type="outreach", entity_id=message.pk, decision="approve", by=admin)
    review_mark_applied(artifact=message, by=admin, reason="sent")
    lead_record_contact(lead=lead, at=timezone.now() - datetime.timedelta(days=days_ago))


def _negotiation_deal(spec: tuple[str, ...], admin: User, amount: str) -> Deal:
    lead = _lead(spec)
    lead_transition(lead=lead, transition="engage", by=admin, reason="demo history")
    lead_transition(lead=lead, transition="qualify", by=admin, reason="demo history")
    deal = deal_create_from_lead(
        lead=lead, name=f"{lead.company} - Acme Pipeline", amount=amount, by=admin
    )
    deal_advance(deal=deal, to=DealStage.PROPOSAL, by=admin, reason="proposal accepted")
    return deal_advance(deal=deal, to=DealStage.NEGOTIATION, by=admin, reason="negotiating")


def _sent_contract(deal: Deal, admin: User, lines: list[LineInput], net_days: int) -> Contract:
    """A contract that was drafted, approved by an admin and sent (the draft has no
    person as its author, so the admin may approve it)."""
    contract = contract_create(deal=deal, lines=lines, payment_terms_net_days=net_days)
    contract = contract_submit(contract=contract)
    contract_review_decide(contract=contract, decision="approve", by=admin)
    return contract_send(contract=Contract.objects.get(pk=contract.pk), by=admin)


def _signed(contract: Contract, admin: User) -> Contract:
    contract = contract_sign(contract=contract, by=admin, reason="signed by the customer")
    deal_mark_won(deal=contract.deal, by=admin, reason="contract signed")
    return contract


def _issued_invoice(
    spec: tuple[str, ...],
    admin: User,
    lines: list[LineInput],
    *,
    net_days: int,
    issued_days_ago: int,
) -> Invoice:
    deal = _negotiation_deal(spec, admin, "11500.00")
    contract = _signed(_sent_contract(deal, admin, lines, net_days), admin)
    invoice = invoice_submit_for_review(invoice=invoice_create_from_contract(contract=contract))
    review_decide(entity_type="invoice", entity_id=invoice.pk, decision="approve", by=admin)
    invoice = Invoice.objects.get(pk=invoice.pk)
    if issued_days_ago:
        # Demo history: the invoice went out weeks ago, so its due date has passed.
        issue_date = tenant_today() - datetime.timedelta(days=issued_days_ago)
        Invoice.objects.filter(pk=invoice.pk).update(
            issue_date=issue_date, due_date=issue_date + datetime.timedelta(days=net_days)
        )
        invoice.refresh_from_db()
    return invoice


# --------------------------------------------------------------------------- scenarios


def _reference_data(report: SeedReport) -> None:
    policy = pricing_policy_ensure()
    if policy.max_discount_pct_without_admin != Decimal("15.00"):
        pricing_policy_update(max_discount_pct_without_admin="15", hard_floor_discount_pct="30")
    for sku, name, unit, price in PRICE_LIST:
        if not PriceListItem.objects.filter(sku=sku).exists():
            price_list_item_create(sku=sku, name=name, unit=unit, unit_price=price)
            report.add("price list items")
    for action, confidence, enabled, max_amount, sample in RULES:
        auto_approval_rule_save(
            action_type=action,
            min_confidence=Decimal(confidence),
            enabled=enabled,
            max_amount=Decimal(max_amount) if max_amount else None,
            currency=policy.currency if max_amount else "",
            sample_rate=Decimal(sample),
        )
    _, created = AgentSettings.objects.get_or_create(
        singleton=True,
        defaults={
            "icp": "B2B software and SaaS companies in Europe with 50-1000 employees and a "
            "sales team of at least 5 reps who write many follow-up emails.",
            "target_industries": ["software", "saas", "data analytics", "fintech"],
            "target_countries": ["DE", "AT", "CH", "NL", "CZ", "PL", "DK", "NO", "SE", "FI"],
            "sender_company": "Acme Revenue GmbH",
            "offering_name": "Acme Pipeline",
            "offering_pitch": "drafting follow-ups so reps spend their time on conversations",
            "offering_summary": "Acme Pipeline drafts follow-up emails and call notes for "
            "sales teams; every draft is reviewed by a person before it is sent.",
            "offer_package": PACKAGE,
            "finance_sender_name": "Petra Lang",
            "finance_sender_title": "Accounts Receivable",
        },
    )
    if created:
        report.add("agent settings")


def _scenarios(admin: User) -> list[tuple[str, str, Callable[[], object]]]:
    """(what, key email, build) for every scenario."""
    growth = [LineInput(sku="PIPE-GROWTH", quantity=1), LineInput(sku="ONBOARD", quantity=2)]
    scenarios: list[tuple[str, str, Callable[[], object]]] = []
    for email, first, last, title, company, country, source, industry, size, notes in NEW_LEADS:
        fields = {
            "email": email,
            "first_name": first,
            "last_name": last,
            "title": title,
            "company": company,
            "country": country,
            "source": source,
            "industry": industry,
            "company_size": size,
            "notes": notes,
        }
        scenarios.append(("new leads", email, lambda fields=fields: lead_create(**fields)))
    for spec, (subject, body) in CONTACTED_WITH_REPLIES:

        def build(spec=spec, subject=subject, body=body) -> None:  # noqa: ANN001
            lead = _lead(spec)
            _sent_first_touch(lead, admin, days_ago=3)
            reply_record(
                lead=lead,
                from_email=lead.email,
                subject=subject,
                body=body,
                message_id=f"<demo-{lead.email}>",
            )

        scenarios.append(("contacted leads with a reply", spec[0], build))
    for spec in SILENT_CONTACTED:

        def build(spec=spec) -> None:  # noqa: ANN001
            _sent_first_touch(_lead(spec), admin, days_ago=6)

        scenarios.append(("contacted leads due a follow-up", spec[0], build))
    for spec, body in ENGAGED:

        def build(spec=spec, body=body) -> None:  # noqa: ANN001
            lead = _lead(spec)
            _sent_first_touch(lead, admin, days_ago=5)
            reply = reply_record(
                lead=lead,
                from_email=lead.email,
                subject="Re: Acme Pipeline",
                body=body,
                message_id=f"<demo-{lead.email}>",
            )
            reply_handle(reply=reply, classification="interested", by=admin)

        scenarios.append(("engaged leads", spec[0], build))

    def negotiation_without_contract() -> None:
        _negotiation_deal(
            ("k.brandt@havelsoft.example", "Klara", "Brandt", "VP Sales", "Havelsoft", "DE"),
            admin,
            "11500.00",
        )

    def negotiation_with_counter_offer() -> None:
        deal = _negotiation_deal(
            ("p.marek@moravia.example", "Petr", "Marek", "CEO", "Moravia Digital", "CZ"),
            admin,
            "11500.00",
        )
        contract = _sent_contract(deal, admin, growth, 30)
        negotiation_round_record(
            contract=contract,
            party="us",
            offered_price=contract.total,
            notes="Our offer as sent.",
            by=admin,
        )
        negotiation_round_record(
            contract=contract,
            party="customer",
            offered_price="10350.00",
            discount_pct="10",
            by=admin,
            notes="The total is above what our CFO expected. With 10% off we can sign this month.",
        )

    def signed_contract() -> None:
        deal = _negotiation_deal(
            ("a.weiss@spreeware.example", "Alina", "Weiss", "Head of Sales", "Spreeware", "DE"),
            admin,
            "11500.00",
        )
        _signed(_sent_contract(deal, admin, growth, 30), admin)

    scenarios += [
        ("deals in negotiation", "k.brandt@havelsoft.example", negotiation_without_contract),
        ("deals with a counter-offer", "p.marek@moravia.example", negotiation_with_counter_offer),
        ("signed contracts", "a.weiss@spreeware.example", signed_contract),
        (
            "overdue invoices",
            "r.koch@elbdata.example",
            lambda: _issued_invoice(
                ("r.koch@elbdata.example", "Robert", "Koch", "CFO", "Elbdata", "DE"),
                admin,
                growth,
                net_days=14,
                issued_days_ago=40,
            ),
        ),
        (
            "overdue invoices",
            "i.lang@isarlabs.example",
            lambda: _issued_invoice(
                ("i.lang@isarlabs.example", "Ines", "Lang", "COO", "Isarlabs", "DE"),
                admin,
                [LineInput(sku="ONBOARD", quantity=1)],
                net_days=14,
                issued_days_ago=25,
            ),
        ),
        (
            "invoices due soon",
            "u.roth@mainwerk.example",
            lambda: _issued_invoice(
                ("u.roth@mainwerk.example", "Ute", "Roth", "Office Manager", "Mainwerk", "DE"),
                admin,
                [LineInput(sku="ONBOARD", quantity=1)],
                net_days=2,
                issued_days_ago=0,
            ),
        ),
        ("paid invoices", "c.wolf@ruhrbyte.example", lambda: _paid_invoice(admin)),
    ]
    return scenarios


def _paid_invoice(admin: User) -> None:
    invoice = _issued_invoice(
        ("c.wolf@ruhrbyte.example", "Carla", "Wolf", "CFO", "Ruhrbyte", "DE"),
        admin,
        [LineInput(sku="SUPPORT-PLUS", quantity=1)],
        net_days=14,
        issued_days_ago=30,
    )
    payment_record(
        invoice=invoice,
        amount=invoice.balance,
        received_on=tenant_today(),
        reference=invoice.number or "",
        by=admin,
    )


def demo_seed() -> SeedReport:
    """Seed the current tenant (idempotent; see the module docstring)."""
    report = SeedReport()
    admin = _admin()
    with transaction.atomic():
        _reference_data(report)
    for what, email, build in _scenarios(admin):
        if Lead.all_objects.filter(email=email).exists():
            report.skipped += 1
            continue
        with transaction.atomic():
            build()
        report.add(what)
    return report
