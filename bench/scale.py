#!/usr/bin/env python3
"""Scale benchmark: does the cost of a read follow the page or the population? (see bench/README.md)

Two PostgreSQL databases side by side: `nbh_scale_small` holds one neighbourhood of 50,000 people,
`nbh_scale_large` holds many neighbourhoods of 50,000 each (100 by default: 5,000,000 people). The
NHS test range 999 000 0000–999 999 9999 holds about 909,000 valid numbers, so the large database is
seeded with `--wrong-check-digits`: the people beyond them get numbers from the same never-issued
range with a wrong check digit. Each database gets its own server, both pinned to the same core and
loaded one at a time. The callers are a coordinator and a link worker of one neighbourhood, so the
pages they read are the same size in both databases; only the population around them differs.

Per read scenario of bench/api.py: a closed loop on the small database fixes a request rate (half
its throughput); then open-loop runs at that rate alternate small, large, small, large … so that
machine drift cancels out. The report gives, per scenario and database, p50 and p99 latency
(median over the repetitions), the ratio large/small (target ≤ 1.2), and from PostgreSQL itself:
statements, rows and shared buffers touched per request (pg_stat_statements) and rows read by
sequential scans per request (pg_stat_user_tables), with the statements whose buffers grow most
and the tables scanned. It also reports how long the demo generator took to load each database.

Python 3 standard library only; shares its machinery with bench/api.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api  # noqa: E402  (bench/api.py: the scenarios, the server wrapper, oha, psql)
from api import ROOT, READ_SCENARIOS, SCENARIO_TOKEN, PG_SERVER, log, psql, run  # noqa: E402

SIZES = ("small", "large")
TARGET_RATIO = 1.2


def database(size: str) -> str:
    return f"nbh_scale_{size}"


def seed(binary: Path, size: str, population: int, neighbourhoods: int, secret: str) -> tuple[str, float]:
    """Creates, migrates and fills one database; returns its URL and the seeding seconds."""
    db = database(size)
    psql("postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    psql("postgres", f"CREATE DATABASE {db}")
    psql(db, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    url = f"{PG_SERVER}/{db}?sslmode=disable"
    env = {**os.environ, "DATABASE_URL": url, "NEIGHBOURHOOD_JWT_SECRET": secret}
    run([str(binary), "migrate"], env=env, capture_output=True)
    log(f"{size}: seeding {population:,} people in {neighbourhoods} neighbourhood(s)")
    started = time.monotonic()
    # Beyond the valid test numbers (about 909,000), numbers from the same range with a wrong check
    # digit (the valid ones go to the first neighbourhoods). No read scenario validates a stored number.
    run([str(binary), "seed-demo", "--population", str(population), "--neighbourhoods", str(neighbourhoods),
         "--seed", "2026", "--wrong-check-digits"], env=env, capture_output=True)
    seconds = time.monotonic() - started
    psql(db, "VACUUM ANALYZE")  # statistics, and the visibility map that index-only scans need
    log(f"{size}: seeded in {seconds:.0f} s")
    return url, seconds


def table_stats(db: str, column: str) -> dict[str, int]:
    """One counter of pg_stat_user_tables per table: `seq_tup_read` (rows read by sequential scans
    so far) or `n_live_tup` (rows)."""
    text = psql(db, f"SELECT relname, coalesce({column}, 0) FROM pg_stat_user_tables")
    return {name: int(n) for name, n in (line.split("|") for line in text.splitlines())}


def delta(after: dict, before: dict) -> dict:
    out = {}
    for key, value in after.items():
        old = before.get(key)
        if isinstance(value, tuple):
            old = old or tuple(0 for _ in value)
            out[key] = tuple(a - b for a, b in zip(value, old))
        else:
            out[key] = value - (old or 0)
    return out


def inbox_page_sizes(side: "Side") -> list[int]:
    """Referrals on each inbox page (one per status set), as the link worker sees them."""
    query = (ROOT / "bench/scenarios/referral_inbox.graphql").read_text()
    a = api.Api(side.url, side.tokens["link_worker"])
    return [len(a.data(query, v)["referrals"]["nodes"]) for v in side.variables["referral_inbox"]]


def keep_full_inbox_pages(sides: dict[str, "Side"]) -> list[list[str]]:
    """Keeps the inbox status sets whose page is full in both databases. The provider serves every
    neighbourhood, so in the large database its pages of rarer states are fuller, and a fuller page
    costs more for that reason alone; full pages in both compare the same work."""
    sizes = {size: inbox_page_sizes(side) for size, side in sides.items()}
    full = [i for i in range(len(api.INBOX_STATUSES)) if all(sizes[size][i] == 100 for size in sides)]
    if not full and all(side.args.smoke for side in sides.values()):
        # A smoke run's populations are too small for a page of open referrals (closed ones are not
        # among the sets: a service reaches their people only for 90 days after they end). The
        # harness is checked on the fullest set instead; the timings of a smoke run mean nothing.
        best = max(range(len(api.INBOX_STATUSES)), key=lambda i: min(sizes[size][i] for size in sides))
        log(f"smoke: no inbox status set fills a page in both databases ({sizes}); using the fullest, "
            f"{api.INBOX_STATUSES[best]}")
        full = [best]
    if not full:
        raise SystemExit(f"no inbox status set fills a page in both databases: {sizes}")
    for side in sides.values():
        side.variables["referral_inbox"] = [side.variables["referral_inbox"][i] for i in full]
        side.bodies["referral_inbox"] = api.write_bodies(side.workdir, "referral_inbox", side.variables["referral_inbox"])
        side.response_bytes["referral_inbox"], _ = api.check_bodies(
            api.Api(side.url, side.tokens["link_worker"]), "referral_inbox", side.variables["referral_inbox"],
            side.tokens["link_worker"])
    return [api.INBOX_STATUSES[i] for i in full]


class Side:
    """One database with its server, tokens and variables."""

    def __init__(self, size: str, url: str, binary: Path, secret: str, port: int, args, workdir: Path, tool: str):
        self.size, self.db, self.tool, self.args = size, database(size), tool, args
        self.server = api.Server(binary, url, secret, port, args.server_cpus, workdir)
        self.workdir = workdir / size
        self.workdir.mkdir()
        self.runs: dict[str, list[dict]] = {s: [] for s in READ_SCENARIOS}
        self.pg: dict[str, dict] = {}

    def start(self) -> None:
        self.server.start()
        self.tokens = {
            "coordinator": self.server.token("--role", "coordinator", "--ttl-minutes", "600"),
            "link_worker": self.server.token("--role", "link-worker", "--ttl-minutes", "600"),
        }
        a = api.Api(f"http://127.0.0.1:{self.server.port}/graphql", self.tokens["coordinator"])
        self.url = a.url
        log(f"{self.size}: scheduling {self.args.meetings} MDT meetings of {self.args.agenda} people")
        meetings = api.prepare_meetings(a, self.args.meetings, self.args.agenda, self.db)
        self.variables = api.variables_for(a, self.tokens, meetings, self.args.smoke)
        self.bodies, self.response_bytes = {}, {}
        for scenario in READ_SCENARIOS:
            self.response_bytes[scenario], _ = api.check_bodies(a, scenario, self.variables[scenario],
                                                                self.tokens[SCENARIO_TOKEN[scenario]])
            self.bodies[scenario] = api.write_bodies(self.workdir, scenario, self.variables[scenario])

    def load(self, scenario: str, rate: float | None) -> dict:
        report = api.oha(self.tool, self.url, self.tokens[SCENARIO_TOKEN[scenario]], self.bodies[scenario],
                         self.args.duration, self.args.concurrency, rate, self.args.load_cpus)
        ok, bad = api.status_counts(report)
        if bad:
            raise SystemExit(f"{self.size} {scenario}: {bad} failed requests")
        return report

    def stop(self) -> None:
        self.server.stop()


def measure(sides: dict[str, Side], scenario: str, args) -> float:
    """Alternating open-loop runs at one rate; fills each side's runs and PostgreSQL counters."""
    closed = sides["small"].load(scenario, None)
    rate = max(1.0, round(closed["summary"]["requestsPerSec"] * args.rate_fraction, 1))
    before = {size: (api.pg_statements(s.db), table_stats(s.db, "seq_tup_read"), s.server.graphql_errors())
              for size, s in sides.items()}
    requests = {size: 0 for size in sides}
    for _ in range(args.repetitions):
        for size in SIZES:
            report = sides[size].load(scenario, rate)
            ok, _ = api.status_counts(report)
            requests[size] += ok
            sides[size].runs[scenario].append({"p50_ms": api.latency_ms(report, "p50"),
                                               "p99_ms": api.latency_ms(report, "p99"), "requests": ok})
    # Table statistics reach pg_stat_user_tables when a backend goes idle, at most 10 s later.
    time.sleep(args.stats_wait)
    for size, side in sides.items():
        stmts = delta(api.pg_statements(side.db), before[size][0])
        seq = delta(table_stats(side.db, "seq_tup_read"), before[size][1])
        n = max(1, requests[size])
        calls = sum(v[0] for v in stmts.values())
        side.pg[scenario] = {
            "requests": requests[size],
            "graphql_errors": side.server.graphql_errors() - before[size][2],
            "statements_per_request": calls / n,
            "rows_per_request": sum(v[1] for v in stmts.values()) / n,
            "buffers_per_request": sum(v[2] for v in stmts.values()) / n,
            "db_exec_ms_per_request": sum(v[3] for v in stmts.values()) / n,
            "per_statement": {q: {"calls_per_request": v[0] / n, "buffers_per_call": v[2] / v[0]}
                              for q, v in stmts.items() if v[0]},
            "seq_rows_per_request": {t: r / n for t, r in seq.items() if r},
        }
    return rate


