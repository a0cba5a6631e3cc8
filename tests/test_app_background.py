"""Background jobs: progress, cancel between steps, errors explained, one writer at a time."""

from __future__ import annotations

import threading

import pytest

from config import ConfigError
from ui.background import Busy, Job, Jobs
from ui.runtime import explain


def test_progress_and_result() -> None:
    jobs = Jobs(explain)

    def work(job: Job) -> int:
        for step in range(3):
            job.progress(step + 1, 3, f"step {step}")
        return 42

    job = jobs.start("sync", "Syncing", work)
    assert job.wait(10)
    assert (job.status, job.result, job.fraction, job.message) == ("done", 42, 1.0, "step 2")
    assert jobs.latest("sync") is job


def test_cancel_stops_at_the_next_progress_report() -> None:
    jobs = Jobs(explain)
    started, steps = threading.Event(), []

    def work(job: Job) -> None:
        started.set()
        for step in range(10_000):
            steps.append(step)
            job.progress(step, 10_000)
            threading.Event().wait(0.001)

    job = jobs.start("reindex", "Re-indexing", work)
    assert started.wait(10)
    job.cancel()
    assert job.wait(10)
    assert job.status == "cancelled"
    assert len(steps) < 10_000


def test_a_user_error_keeps_its_hint_and_a_bug_is_said_plainly() -> None:
    jobs = Jobs(explain)

    def bad_setting(job: Job) -> None:
        raise ConfigError("no archive folder is configured", hint="Pass --archive PATH.")

    def bug(job: Job) -> None:
        raise KeyError("oops")

    first = jobs.start("a", "A", bad_setting)
    second = jobs.start("b", "B", bug)
    assert first.wait(10) and second.wait(10)
    assert (first.status, first.error, first.hint) == (
        "failed",
        "no archive folder is configured",
        "Pass --archive PATH.",
    )
    assert second.status == "failed"
    assert "KeyError" in second.error and "report" in second.hint


def test_one_job_per_group() -> None:
    jobs = Jobs(explain)
    release = threading.Event()
    first = jobs.start("sync", "Syncing", lambda job: release.wait(10), group="write")
    with pytest.raises(Busy):
        jobs.start("reindex", "Re-indexing", lambda job: None, group="write")
    release.set()
    assert first.wait(10)
    jobs.start("reindex", "Re-indexing", lambda job: None, group="write").wait(10)
    jobs.shutdown()
