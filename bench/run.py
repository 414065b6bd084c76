"""``make bench``: the benchmarks against the PostgreSQL and Redis of
DATABASE_URL / REDIS_URL (default: this machine's 127.0.0.1 services).

The run creates its own database (cc_bench) on that PostgreSQL server, migrates
it, runs each benchmark, writes bench/RESULTS.md and drops the database again,
whatever happened. Only the server, user and password of DATABASE_URL are
used: its database is never touched. In Redis the run uses its own key prefix
and task queue and deletes them at the end.

    python -m bench.run                 # all of them
    python -m bench.run claims close_10k
"""

import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DB_NAME = os.environ.get("BENCH_DB_NAME", "cc_bench")  # another name: runs side by side
RESULTS = ROOT / "bench" / "RESULTS.md"
NOTES = ROOT / "bench" / "NOTES.md"
BENCHES = ["claims", "close_latency", "close_10k", "thread_page", "crowd", "sharing", "reports", "teams"]


class Out:
    def __init__(self, name):
        self.name, self.lines = name, []

    def line(self, text):
        self.lines.append(text)
        print(f"  {text}", flush=True)


def admin_connection(url):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1", port=parts.port or 5432, user=parts.username or "postgres",
        password=parts.password, dbname="postgres", autocommit=True,
    )  # fmt: skip


