"""5. A flash-sale crowd: 1,000 buyers (distinct members, already logged in)
arrive within one second, evenly spread, for a 100-unit flash sale, each with
a claim of one unit on a connection of its own. (a) make run's setup: the real
supervisor (scripts/run_dev.py: gunicorn with config/gunicorn.py, plus its
Celery worker and beat) on a VAR_DIR of its own, SQLite and the embedded Redis,
seeded as make run seeds; (b) the production setup: Procfile's web command on
PostgreSQL and Redis (the benchmark settings, DEBUG off). Figures: answers
lost (no HTTP answer, or a 5xx), p50/p99 time to an answer counted from the
buyer's arrival, oversell (the books against the 201 answers). Baseline, same
server, same run, just before: the same 1,000 arrivals to GET /api/v1/me/claims
(claims.py's trivial endpoint) with the same members."""

import os
import re
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

from bench.common import LOG_DIR, ROOT, Process, members, percentile, process_env, session_token

TITLE = "5. A flash-sale crowd"

BUYERS, STOCK, WINDOW = 1000, 100, 1.0  # arrivals spread evenly over WINDOW seconds
TARGET_P99 = 2.0


def arrivals(calls):
    """Give each call its moment: the crowd starts a little ahead, then one arrival every WINDOW/N."""
    start = time.time() + 0.5
    for i, call in enumerate(calls):
        call.at = start + WINDOW * i / len(calls)
    return calls


def measure(base, calls):
    """(figures, answers) of one crowd; time to an answer counts from each buyer's arrival."""
    from tests.concurrency.crowd import crowd

    answers = crowd(base, arrivals(calls))
    lost = [a for a in answers if a.status == 0 or a.status >= 500]
    latencies = [a.done_at - a.call.at for a in answers if a.status]
    figures = {
        "lost": len(lost),
        "lost_examples": sorted({a.error or str(a.status) for a in lost})[:3],
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "max": max(latencies, default=float("nan")),
        "statuses": Counter((a.status, a.code) for a in answers),
    }
    return figures, answers


def warm(base, token, n=40):
    """Every worker process has imported and connected before the clock starts."""
    from tests.concurrency.crowd import Call, crowd

    crowd(base, [Call("GET", "/api/v1/me/claims", token=token) for _ in range(n)])


def crowd_pair(base, offer_id, tokens, warm_token):
    from tests.concurrency.crowd import Call

    warm(base, warm_token)
    trivial, _ = measure(base, [Call("GET", "/api/v1/me/claims", token=t) for t in tokens])
    claims = [Call("POST", f"/api/v1/offers/{offer_id}/claims", token=t, body={"quantity": 1}) for t in tokens]
    sale, answers = measure(base, claims)
    sale["won"] = sum(1 for a in answers if a.status == 201)
    return trivial, sale


def make_run_setup():
    """(a): scripts/run_dev.py on a fresh VAR_DIR, members and the sale staged beside it."""
    from tests.serve.support import MakeRun

    var_dir = LOG_DIR / "crowd-make-run"
    shutil.rmtree(var_dir, ignore_errors=True)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / "crowd-make-run.log"
    log.write_bytes(b"")
    site = MakeRun(var_dir, log)
    try:
        site.start()
        staged = site.stage("sale", BUYERS + 1, STOCK)
        warm_token, *tokens = staged["tokens"]
        trivial, sale = crowd_pair(site.base, staged["offer"], tokens, warm_token)
        books = site.stage("books", staged["offer"])
        errors = site.output().count("Traceback")
        exit_code = site.interrupt()
    finally:
        site.kill()
    shutil.rmtree(var_dir, ignore_errors=True)
    workers = len(set(re.findall(r"Booting worker with pid: (\d+)", site.output())))
    return {"trivial": trivial, "sale": sale, "books": books, "tracebacks": errors, "workers": workers,
            "stopped": exit_code == 0}  # fmt: skip