def summarise(sides: dict[str, Side], rates: dict[str, float]) -> dict:
    out = {}
    for scenario in READ_SCENARIOS:
        row = {"rate": rates[scenario]}
        for size in SIZES:
            runs = sides[size].runs[scenario]
            row[size] = {"p50_ms": statistics.median(r["p50_ms"] for r in runs),
                         "response_bytes": sides[size].response_bytes[scenario],
                         "p99_ms": statistics.median(r["p99_ms"] for r in runs),
                         **{k: v for k, v in sides[size].pg[scenario].items() if k != "per_statement"}}
        pairs = list(zip(sides["small"].runs[scenario], sides["large"].runs[scenario]))
        ratios = sorted(l["p50_ms"] / s["p50_ms"] for s, l in pairs)
        row["p50_ratio"], row["p50_ratio_min"], row["p50_ratio_max"] = statistics.median(ratios), ratios[0], ratios[-1]
        row["p99_ratio"] = row["large"]["p99_ms"] / row["small"]["p99_ms"]
        row["buffers_ratio"] = row["large"]["buffers_per_request"] / max(1e-9, row["small"]["buffers_per_request"])
        # The statements whose buffers per call grew most from the small database to the large one.
        small, large = sides["small"].pg[scenario]["per_statement"], sides["large"].pg[scenario]["per_statement"]
        growth = sorted(((large[q]["buffers_per_call"] - small.get(q, {"buffers_per_call": 0})["buffers_per_call"]) *
                         large[q]["calls_per_request"], q) for q in large)
        row["growing_statements"] = [{"extra_buffers_per_request": round(g, 1), "query": q[:300]}
                                     for g, q in reversed(growth[-3:]) if g > 0.5]
        out[scenario] = row
    return out