def create_database(url):
    with admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')  # a leftover of an interrupted run
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database(url):
    with admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def clean_redis():
    """This run's cache keys and task queue, nothing else."""
    import redis
    from django.conf import settings

    from config.celery import app

    app.control.purge()
    cache = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    keys = list(cache.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*", count=1000))
    for start in range(0, len(keys), 1000):
        cache.delete(*keys[start : start + 1000])
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    broker.delete(queue, f"_kombu.binding.{queue}")


def machine(load_before):
    import django
    import redis
    from django.conf import settings
    from django.db import connection

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "unknown"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    redis_version = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"]).info("server")["redis_version"]
    return {
        "Date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": cpu,
        "Cores": str(os.cpu_count()),
        "Memory": memory,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "PostgreSQL": postgres,
        "Redis": redis_version,
        "Load": f"1-minute load average {load_before:.2f} before the run, {os.getloadavg()[0]:.2f} after it",
    }


def status(met):
    return "**met**" if met else "**missed**"


def targets(results):
    rows = []
    if c := results.get("claims"):
        ok = c["ratio"] >= 0.80 and not c["oversold"]
        rows.append((
            "Claim endpoint >= 80% of the trivial endpoint's throughput, zero oversell (issue 8)",
            f"{c['claims'].rate:.0f} vs {c['trivial'].rate:.0f} req/s = {c['ratio']:.0%}; "
            f"oversold: {'YES' if c['oversold'] else 'no'}",
            status(ok),
        ))  # fmt: skip
        cost = c["cost"]
        rows.append((
            "The shared cost of a request, in process (issue 8: report both figures)",
            f"authenticated GET /me/claims {cost['trivial'][1]:.1f} ms CPU ({cost['trivial'][0]} queries); "
            f"anonymous GET /offers/{{id}} {cost['anonymous'][1]:.1f} ms CPU ({cost['anonymous'][0]} queries); "
            f"GET /me/claims without a token (401) {cost['no token'][1]:.1f} ms CPU",
            "reported",
        ))  # fmt: skip
    if lat := results.get("close_latency"):
        up, lost, sweep = lat["up_closed"], lat["lost_closed"], lat["sweep"]
        rows.append((
            "Close latency p99 <= 1 s with the worker up",
            f"p99 {up['p99']:.3f} s (p50 {up['p50']:.3f} s), {lat['up_missing']} not closed",
            status(up["p99"] <= 1.0 and lat["up_missing"] == 0),
        ))  # fmt: skip
        rows.append((
            f"Close latency p99 <= sweep interval + 1 s = {sweep + 1} s with ETA tasks lost",
            f"p99 {lost['p99']:.2f} s (p50 {lost['p50']:.2f} s), {lat['lost_missing']} not closed",
            status(lost["p99"] <= sweep + 1 and lat["lost_missing"] == 0 and lat["precise_in_phase2"] == 0),
        ))  # fmt: skip
    if tenk := results.get("close_10k"):
        rows.append((
            "Closing a group-buy with 10,000 claims < 2 s",
            f"median {tenk['close']:.2f} s, best {tenk['best']:.2f} s (bulk_create of the orders alone: "
            f"{tenk['insert']:.2f} s)",
            status(tenk["close"] < 2.0),
        ))  # fmt: skip
    if page := results.get("thread_page"):
        extra = {}
        for r in page["rows"]:
            extra.setdefault(r["who"], set()).add(r["offers"][0] - r["base"][0])
        rows.append((
            "Thread page: the same number of queries with and without offers",
            "extra queries with 3 offers: "
            + "; ".join(f"{who} " + "/".join(f"{e:+d}" for e in sorted(n)) for who, n in extra.items())
            + " (first and last page)",
            status(all(n == {0} for n in extra.values())),
        ))  # fmt: skip
    if crowd := results.get("crowd"):
        from bench.crowd import TARGET_P99, oversold

        for key, label in (
            ("make_run", "make run (SQLite + embedded Redis)"),
            ("production", "Procfile (PostgreSQL + Redis)"),
        ):
            r = crowd[key]
            sale, trivial = r["sale"], r["trivial"]
            rows.append((
                f"Flash-sale crowd, 1,000 buyers within 1 s for 100 units, {label}: 0 answers lost, "
                f"zero oversell, p99 <= {TARGET_P99:.0f} s",
                f"lost {sale['lost']}; p99 {sale['p99']:.2f} s (p50 {sale['p50']:.2f} s; trivial endpoint p99 "
                f"{trivial['p99']:.2f} s, lost {trivial['lost']}); oversold: {'YES' if oversold(r) else 'no'}",
                status(sale["lost"] == 0 and trivial["lost"] == 0 and not oversold(r) and sale["p99"] <= TARGET_P99),
            ))  # fmt: skip
    if share := results.get("sharing"):
        rows.append((
            "Claim with a coupon >= 0.9x a claim without one, zero over-use",
            f"{share['runs']['coupon'].rate:.0f} vs {share['runs']['plain'].rate:.0f} req/s = "
            f"{share['coupon_ratio']:.2f}x; over-use: {'YES' if share['overused'] else 'none'}",
            status(share["coupon_ratio"] >= 0.9 and not share["overused"]),
        ))  # fmt: skip
        rows.append((
            "/r/<code> >= 1.0x the trivial endpoint, no database write per click",
            f"{share['runs']['visit'].rate:.0f} vs {share['runs']['trivial'].rate:.0f} req/s = "
            f"{share['visit_ratio']:.2f}x; rows written by visits: {share['visit_rows']}, "
            f"writes in one visit: {share['visit_writes']}; rolled up exactly: {'yes' if share['visits_match'] else 'NO'}",
            status(share["visit_ratio"] >= 1.0 and share["visit_rows"] == 0 and share["visit_writes"] == 0
                   and share["visits_match"]),
        ))  # fmt: skip
    if rep := results.get("reports"):
        rows.append((
            "Merchant report over 100,000 orders in 20 channels <= 3x one SELECT sum(total) over them",
            f"{rep['report'] * 1000:.1f} vs {rep['sum'] * 1000:.1f} ms = {rep['report_ratio']:.2f}x",
            status(rep["report_ratio"] <= 3.0),
        ))  # fmt: skip
        rows.append((
            "Settling 100,000 approved entries <= 3x a bare UPDATE of the same rows",
            f"{rep['settle']:.2f} vs {rep['bare']:.2f} s = {rep['settle_ratio']:.2f}x",
            status(rep["settle_ratio"] <= 3.0),
        ))  # fmt: skip
    if team := results.get("teams"):
        rows.append((
            "A team join >= 0.8x a flash-sale claim (every second join completes a team of 3)",
            f"{team['joins'].rate:.0f} vs {team['claims'].rate:.0f} req/s = {team['ratio']:.2f}x; "
            f"books: {'exact' if team['books_ok'] else 'WRONG'}",
            status(team["ratio"] >= 0.8 and team["books_ok"]),
        ))  # fmt: skip
        rows.append((
            "Failing 1,000 expired teams <= 3x a bare UPDATE of their claims",
            f"{team['fail'] * 1000:.0f} vs {team['bare'] * 1000:.0f} ms = {team['fail_ratio']:.2f}x",
            status(team["fail_ratio"] <= 3.0),
        ))  # fmt: skip
    return rows


def write_results(results, outputs, failures, info, seconds):
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` ({seconds:.0f} s). Regenerate it with `make bench`.",
        "",
    ]
    lines += ["## Machine", "", "| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in info.items()]
    lines += ["", "The load generator, gunicorn, PostgreSQL, Redis and the Celery processes share these cores.", ""]
    lines += ["## Targets", "", "| Target | Measured | Status |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {s} |" for t, m, s in targets(results)]
    for name in BENCHES:
        if name in outputs or name in failures:
            module = __import__(f"bench.{name}", fromlist=["x"])
            lines += ["", f"## {module.TITLE}", "", module.__doc__.strip(), "", "```"]
            lines += outputs.get(name, [])
            if name in failures:
                lines += ["FAILED:", failures[name]]
            lines += ["```"]
    if NOTES.exists():
        lines += ["", NOTES.read_text().strip()]
    RESULTS.write_text("\n".join(lines) + "\n")


def main(selected):
    given = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    if urlsplit(given).scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(f"bench: PostgreSQL only (DATABASE_URL={given})")
    os.environ["DATABASE_URL"] = urlunsplit(urlsplit(given)._replace(path=f"/{DB_NAME}"))
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["BENCH_RUN_ID"] = f"{os.getpid()}"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"

    started, load_before = time.monotonic(), os.getloadavg()[0]
    print(f"bench: database {DB_NAME} on {urlsplit(given).hostname}, Redis {os.environ['REDIS_URL']}", flush=True)
    create_database(given)
    results, outputs, failures = {}, {}, {}
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        for name in selected:
            print(f"\n== {name}", flush=True)
            out = Out(name)
            module = __import__(f"bench.{name}", fromlist=["run"])
            try:
                results[name] = module.run(out)
            except Exception:
                failures[name] = traceback.format_exc()
                print(failures[name], flush=True)
            outputs[name] = out.lines
        info = machine(load_before)
        write_results(results, outputs, failures, info, time.monotonic() - started)
        print(f"\nwrote {RESULTS.relative_to(ROOT)} in {time.monotonic() - started:.0f} s", flush=True)
    finally:
        try:
            clean_redis()
        finally:
            from django.db import connections

            connections.close_all()
            drop_database(given)
    return 1 if failures else 0


if __name__ == "__main__":
    names = sys.argv[1:] or BENCHES
    unknown = set(names) - set(BENCHES)
    if unknown:
        sys.exit(f"bench: unknown benchmark(s) {', '.join(sorted(unknown))}; choose from {', '.join(BENCHES)}")
    sys.exit(main(names))