def procfile_web():
    """Procfile's web command, started as a platform would: by a shell, with PORT set."""
    from tests.concurrency.crowd import Call, one
    from tests.serve.support import free_port

    command = next(line.split(":", 1)[1].strip() for line in (ROOT / "Procfile").read_text().splitlines()
                   if line.startswith("web:"))  # fmt: skip
    port = free_port()
    env = process_env(PORT=str(port), PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    server = Process("crowd-procfile-web", ["bash", "-c", f"exec {command}"], env)
    from config import gunicorn as gunicorn_conf

    server.start(lambda out: out.count("Booting worker") >= gunicorn_conf.workers)
    server.base = f"http://127.0.0.1:{port}"
    server.command, server.workers, server.threads = command, gunicorn_conf.workers, gunicorn_conf.threads
    deadline = time.monotonic() + 60
    while one(server.base, Call("GET", "/api/v1/categories")).status != 200:
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"Procfile's web does not answer:\n{server.output()[-3000:]}")
        time.sleep(0.2)
    return server


def production_setup():
    """(b): Procfile's web on the benchmark's PostgreSQL database and Redis."""
    from django.db.models import Sum

    from community_commerce.models import Claim, Order
    from community_commerce.services import lifecycle
    from tests import factories

    seller = factories.merchant()
    thread = factories.commerce_thread(seller)
    offer = factories.offer("flash_sale", merchant_=seller, thread_=thread, stock=STOCK, per_user_limit=1,
                            terms={"unit_price": "2.50"}, status="scheduled")  # fmt: skip
    lifecycle.open_offer(offer_id=offer.pk)
    warm_token, *tokens = [session_token(m) for m in members(BUYERS + 1, "crowd")]
    server = procfile_web()
    try:
        trivial, sale = crowd_pair(server.base, offer.pk, tokens, warm_token)
        errors = server.output().count("Traceback")
    finally:
        server.stop()
    offer.refresh_from_db()
    orders = Order.objects.filter(offer=offer).aggregate(n=Sum("quantity"))["n"] or 0
    books = {
        "stock": offer.stock,
        "sold": offer.sold,
        "orders": orders,
        "claims": Claim.objects.filter(offer=offer).count(),
    }
    return {"trivial": trivial, "sale": sale, "books": books, "tracebacks": errors, "command": server.command,
            "workers": server.workers, "threads": server.threads}  # fmt: skip


def oversold(result):
    books, won = result["books"], result["sale"]["won"]
    return not (books["sold"] == books["orders"] == won <= books["stock"])


def report(out, label, result):
    trivial, sale = result["trivial"], result["sale"]
    for name, figures in (("trivial GET /me/claims", trivial), ("claim   POST claims   ", sale)):
        out.line(
            f"{label} {name}: lost {figures['lost']}  p50 {figures['p50']:.3f} s  p99 {figures['p99']:.3f} s  "
            f"max {figures['max']:.3f} s" + (f"  lost e.g. {figures['lost_examples']}" if figures["lost"] else "")
        )
    statuses = ", ".join(f"{s} {c or ''}".strip() + f": {n}" for (s, c), n in sorted(sale["statuses"].items()))
    books = result["books"]
    out.line(
        f"{label} answers {statuses}; books: sold {books['sold']}/{books['stock']} = orders {books['orders']} "
        f"= 201 answers {sale['won']}; oversold: {'YES' if oversold(result) else 'no'}; "
        f"server tracebacks: {result['tracebacks']}; p99 claim/trivial {sale['p99'] / trivial['p99']:.2f}"
    )


def run(out):
    results = {}
    results["make_run"] = make_run_setup()
    report(out, "(a) make run  ", results["make_run"])
    out.line(
        f"(a) scripts/run_dev.py: {' '.join(_web_args())} ({results['make_run']['workers']} workers), "
        f"Celery worker and beat, SQLite (WAL) + embedded Redis; Ctrl-C stopped everything: "
        f"{'yes' if results['make_run']['stopped'] else 'NO'}"
    )
    results["production"] = production_setup()
    report(out, "(b) production", results["production"])
    prod = results["production"]
    out.line(
        f"(b) Procfile: {prod['command']} ({prod['workers']} gthread workers x {prod['threads']} threads), "
        f"PostgreSQL + Redis, DEBUG off; {os.cpu_count()} cores shared with the load generator"
    )
    return results


def _web_args():
    """make run's web command (scripts/run_dev.py), as it reads in a terminal."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from run_dev import web_command

    return [arg.replace(f"{ROOT}{os.sep}", "") for arg in web_command(port="PORT")[2:]]