def report(summary: dict, meta: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps({"meta": meta, "scenarios": summary}, indent=2) + "\n")
    small, large = meta["small"], meta["large"]
    lines = [
        "# Scale benchmark: cost follows the page, not the population",
        "",
        f"{meta['date']}, commit {meta['commit']}, {meta['cores']} cores, "
        f"{'SMOKE RUN (numbers mean nothing), ' if meta['smoke'] else ''}binary `{meta['binary']}`. "
        f"Small: {small['population']:,} people in {small['neighbourhoods']} neighbourhood "
        f"(seeded in {small['seed_seconds']:.0f} s). Large: {large['population']:,} people in "
        f"{large['neighbourhoods']} neighbourhoods (seeded in {large['seed_seconds']:.0f} s), in the same PostgreSQL. "
        f"Each database has its own server, both pinned to CPU {meta['server_cpus']}; PostgreSQL and oha on CPU "
        f"{meta['load_cpus']}. The callers belong to one neighbourhood in both, so pages are the same size. "
        f"Per scenario: a closed loop on the small database sets the rate (half its throughput), then "
        f"{meta['repetitions']} alternating open-loop runs of {meta['duration_s']:g} s at that rate "
        f"(small, large, small, large …, {meta['concurrency']} connections, oha's latency correction). "
        "Latencies are medians over the repetitions; the p50 ratio is the median of the per-pair ratios. "
        "Response bytes are the mean over the scenario's variable sets: a page that is fuller in the large "
        "database costs more for that reason alone, so the referral inbox runs only the status sets whose "
        f"100-row page is full in both databases ({', '.join('+'.join(x) for x in meta['inbox_statuses'])}): the "
        "provider serves every neighbourhood, and its pages of rarer states fill only in the large database. "
        "Buffers are PostgreSQL shared buffers touched per request (pg_stat_statements); sequential rows are "
        "rows read by sequential scans per request (pg_stat_user_tables).",
        "",
        "| scenario | rate req/s | p50 small ms | p50 large ms | p50 ratio (min–max) | p99 small ms | p99 large ms | "
        "response bytes small / large | stmts/req small / large | rows/req small / large | buffers/req small / large | "
        "seq rows/req small / large |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for scenario in READ_SCENARIOS:
        r = summary[scenario]
        s, l = r["small"], r["large"]
        lines.append(
            f"| {scenario} | {r['rate']:g} | {s['p50_ms']:.1f} | {l['p50_ms']:.1f} | {r['p50_ratio']:.2f} "
            f"({r['p50_ratio_min']:.2f}–{r['p50_ratio_max']:.2f}) | {s['p99_ms']:.1f} | {l['p99_ms']:.1f} | "
            f"{s['response_bytes']:,} / {l['response_bytes']:,} | "
            f"{s['statements_per_request']:.1f} / {l['statements_per_request']:.1f} | "
            f"{s['rows_per_request']:.0f} / {l['rows_per_request']:.0f} | "
            f"{s['buffers_per_request']:.0f} / {l['buffers_per_request']:.0f} | "
            f"{sum(s['seq_rows_per_request'].values()):.0f} / {sum(l['seq_rows_per_request'].values()):.0f} |")
    lines += ["", "Sequential scans in the large database (rows read per request, by table):", ""]
    for scenario in READ_SCENARIOS:
        seq = summary[scenario]["large"]["seq_rows_per_request"]
        listed = ", ".join(f"{t} {n:.0f}" for t, n in sorted(seq.items(), key=lambda x: -x[1])) or "none"
        lines.append(f"- {scenario}: {listed}")
    lines += ["", "Statements whose buffers grew most with the population (extra buffers per request):", ""]
    for scenario in READ_SCENARIOS:
        grown = summary[scenario]["growing_statements"]
        listed = "; ".join(f"{g['extra_buffers_per_request']:g}: `{g['query'][:160]}`" for g in grown) or "none"
        lines.append(f"- {scenario}: {listed}")
    worst = max(READ_SCENARIOS, key=lambda n: summary[n]["p50_ratio"])
    met = summary[worst]["p50_ratio"] <= TARGET_RATIO
    errors = sum(summary[n][size]["graphql_errors"] for n in READ_SCENARIOS for size in SIZES)
    lines += ["", "## Targets", "", "| target | met | measured |", "|---|---|---|",
              f"| p50 latency ratio large/small at most {TARGET_RATIO} in every read scenario | {'yes' if met else '**no**'} | "
              f"worst {worst} {summary[worst]['p50_ratio']:.2f} |",
              f"| no errors | {'yes' if errors == 0 else '**no**'} | {errors:.0f} GraphQL errors, 0 non-2xx |", ""]
    (out / "scale.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="seconds: 8,000 people per neighbourhood, 2 neighbourhoods, 1-second runs")
    parser.add_argument("--per-neighbourhood", type=int, default=50_000)
    parser.add_argument("--neighbourhoods", type=int, default=100, help="neighbourhoods in the large database")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--stats-wait", type=float, default=11.0, help="seconds for table statistics to arrive")
    parser.add_argument("--keep-databases", action="store_true")
    api.add_common_arguments(parser, duration=10.0, port=18190)
    args = parser.parse_args()
    if args.smoke:
        args.per_neighbourhood, args.neighbourhoods, args.meetings, args.agenda = 8_000, 2, 3, 5
        args.duration, args.repetitions, args.stats_wait = 1.0, 1, 0.0
    binary, label = api.apply_common_arguments(args)
    tool = api.find_oha()
    api.ensure_pg_stat_statements()
    secret = secrets.token_hex(32)
    sizes = {"small": (args.per_neighbourhood, 1),
             "large": (args.per_neighbourhood * args.neighbourhoods, args.neighbourhoods)}
    meta = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": api.current_commit(),
            "cores": os.cpu_count(), "smoke": args.smoke, "binary": label, "server_cpus": args.server_cpus,
            "load_cpus": args.load_cpus, "repetitions": args.repetitions, "duration_s": args.duration,
            "concurrency": args.concurrency}
    sides: dict[str, Side] = {}
    with tempfile.TemporaryDirectory(prefix="nbh-scale-") as tmp:
        workdir = Path(tmp)
        try:
            for n, (size, (population, neighbourhoods)) in enumerate(sizes.items()):
                url, seconds = seed(binary, size, population, neighbourhoods, secret)
                meta[size] = {"population": population, "neighbourhoods": neighbourhoods, "seed_seconds": seconds,
                              "table_rows": table_stats(database(size), "n_live_tup")}
                sides[size] = Side(size, url, binary, secret, args.port + n, args, workdir, tool)
                sides[size].start()
            meta["inbox_statuses"] = keep_full_inbox_pages(sides)
            api.pin(api.postgres_pids(), args.load_cpus)
            rates = {}
            for scenario in READ_SCENARIOS:
                rates[scenario] = measure(sides, scenario, args)
                log(f"{scenario}: p50 small {statistics.median(r['p50_ms'] for r in sides['small'].runs[scenario]):.1f} ms, "
                    f"large {statistics.median(r['p50_ms'] for r in sides['large'].runs[scenario]):.1f} ms at {rates[scenario]} req/s")
            meta["server_peak_rss_mib"] = {size: api.peak_rss_mib(s.server.proc.pid) for size, s in sides.items()}
            summary = summarise(sides, rates)
        finally:
            for side in sides.values():
                side.stop()
            api.pin(api.postgres_pids(), "0-" + str(os.cpu_count() - 1))
            if not args.keep_databases:
                for size in sizes:
                    psql("postgres", f"DROP DATABASE IF EXISTS {database(size)} WITH (FORCE)")
        report(summary, meta, workdir / "results" if args.smoke else Path(args.out))
        errors = [n for n in READ_SCENARIOS for size in SIZES if summary[n][size]["graphql_errors"]]
        if errors:
            raise SystemExit(f"GraphQL errors in: {', '.join(errors)}")


if __name__ == "__main__":
    main()
