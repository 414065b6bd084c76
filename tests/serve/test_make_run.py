"""`make run` under a flash-sale crowd: the real supervisor (scripts/run_dev.py)
on its own VAR_DIR and port (SQLite + embedded Redis, as a fresh clone runs it),
seeded as `make run` seeds, 500 logged-in members claiming at once plus page and
static reads; every request answered, none with a 5xx, nothing oversold; the
emails link to the port it serves on; then Ctrl-C stops web, worker, beat and
the embedded Redis.

Slowish (about half a minute): ``pytest -m serve`` selects it."""

import re
import sys
import time
from collections import Counter

import pytest

from tests.concurrency.crowd import Call, crowd
from tests.serve.support import MakeRun, processes_of, wait_gone

pytestmark = [
    pytest.mark.serve,
    pytest.mark.integration,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table from /proc"),
]

BUYERS, STOCK = 500, 100


@pytest.fixture
def site(tmp_path):
    run = MakeRun(tmp_path / "var", tmp_path / "make-run.log")
    try:
        yield run.start()
    finally:
        run.kill()


def roles(processes):
    """Which of make run's processes are in ``processes`` (command lines)."""
    found = set()
    for _pid, command in processes:
        if "gunicorn" in command and "config.wsgi" in command:
            found.add("web")
        elif "celery" in command and " worker" in command:
            found.add("worker")
        elif "celery" in command and " beat" in command:
            found.add("beat")
        elif "redis-server" in command:
            found.add("redis")
    return found


def test_make_run_answers_a_crowd_and_ctrl_c_stops_everything(site):
    staged = site.stage("sale", BUYERS, STOCK)
    offer = staged["offer"]
    claims = [
        Call("POST", f"/api/v1/offers/{offer}/claims", token=token, body={"quantity": 1}, tag="claim")
        for token in staged["tokens"]
    ]
    reads = [Call("GET", path, tag="read") for path in ("/", staged["page"], f"/api/v1/offers/{offer}",
                                                        "/static/css/site.css", "/static/admin/css/base.css") * 20]  # fmt: skip

    answers = crowd(site.base, claims + reads)

    lost = [(a.call.method, a.call.path, a.error) for a in answers if a.status == 0]
    assert lost == [], f"{len(lost)} requests got no HTTP answer, e.g. {lost[:5]}"
    failed = [(a.call.path, a.status, str(a.body)[:300]) for a in answers if a.status >= 500]
    assert failed == [], failed[:5]
    outcomes = Counter((a.status, a.code) for a in answers if a.call.tag == "claim")
    assert set(outcomes) <= {(201, None), (409, "sold_out")}, outcomes
    assert {a.status for a in answers if a.call.tag == "read"} == {200}
    static = next(a for a in answers if a.call.path == "/static/css/site.css")
    assert "body" in static.body  # the stylesheet itself, served by WhiteNoise

    books = site.stage("books", offer)
    won = outcomes[(201, None)]
    assert books["sold"] == books["orders"] == books["claims"] == won == STOCK, (books, outcomes)
    assert "Traceback" not in site.output()

    # Defect 9: the demo's emails (the seeded group-buy's, printed by the worker) link to this port.
    deadline = time.monotonic() + 30
    while (
        not (links := re.findall(r"emails off in your settings: (\S+)", site.output())) and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert links and set(links) == {f"{site.base}/settings/"}, links

    running = processes_of(site.var_dir)
    assert roles(running) == {"web", "worker", "beat", "redis"}, running
    assert site.interrupt() == 0, site.output()[-3000:]
    assert wait_gone(site.var_dir) == []
