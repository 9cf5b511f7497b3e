from __future__ import annotations

import time

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    OutputWrapper,
)
from django.db.models import Count, F
from django_tenants.utils import tenant_context

from revo.agents import base, services
from revo.agents.models import ACTIVE_STATUSES, AgentRun, AgentRunItem, PipelineRun, RunStatus
from revo.agents.selectors import llm_usage_by_run, runs_for_pipeline
from revo.core.exceptions import DomainError
from revo.tenancy.models import Tenant

POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = (
        "Run the agent pipeline (or one agent) for a tenant: in-process with --sync, "
        "otherwise on the Celery workers while this command follows the progress."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--agent", help=f"one agent only ({', '.join(base.AGENT_ORDER)})")
        parser.add_argument("--sync", action="store_true", help="run in this process")
        parser.add_argument("--limit", type=int, help="at most N items per stage")
        parser.add_argument(
            "--timeout", type=float, default=1800, help="seconds to follow a queued run"
        )

    def handle(self, *args: object, **options: object) -> None:
        tenant = Tenant.objects.filter(
            slug=options["tenant"], is_active=True, is_template=False
        ).first()
        if tenant is None:
            raise CommandError(f"no active tenant with slug {options['tenant']!r}")
        agents = [options["agent"]] if options.get("agent") else None
        with tenant_context(tenant):
            try:
                pipeline = services.pipeline_run_create(
                    trigger="cli",
                    agents=agents,
                    limit=options.get("limit"),
                    sync=bool(options["sync"]),
                ).run
            except DomainError as exc:
                raise CommandError(exc.message) from None
            self.stdout.write(
                f"pipeline {pipeline.run_id} for {tenant.slug}: {' → '.join(pipeline.stages)}"
            )
            started = time.monotonic()
            if options["sync"]:
                self._run_sync(pipeline)
            else:
                self._follow(pipeline, timeout=float(options["timeout"]))
            pipeline.refresh_from_db()
            self._summary(pipeline, time.monotonic() - started)
        if pipeline.status != RunStatus.SUCCEEDED:
            raise CommandError(f"pipeline ended {pipeline.status}")

    # -- in-process -------------------------------------------------------------------------

    def _run_sync(self, pipeline: PipelineRun) -> None:
        while True:
            pipeline.refresh_from_db()
            if pipeline.status != RunStatus.RUNNING:
                return
            run = runs_for_pipeline(pipeline).filter(status=RunStatus.QUEUED).first()
            if run is None:
                return
            bar = ProgressBar(self.stdout, label=run.agent, live=self.stdout.isatty())
            services.agent_run_execute(
                run_id=str(run.run_id),
                progress=bar.on_item,
                on_selected=bar.on_selected,
            )
            bar.finish()

    # -- on the workers ---------------------------------------------------------------------

    def _follow(self, pipeline: PipelineRun, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_line = ""
        while time.monotonic() < deadline:
            pipeline.refresh_from_db()
            runs = list(runs_for_pipeline(pipeline))
            done = _items_done(runs)
            line = "  ".join(_run_progress(r, done) for r in runs) or "waiting for a worker"
            if line != last_line:
                self.stdout.write(f"[{pipeline.status}] {line}")
                last_line = line
            if pipeline.status not in ACTIVE_STATUSES:
                return
            time.sleep(POLL_SECONDS)
        self.stderr.write(
            f"still {pipeline.status} after {timeout:.0f}s; is a worker running "
            "(make worker)? The run continues on the workers."
        )

    # -- summary ----------------------------------------------------------------------------

    def _summary(self, pipeline: PipelineRun, elapsed: float) -> None:
        runs = list(runs_for_pipeline(pipeline))
        usage = llm_usage_by_run([r.run_id for r in runs])
        header = (
            f"{'stage':<12}{'status':<11}{'processed':>10}{'skipped':>9}{'failed':>8}"
            f"{'artifacts':>11}{'auto-ok':>9}{'LLM calls':>11}{'tokens':>9}{'time s':>8}"
        )
        self.stdout.write("\n" + header)
        self.stdout.write("-" * len(header))
        for run in runs:
            u = usage.get(str(run.run_id), {"calls": 0, "tokens_in": 0, "tokens_out": 0})
            self.stdout.write(
                f"{run.agent:<12}{run.status:<11}{run.processed:>10}{run.skipped:>9}"
                f"{run.failed:>8}{run.artifacts_created:>11}{run.auto_approved:>9}"
                f"{u['calls']:>11}{u['tokens_in'] + u['tokens_out']:>9}"
                f"{(run.duration_s or 0):>8.1f}"
            )
        self.stdout.write(f"pipeline {pipeline.status} in {elapsed:.1f}s")
        for run in runs:
            if run.error_payload:
                self.stderr.write(f"{run.agent}: {run.error_payload.get('message', '')}")


def _items_done(runs: list[AgentRun]) -> dict[int, int]:
    """Items each run's current attempt has recorded, in one query."""
    rows = (
        AgentRunItem.objects.filter(run__in=runs, attempt=F("run__attempts"))
        .values("run")
        .annotate(n=Count("id"))
    )
    return {row["run"]: row["n"] for row in rows}


def _run_progress(run: AgentRun, done: dict[int, int]) -> str:
    """``sdr: running 27/54`` (this attempt's items recorded / selected)."""
    if run.items_total is None:
        return f"{run.agent}: {run.status}"
    return f"{run.agent}: {run.status} {done.get(run.pk, 0)}/{run.items_total}"


class ProgressBar:
    """One line per stage, ``sdr [########----------] 27/54  processed 25  skipped 1
    failed 1``: redrawn in place on a terminal, written once when the stage ends elsewhere
    (logs, CI)."""

    WIDTH = 30

    def __init__(self, out: OutputWrapper, *, label: str, live: bool) -> None:
        self.out = out
        self.label = label
        self.live = live
        self.total: int | None = None
        self.counts = dict.fromkeys(("processed", "skipped", "failed"), 0)

    def on_selected(self, run: AgentRun, total: int) -> None:
        self.total = total
        self._draw()

    def on_item(self, run: AgentRun, item_type: str, item_id: str, result: object) -> None:
        outcome = result.outcome
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        self._draw()

    def finish(self) -> None:
        self._draw(final=True)

    def _line(self) -> str:
        done = sum(self.counts.values())
        total = self.total if self.total is not None else done
        filled = self.WIDTH if not total else min(self.WIDTH, self.WIDTH * done // total)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        counts = "  ".join(f"{name} {n}" for name, n in self.counts.items())
        return f"{self.label:<12}[{bar}] {done}/{total}  {counts}"

    def _draw(self, *, final: bool = False) -> None:
        if self.live:
            self.out.write("\r" + self._line(), ending="\n" if final else "")
            self.out.flush()
        elif final:
            self.out.write(self._line())
