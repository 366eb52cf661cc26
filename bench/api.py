#!/usr/bin/env python3
"""Load benchmark of the Neighbourhood GraphQL API on PostgreSQL and on SQLite (see bench/README.md).

One command does everything: builds the release binary, installs the load generator (oha, from
crates.io) if it is missing, creates a dedicated PostgreSQL database with pg_stat_statements,
loads the demo neighbourhood, adds MDT meetings of 30 people, starts the server pinned to one
core (PostgreSQL and the load generator on the other), runs every scenario and writes
bench/results/api.md and api.json. It stops and drops everything it started.

Per scenario: requests per second at a fixed concurrency (closed loop); p50/p99/p99.9 latency at a
fixed rate below saturation (open loop, oha's latency correction); errors (non-2xx from oha and
GraphQL errors counted by the server's /metrics, both must be 0); SQL statements and rows per
request (pg_stat_statements deltas); server and database CPU per request; server peak RSS;
response bytes. The write scenario creates referrals and moves them to AWAITING_CONTACT, then
checks that every acknowledged write is in the database.

Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import http.client
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("PG_SERVER", "postgres://postgres@127.0.0.1:5432")
BENCH_DB = "nbh_bench"
# Both servers reach PostgreSQL the same way: TCP on loopback without TLS. sqlx's default
# (`sslmode=prefer`) would otherwise encrypt our connections, since Debian's PostgreSQL has TLS on,
# while node-postgres does not use TLS unless asked: about 15% of our server's CPU was rustls.
SERVER_DB_URL = f"{PG_SERVER}/{BENCH_DB}?sslmode=disable"
READ_SCENARIOS = ["mdt_preparation", "cohort_page", "patient_record", "caseload", "referral_inbox"]
CLK_TCK = os.sysconf("SC_CLK_TCK")

COHORT = {"frailtyCategories": ["MODERATE", "SEVERE"], "minConditionCount": 2}
# The states a service works from its inbox. Closed referrals are not among them since the
# access policy opens a person's record to a service only while a referral to it is open or for 90
# days after it ends: the newest 100 closed ones reach back past that in a small population, and
# their people are then refused (as they should be), which check_bodies counts as a failure.
INBOX_STATUSES = [
    ["RECEIVED"],
    ["AWAITING_CONTACT"],
    ["RECEIVED", "AWAITING_CONTACT"],
    ["CONTACTED", "ACTIVE"],
    ["RECEIVED", "AWAITING_CONTACT", "CONTACTED", "ACTIVE"],
]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


def psql(db: str, sql: str) -> str:
    out = subprocess.run(
        ["psql", f"{PG_SERVER}/{db}", "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"},
    )
    return out.stdout.strip()


def pg_up() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode == 0


def pg_cluster(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action], check=False)
    for _ in range(60):
        if pg_up():
            return
        time.sleep(0.5)
    raise SystemExit("PostgreSQL did not come up on 127.0.0.1:5432")


def ensure_pg_stat_statements() -> None:
    if not pg_up():
        pg_cluster("start")
    loaded = psql("postgres", "SHOW shared_preload_libraries")
    if "pg_stat_statements" not in loaded:
        log("enabling pg_stat_statements (ALTER SYSTEM, cluster restart)")
        libs = ",".join(x for x in [loaded.strip(), "pg_stat_statements"] if x)
        psql("postgres", f"ALTER SYSTEM SET shared_preload_libraries = '{libs}'")
        pg_cluster("restart")


def postgres_pids() -> list[int]:
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def pin(pids: list[int], cpus: str) -> None:
    for pid in pids:
        subprocess.run(["taskset", "-a", "-cp", cpus, str(pid)], capture_output=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return (utime + stime + cutime + cstime) / CLK_TCK


def postgres_cpu() -> float:
    return sum(cpu_seconds(p) for p in postgres_pids())


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def stop_process(proc: subprocess.Popen | None) -> None:
    """Terminates a process this script started (killing it if it will not stop)."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


class Api:
    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def post(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        req = urllib.request.Request(
            self.url,
            data=body,
            headers={"Authorization": f"Bearer {token or self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as e:
            return json.load(e)

    def data(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        reply = self.post(query, variables, token)
        if reply.get("errors"):
            raise SystemExit(f"GraphQL errors: {json.dumps(reply['errors'])[:600]}\nquery: {query[:300]}")
        return reply["data"]


class Server:
    """The server under test, pinned to `cpus`, with its own log."""

    def __init__(self, binary: Path, database_url: str, secret: str, port: int, cpus: str, workdir: Path):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "NEIGHBOURHOOD_JWT_SECRET": secret,
            "RUST_LOG": "warn",
        }
        self.binary, self.port, self.cpus = binary, port, cpus
        self.log_path = workdir / f"server-{port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log_file = open(self.log_path, "w")
        # One token drives thousands of requests a second: the per-caller brakes, which stop a
        # person paging out records, are off, so that the benchmark measures the reads.
        cmd = ["taskset", "-c", self.cpus, str(self.binary), "serve", "--addr", f"127.0.0.1:{self.port}",
               "--graphiql", "false", "--db-max-connections", "8",
               "--rate-limit-requests-per-minute", "0", "--rate-limit-records-per-minute", "0"]
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=log_file, stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=1):
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                if self.proc.poll() is not None:
                    raise SystemExit(f"server exited: {self.log_path.read_text()[-2000:]}")
                time.sleep(0.2)
        raise SystemExit("server did not become ready")

    def token(self, *args: str) -> str:
        out = run([str(self.binary), "token", *args], env=self.env, capture_output=True, text=True)
        return out.stdout.strip()

    def metrics(self) -> dict[str, float]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as resp:
            text = resp.read().decode()
        values: dict[str, float] = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                try:
                    values[name] = float(value)
                except ValueError:
                    pass
        return values

    def graphql_errors(self) -> float:
        return sum(v for k, v in self.metrics().items() if k.startswith("graphql_responses_total") and 'outcome="error"' in k)

    def stop(self) -> None:
        stop_process(self.proc)


OHA_VERSION = "1.16.0"


def find_oha() -> str:
    """oha from PATH or ~/.cargo/bin when it is the pinned version, else `cargo install`ed there."""
    cargo_bin = Path.home() / ".cargo/bin/oha"
    for candidate in [shutil.which("oha"), str(cargo_bin)]:
        if candidate and Path(candidate).exists():
            version = subprocess.run([candidate, "--version"], capture_output=True, text=True).stdout
            if OHA_VERSION in version:
                return candidate
    log(f"installing oha {OHA_VERSION} (the load generator) from crates.io: a few minutes, once per machine")
    run(["cargo", "install", "oha", "--version", OHA_VERSION, "--locked", "--quiet", "--force"])
    return str(cargo_bin)


def oha(tool: str, url: str, token: str, bodies: Path, duration: float, concurrency: int, rate: float | None,
        cpus: str) -> dict:
    cmd = ["taskset", "-c", cpus, tool, "--no-tui", "--output-format", "json", "--worker-threads", "1", "-w",
           "-z", f"{duration}s", "-c", str(concurrency), "-m", "POST",
           "-H", f"Authorization: Bearer {token}", "-T", "application/json", "-Z", str(bodies), url]
    if rate:
        cmd[-1:-1] = ["-q", str(rate), "--latency-correction"]
    out = run(cmd, capture_output=True, text=True)
    return json.loads(out.stdout)


def status_counts(report: dict) -> tuple[int, int]:
    dist = report.get("statusCodeDistribution", {})
    ok = sum(int(n) for code, n in dist.items() if str(code).startswith("2"))
    bad = sum(int(n) for code, n in dist.items() if not str(code).startswith("2"))
    bad += sum(int(n) for n in report.get("errorDistribution", {}).values())
    return ok, bad


def latency_ms(report: dict, key: str) -> float | None:
    value = report.get("latencyPercentiles", {}).get(key)
    return None if value is None else value * 1000


def pg_statements(db: str = BENCH_DB) -> dict[str, tuple[int, int, int, float]]:
    """pg_stat_statements of one database, per statement text: (calls, rows, shared buffers touched,
    execution ms), without the harness's own monitoring queries."""
    out: dict[str, tuple[int, int, int, float]] = {}
    text = psql(
        db,
        "SELECT s.calls, s.rows, s.shared_blks_hit + s.shared_blks_read, s.total_exec_time, "
        "regexp_replace(s.query, '\\s+', ' ', 'g') FROM pg_stat_statements s "
        f"JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '{db}' "
        "AND s.query NOT ILIKE '%pg_stat%' AND s.query NOT ILIKE 'SHOW %'",
    )
    for line in text.splitlines():
        calls, rows, blocks, ms, query = line.split("|", 4)
        c, r, b, t = out.get(query, (0, 0, 0, 0.0))
        out[query] = (c + int(calls), r + int(rows), b + int(blocks), t + float(ms))
    return out


def pg_statement_totals(db: str = BENCH_DB) -> tuple[int, int]:
    """Statements and rows so far in one database (pg_stat_statements)."""
    stats = pg_statements(db).values()
    return sum(s[0] for s in stats), sum(s[1] for s in stats)


# --- data set-up ---------------------------------------------------------------------------------

def prepare_meetings(api: Api, count: int, size: int, analyze_db: str | None = None) -> list[str]:
    """Schedules `count` meetings and fills each agenda with the proposal for the cohort. On
    PostgreSQL (`analyze_db`), the database is analysed afterwards: the agendas are most of the
    agenda table, and the machines run PostgreSQL without autovacuum, so the planner would otherwise
    take each benchmark meeting for an empty one and plan its agenda again on every request. Then a
    checkpoint, so that the WAL and dirty pages of seeding and vacuuming (hundreds of megabytes) are
    written before the first scenario is timed, not under it: in one run the first scenario's p99
    was 148 ms, where the same binary on the same data gave 25-28 ms in alternating runs after."""
    me = api.data("{ me { neighbourhoods { id } } }")
    neighbourhood = me["me"]["neighbourhoods"][0]["id"]
    gp = api.data(
        "query($n: ID) { practitioners(first: 1, role: GP, neighbourhoodId: $n) { nodes { id } } }", {"n": neighbourhood}
    )["practitioners"]["nodes"][0]["id"]
    ids = []
    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=30)
    for n in range(count):
        at = start + dt.timedelta(days=14 * n)
        meeting = api.data(
            "mutation($input: ScheduleMdtMeetingInput!) { scheduleMdtMeeting(input: $input) { meeting { id } } }",
            {"input": {"neighbourhoodId": neighbourhood, "title": f"Benchmark MDT {n + 1}", "startsAt": at.isoformat(),
                       "endsAt": (at + dt.timedelta(hours=3)).isoformat(), "place": "Health centre", "chairId": gp}},
        )["scheduleMdtMeeting"]["meeting"]["id"]
        agenda = api.data(
            "mutation($input: AddProposedToMdtAgendaInput!) { addProposedToMdtAgenda(input: $input) { meeting { agenda { id } } } }",
            {"input": {"proposal": {"meetingId": meeting, "criteria": COHORT, "limit": size, "notDiscussedDays": 730},
                       "minutesEach": 5}},
        )["addProposedToMdtAgenda"]["meeting"]["agenda"]
        if len(agenda) != size:
            raise SystemExit(f"meeting {n} got {len(agenda)} people, wanted {size}")
        ids.append(meeting)
    if analyze_db:
        psql(analyze_db, "ANALYZE")
        psql(analyze_db, "CHECKPOINT")
    return ids


def variables_for(api: Api, tokens: dict[str, str], meetings: list[str], smoke: bool) -> dict[str, list[dict]]:
    """A fixed, deterministic set of variables per scenario, rotated across requests."""
    me = api.data("{ me { neighbourhoods { id } } }")
    neighbourhood = me["me"]["neighbourhoods"][0]["id"]
    practices = api.data(
        "query($n: ID) { organisations(first: 100, kind: GP_PRACTICE, neighbourhoodId: $n) { nodes { id } } }",
        {"n": neighbourhood},
    )["organisations"]["nodes"]
    people: list[str] = []
    after = None
    while len(people) < (100 if smoke else 500):
        page = api.data(
            "query($after: String) { patients(first: 100, after: $after, filter: { ageMin: 65 }) { pageInfo { endCursor hasNextPage } nodes { id } } }",
            {"after": after},
        )["patients"]
        people += [n["id"] for n in page["nodes"]]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    coordinator_me = api.data("{ me { practitioner { id } organisation { id } } }")["me"]
    coordinator_org, coordinator_id = coordinator_me["organisation"]["id"], coordinator_me["practitioner"]["id"]
    worker_me = api.data("{ me { practitioner { id } organisation { id } } }", token=tokens["link_worker"])["me"]
    org, worker_id = worker_me["organisation"]["id"], worker_me["practitioner"]["id"]
    workers = api.data(
        "query($o: ID) { practitioners(first: 100, role: SOCIAL_PRESCRIBING_LINK_WORKER, organisationId: $o) { nodes { id } } }",
        {"o": org},
        token=tokens["link_worker"],
    )["practitioners"]["nodes"]
    coordinator = {"callerOrganisationId": coordinator_org, "callerPractitionerId": coordinator_id}
    link_worker = {"callerOrganisationId": org, "callerPractitionerId": worker_id}
    return {
        # organisationId / practitionerId and caller*: the caller, for PostGraphile's filters that
        # stand for our access rules (our server ignores variables its documents do not declare).
        "mdt_preparation": [{"id": m, **coordinator} for m in meetings],
        "cohort_page": [{"practiceId": p["id"], "organisationId": coordinator_org} for p in practices],
        "patient_record": [{"id": p} for p in people],
        "caseload": [{"practitionerId": w["id"], **link_worker} for w in workers],
        "referral_inbox": [{"statuses": s, "organisationId": org, "practitionerId": worker_id} for s in INBOX_STATUSES],
    }


SCENARIO_TOKEN = {
    "mdt_preparation": "coordinator",
    "cohort_page": "coordinator",
    "patient_record": "coordinator",
    "caseload": "link_worker",
    "referral_inbox": "link_worker",
}


def write_bodies(workdir: Path, scenario: str, variables: list[dict], theirs: bool = False) -> Path:
    folder = ROOT / ("bench/postgraphile/queries" if theirs else "bench/scenarios")
    query = (folder / f"{scenario}.graphql").read_text()
    path = workdir / f"{scenario}{'-theirs' if theirs else ''}.jsonl"
    with open(path, "w") as f:
        for v in variables:
            f.write(json.dumps({"query": query, "variables": v}) + "\n")
    return path


def write_variables(workdir: Path, scenario: str, variables: list[dict]) -> Path:
    path = workdir / f"{scenario}-variables.jsonl"
    path.write_text("".join(json.dumps(v) + "\n" for v in variables))
    return path


def check_bodies(api: Api, scenario: str, variables: list[dict], token: str) -> tuple[int, int]:
    """Sends every variable set once: none may fail. Returns (mean response bytes, items)."""
    query = (ROOT / "bench/scenarios" / f"{scenario}.graphql").read_text()
    sizes = []
    for v in variables:
        reply = api.post(query, v, token=token)
        if reply.get("errors") or not reply.get("data"):
            raise SystemExit(f"{scenario} {v}: {json.dumps(reply)[:600]}")
        sizes.append(len(json.dumps(reply, separators=(",", ":"))))
    return int(statistics.mean(sizes)), len(variables)


# --- the write path ------------------------------------------------------------------------------

CREATE = """mutation Create($input: CreateReferralInput!) { createReferral(input: $input) { referral { id } } }"""
MOVE = """mutation Move($id: ID!) { moveReferral(input: { referralId: $id, to: AWAITING_CONTACT }) { referral { id status } } }"""


def write_path(port: int, referrer: str, link_worker: str, provider: str, patients: list[str], run_id: str,
               duration: float, concurrency: int) -> dict:
    """Creates a referral (the INT coordinator refers: a GP reaches only its own practice's people)
    and moves it to AWAITING_CONTACT (the link worker, who reaches the person through it), as fast
    as `concurrency` clients can, for `duration` seconds or until the people run out. Returns
    acknowledged counts and timings."""
    deadline = time.monotonic() + duration
    queue = list(patients)
    acknowledged = {"created": 0, "moved": 0, "errors": 0}
    latencies: list[float] = []

    def worker(slice_: list[str]) -> tuple[int, int, int, list[float]]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        created = moved = errors = 0
        lat: list[float] = []

        def post(token: str, query: str, variables: dict) -> dict:
            conn.request("POST", "/graphql", json.dumps({"query": query, "variables": variables}),
                         {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            resp = conn.getresponse()
            body = resp.read()
            return json.loads(body) if resp.status == 200 else {"errors": [{"status": resp.status}]}

        for patient in slice_:
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            reply = post(referrer, CREATE, {"input": {"patientId": patient, "source": "OTHER_PRACTICE_STAFF", "service": "SOCIAL_PRESCRIBING",
                                                "receivingOrganisationId": provider, "consentGiven": True,
                                                "needs": [{"need": "LONELINESS_OR_ISOLATION"}],
                                                "context": f"bench {run_id}"}})
            if reply.get("errors"):
                errors += 1
                continue
            created += 1
            referral = reply["data"]["createReferral"]["referral"]["id"]
            reply = post(link_worker, MOVE, {"id": referral})
            if reply.get("errors") or reply["data"]["moveReferral"]["referral"]["status"] != "AWAITING_CONTACT":
                errors += 1
                continue
            moved += 1
            lat.append(time.perf_counter() - started)
        conn.close()
        return created, moved, errors, lat

    slices = [queue[i::concurrency] for i in range(concurrency)]
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        for created, moved, errors, lat in pool.map(worker, slices):
            acknowledged["created"] += created
            acknowledged["moved"] += moved
            acknowledged["errors"] += errors
            latencies += lat
    elapsed = time.monotonic() - started
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else None
    return {**acknowledged, "seconds": elapsed, "pairs_per_second": acknowledged["moved"] / elapsed if elapsed else 0,
            "p50_ms": pick(0.5), "p99_ms": pick(0.99)}


def fresh_patients_for_writes(api: Api, count: int, referrer: str, link_worker: str, provider: str) -> list[str]:
    """People the referrer (the INT coordinator, who reaches the neighbourhood's population) sees
    without an open social prescribing referral (one open referral per person and service). A
    person's `referrals` list holds only the referrals its reader is a party to, so the open ones
    come from the provider's inbox (it receives every social prescribing referral): a coordinator's
    list alone misses those other organisations made (13 CONFLICTs in 10,525 creates, when it was
    used)."""
    open_now: set[str] = set()
    after = None
    while True:
        page = api.data(
            "query($after: String, $o: ID) { referrals(first: 100, after: $after, filter: { receivingOrganisationId: $o, service: SOCIAL_PRESCRIBING, statuses: [RECEIVED, AWAITING_CONTACT, CONTACTED, ACTIVE] }) { pageInfo { endCursor hasNextPage } nodes { patient { id } } } }",
            {"after": after, "o": provider},
            token=link_worker,
        )["referrals"]
        open_now |= {n["patient"]["id"] for n in page["nodes"]}
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    ids: list[str] = []
    after = None
    while len(ids) < count:
        page = api.data(
            "query($after: String) { patients(first: 100, after: $after, filter: { ageMax: 60 }) { pageInfo { endCursor hasNextPage } nodes { id } } }",
            {"after": after},
            token=referrer,
        )["patients"]
        ids += [n["id"] for n in page["nodes"] if n["id"] not in open_now]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    return ids[:count]


# --- one backend ---------------------------------------------------------------------------------

def bench_backend(backend: str, args, binary: Path, tool: str, workdir: Path) -> dict:
    secret = secrets.token_hex(32)
    if backend == "postgres":
        ensure_pg_stat_statements()
        psql("postgres", f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        psql("postgres", f"CREATE DATABASE {BENCH_DB}")
        psql(BENCH_DB, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        url = SERVER_DB_URL
    else:
        url = f"sqlite://{workdir}/bench.db?mode=rwc"
    env = {**os.environ, "DATABASE_URL": url, "NEIGHBOURHOOD_JWT_SECRET": secret}
    log(f"{backend}: seeding {args.population} people")
    run([str(binary), "migrate"], env=env, capture_output=True)
    run([str(binary), "seed-demo", "--population", str(args.population), "--seed", "2026"], env=env, capture_output=True)
    if backend == "postgres":
        # Fresh tables have no statistics and no visibility map yet (autovacuum would get there in a
        # while); both servers get the same vacuumed and analysed database.
        psql(BENCH_DB, "VACUUM ANALYZE")
        if args.postgraphile:
            run(["psql", f"{PG_SERVER}/{BENCH_DB}", "-qX", "-v", "ON_ERROR_STOP=1", "-f",
                 str(ROOT / "bench/postgraphile/setup.sql")], capture_output=True)

    server = Server(binary, url, secret, args.port, args.server_cpus, workdir)
    server.start()
    try:
        if backend == "postgres":
            pin(postgres_pids(), args.load_cpus)
        tokens = {
            "coordinator": server.token("--role", "coordinator", "--ttl-minutes", "600"),
            "link_worker": server.token("--role", "link-worker", "--ttl-minutes", "600"),
        }
        api = Api(f"http://127.0.0.1:{args.port}/graphql", tokens["coordinator"])
        log(f"{backend}: scheduling {args.meetings} MDT meetings of {args.agenda} people")
        meetings = prepare_meetings(api, args.meetings, args.agenda, BENCH_DB if backend == "postgres" else None)
        variables = variables_for(api, tokens, meetings, args.smoke)
        results: dict[str, dict] = {}
        for scenario in READ_SCENARIOS:
            token = tokens[SCENARIO_TOKEN[scenario]]
            bytes_per_response, distinct = check_bodies(api, scenario, variables[scenario], token)
            bodies = write_bodies(workdir, scenario, variables[scenario])
            errors_before = server.graphql_errors()
            stmts_before = pg_statement_totals() if backend == "postgres" else (0, 0)
            server_cpu_before, db_cpu_before = cpu_seconds(server.proc.pid), postgres_cpu() if backend == "postgres" else 0.0
            closed = oha(tool, api.url, token, bodies, args.duration, args.concurrency, None, args.load_cpus)
            closed_ok, closed_bad = status_counts(closed)
            rps = closed["summary"]["requestsPerSec"]
            rate = max(1.0, round(rps * args.rate_fraction, 1))
            opened = oha(tool, api.url, token, bodies, args.duration, args.concurrency, rate, args.load_cpus)
            open_ok, open_bad = status_counts(opened)
            requests = closed_ok + closed_bad + open_ok + open_bad
            stmts_after = pg_statement_totals() if backend == "postgres" else (0, 0)
            server_cpu = cpu_seconds(server.proc.pid) - server_cpu_before
            db_cpu = (postgres_cpu() - db_cpu_before) if backend == "postgres" else None
            graphql_errors = server.graphql_errors() - errors_before
            results[scenario] = {
                "distinct_variables": distinct,
                "concurrency": args.concurrency,
                "requests_per_second": rps,
                "fixed_rate": rate,
                "p50_ms": latency_ms(opened, "p50"),
                "p99_ms": latency_ms(opened, "p99"),
                "p99_9_ms": latency_ms(opened, "p99.9"),
                "non_2xx": closed_bad + open_bad,
                "graphql_errors": graphql_errors,
                "requests": requests,
                "statements_per_request": (stmts_after[0] - stmts_before[0]) / requests if backend == "postgres" and requests else None,
                "rows_per_request": (stmts_after[1] - stmts_before[1]) / requests if backend == "postgres" and requests else None,
                "server_cpu_ms_per_request": 1000 * server_cpu / requests if requests else None,
                "db_cpu_ms_per_request": 1000 * db_cpu / requests if db_cpu is not None and requests else None,
                "response_bytes": bytes_per_response,
            }
            log(f"{backend} {scenario}: {rps:.0f} req/s, p99 {results[scenario]['p99_ms']:.1f} ms at {rate} req/s, "
                f"errors {closed_bad + open_bad}+{graphql_errors:.0f}")
        if backend == "postgres" and args.postgraphile:
            results["side_by_side"] = side_by_side(args, api, tokens, variables, workdir, tool)
        if backend == "postgres":
            results["floor"] = floor(args, variables)
        # The write path.
        provider = api.data("{ me { organisation { id } } }", token=tokens["link_worker"])["me"]["organisation"]["id"]
        people = fresh_patients_for_writes(api, 300 if args.smoke else 20_000, tokens["coordinator"],
                                           tokens["link_worker"], provider)
        errors_before = server.graphql_errors()
        run_id = secrets.token_hex(4)
        writes = write_path(args.port, tokens["coordinator"], tokens["link_worker"], provider, people, run_id,
                            args.duration, args.concurrency)
        in_db = count_bench_referrals(backend, url, run_id)
        writes.update({"in_database_created": in_db[0], "in_database_awaiting_contact": in_db[1],
                       "graphql_errors": server.graphql_errors() - errors_before,
                       "nothing_lost": in_db[0] == writes["created"] and in_db[1] == writes["moved"]})
        results["write_referral"] = writes
        log(f"{backend} write: {writes['pairs_per_second']:.0f} create+move pairs/s, nothing lost: {writes['nothing_lost']}")
        return {"backend": backend, "scenarios": results, "server_peak_rss_mib": peak_rss_mib(server.proc.pid)}
    finally:
        server.stop()
        if backend == "postgres":
            pin(postgres_pids(), "0-" + str(os.cpu_count() - 1))
            if not args.keep_database:
                psql("postgres", f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


class PostGraphile:
    """PostGraphile v5 on the same database, pinned like our server (bench/postgraphile/serve.sh)."""

    def __init__(self, port: int, cpus: str, workdir: Path):
        self.port, self.cpus = port, cpus
        self.url = f"http://127.0.0.1:{port}/graphql"
        self.log_path = workdir / "postgraphile.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            ["bash", str(ROOT / "bench/postgraphile/serve.sh"), SERVER_DB_URL, str(self.port), self.cpus],
            stdout=log_file, stderr=subprocess.STDOUT)
        probe = json.dumps({"query": "{ __typename }"}).encode()
        for _ in range(600):
            try:
                req = urllib.request.Request(self.url, data=probe, headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=1):
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                if self.proc.poll() is not None:
                    raise SystemExit(f"PostGraphile exited: {self.log_path.read_text()[-2000:]}")
                time.sleep(0.5)
        raise SystemExit("PostGraphile did not become ready")

    def rss_mib(self) -> float:
        return peak_rss_mib(self.proc.pid) if self.proc else 0.0

    def stop(self) -> None:
        stop_process(self.proc)


def side_by_side(args, api: Api, tokens: dict[str, str], variables: dict[str, list[dict]], workdir: Path,
                 tool: str) -> dict:
    """Checks that PostGraphile answers every scenario with the same data, then alternates closed-loop
    runs (ours, theirs, ours, theirs …) so that drift cancels out; ratios are ours / theirs."""
    theirs = PostGraphile(args.port + 1, args.server_cpus, workdir)
    theirs.start()
    try:
        out: dict[str, dict] = {}
        for scenario in READ_SCENARIOS:
            token = tokens[SCENARIO_TOKEN[scenario]]
            checked = subprocess.run(
                [sys.executable, str(ROOT / "bench/postgraphile/compare.py"), "--ours", api.url, "--token", token,
                 "--theirs", theirs.url, "--scenario", scenario,
                 "--variables", str(write_variables(workdir, scenario, variables[scenario]))],
                capture_output=True, text=True)
            if checked.returncode != 0:
                raise SystemExit(f"{scenario}: PostGraphile's answer differs from ours\n{checked.stdout[-3000:]}{checked.stderr[-2000:]}")
            ours_bodies = write_bodies(workdir, scenario, variables[scenario])
            their_bodies = write_bodies(workdir, scenario, variables[scenario], theirs=True)
            ours_rps, their_rps, their_stmts = [], [], []
            for _ in range(args.repetitions):
                report_ours = oha(tool, api.url, token, ours_bodies, args.side_duration, args.concurrency, None, args.load_cpus)
                ok, bad = status_counts(report_ours)
                if bad:
                    raise SystemExit(f"ours {scenario}: {bad} failed requests")
                ours_rps.append(report_ours["summary"]["requestsPerSec"])
                before = pg_statement_totals()
                report_theirs = oha(tool, theirs.url, token, their_bodies, args.side_duration, args.concurrency, None,
                                    args.load_cpus)
                ok, bad = status_counts(report_theirs)
                if bad:
                    raise SystemExit(f"PostGraphile {scenario}: {bad} failed requests")
                their_rps.append(report_theirs["summary"]["requestsPerSec"])
                after = pg_statement_totals()
                their_stmts.append((after[0] - before[0]) / max(1, ok))
            ratios = sorted(o / t for o, t in zip(ours_rps, their_rps))
            out[scenario] = {
                "equal_data": True,
                "ours_rps": statistics.median(ours_rps),
                "theirs_rps": statistics.median(their_rps),
                "ratio_median": statistics.median(ratios),
                "ratio_min": ratios[0],
                "ratio_max": ratios[-1],
                "theirs_statements_per_request": statistics.median(their_stmts),
            }
            log(f"side by side {scenario}: ours/PostGraphile = {out[scenario]['ratio_median']:.2f} "
                f"({ratios[0]:.2f}–{ratios[-1]:.2f})")
        out["postgraphile_peak_rss_mib"] = theirs.rss_mib()
        return out
    finally:
        theirs.stop()


def floor(args, variables: dict[str, list[dict]]) -> dict:
    """The same data through hand-written SQL with pgbench (prepared statements), under the same
    pinning: batched the way our loaders batch, and as one statement building the JSON answer."""
    psql(BENCH_DB, "DROP TABLE IF EXISTS bench_var")
    psql(BENCH_DB, "CREATE TABLE bench_var (scenario text, n int, v1 uuid, v3 text, PRIMARY KEY (scenario, n))")
    key = {"mdt_preparation": "id", "patient_record": "id", "cohort_page": "practiceId",
           "caseload": "practitionerId", "referral_inbox": "organisationId"}
    rows = []
    for scenario, sets in variables.items():
        for n, v in enumerate(sets, start=1):
            statuses = "'{" + ",".join(x.lower() for x in v["statuses"]) + "}'" if "statuses" in v else "NULL"
            rows.append(f"('{scenario}', {n}, '{v[key[scenario]]}', {statuses})")
    psql(BENCH_DB, "INSERT INTO bench_var VALUES " + ",".join(rows))
    psql(BENCH_DB, "ANALYZE bench_var")
    out: dict[str, dict] = {}
    for scenario in READ_SCENARIOS:
        out[scenario] = {}
        for form in ("batched", "json"):
            script = ROOT / "bench/floor" / f"{scenario}_{form}.sql"
            result = subprocess.run(
                ["taskset", "-c", args.load_cpus, "pgbench", "-n", "-M", "prepared", "-c", str(args.concurrency), "-j", "1",
                 "-T", str(max(1, int(args.duration))), "-D", f"count={len(variables[scenario])}", "-f", str(script),
                 SERVER_DB_URL],
                capture_output=True, text=True)
            tps = next((float(line.split("=")[1].split()[0]) for line in result.stdout.splitlines()
                        if line.startswith("tps =")), None)
            failed = next((line for line in result.stdout.splitlines() if "failed" in line and not line.strip().endswith(" 0 (0.000%)")), None)
            if result.returncode != 0 or tps is None or failed:
                raise SystemExit(f"pgbench {script.name} failed: {result.stdout[-1500:]}{result.stderr[-1500:]}")
            out[scenario][form] = tps
        log(f"floor {scenario}: batched {out[scenario]['batched']:.0f} tps, one JSON statement {out[scenario]['json']:.0f} tps")
    return out


def count_bench_referrals(backend: str, url: str, run_id: str) -> tuple[int, int]:
    sql = (f"SELECT count(*), sum(CASE WHEN status = 'awaiting_contact' THEN 1 ELSE 0 END) FROM referral "
           f"WHERE context = 'bench {run_id}'")
    if backend == "postgres":
        created, waiting = psql(BENCH_DB, sql).split("|")
    else:
        import sqlite3

        path = url.removeprefix("sqlite://").split("?")[0]
        created, waiting = sqlite3.connect(path).execute(sql).fetchone()
    return int(created), int(waiting or 0)


# --- the report ----------------------------------------------------------------------------------

def fmt(value, digits=1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def current_commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()


def add_common_arguments(parser: argparse.ArgumentParser, duration: float, port: int) -> None:
    """Options every load script here takes, with the same meaning."""
    parser.add_argument("--meetings", type=int, default=20)
    parser.add_argument("--agenda", type=int, default=30)
    parser.add_argument("--duration", type=float, default=duration)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate-fraction", type=float, default=0.5)
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--server-cpus", default="0")
    parser.add_argument("--load-cpus", default="1")
    parser.add_argument("--binary", help="use this server binary instead of building the release one")
    parser.add_argument("--out", default=str(ROOT / "bench/results"))


def apply_common_arguments(args) -> tuple[Path, str]:
    """Applies the common options once parsed: on a one-core machine server and load share core 0;
    returns the binary to serve with (`--binary`, else a fresh release build) and the report's name
    for it."""
    if os.cpu_count() == 1:
        args.server_cpus = args.load_cpus = "0"
    if args.binary:
        binary = Path(args.binary)
        resolved = binary.resolve()
        return binary, str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(binary)
    log("building the release binary")
    run(["cargo", "build", "--release", "--quiet", "--bin", "neighbourhood"], cwd=ROOT)
    return ROOT / "target/release/neighbourhood", "target/release/neighbourhood"


def report(runs: list[dict], args, out: Path) -> None:
    commit = current_commit()
    meta = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "cores": os.cpu_count(),
        "population": args.population,
        "duration_s": args.duration,
        "concurrency": args.concurrency,
        "rate_fraction": args.rate_fraction,
        "server_cpus": args.server_cpus,
        "load_cpus": args.load_cpus,
        "smoke": args.smoke,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "api.json").write_text(json.dumps({"meta": meta, "runs": runs}, indent=2) + "\n")
    lines = [
        "# API benchmark",
        "",
        f"{meta['date']}, commit {commit}, {meta['cores']} cores, {'SMOKE RUN (numbers mean nothing), ' if args.smoke else ''}"
        f"binary `{args.binary_label}`, demo of {args.population:,} people "
        f"plus {args.meetings} MDT meetings of {args.agenda}. Server pinned to CPU {args.server_cpus} "
        f"(`taskset`; one tokio worker per pinned core); PostgreSQL and the load generator (oha) on CPU {args.load_cpus}. "
        "Every client of PostgreSQL (our server, PostGraphile, pgbench) connects over loopback TCP without TLS. "
        f"Closed loop: {args.concurrency} connections for {args.duration:g} s. Open loop: {args.rate_fraction:.0%} of the "
        "closed-loop rate for the same time, with oha's latency correction. Variables rotate over a fixed set "
        "(oha picks a body at random per request).",
        "",
    ]
    for r in runs:
        lines += [f"## {r['backend']}", "", f"Server peak RSS: {r['server_peak_rss_mib']:.0f} MiB.", "",
                  "| scenario | req/s | rate | p50 ms | p99 ms | p99.9 ms | errors | SQL stmts/req | rows/req | server CPU ms/req | DB CPU ms/req | bytes |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for name in READ_SCENARIOS:
            s = r["scenarios"][name]
            lines.append(
                f"| {name} | {s['requests_per_second']:.0f} | {s['fixed_rate']:g} | {fmt(s['p50_ms'])} | {fmt(s['p99_ms'])} | "
                f"{fmt(s['p99_9_ms'])} | {s['non_2xx']}+{s['graphql_errors']:.0f} | {fmt(s['statements_per_request'])} | "
                f"{fmt(s['rows_per_request'])} | {fmt(s['server_cpu_ms_per_request'], 2)} | {fmt(s['db_cpu_ms_per_request'], 2)} | "
                f"{s['response_bytes']:,} |"
            )
        w = r["scenarios"]["write_referral"]
        lines += ["", f"Write path (create a referral, move it to AWAITING_CONTACT; {args.concurrency} clients): "
                      f"{w['pairs_per_second']:.0f} pairs/s, p50 {fmt(w['p50_ms'])} ms, p99 {fmt(w['p99_ms'])} ms per pair; "
                      f"acknowledged {w['created']} created / {w['moved']} moved, in the database {w['in_database_created']} / "
                      f"{w['in_database_awaiting_contact']}: {'nothing lost' if w['nothing_lost'] else 'MISMATCH'}; "
                      f"errors {w['errors']}.", ""]
    pg = next((r for r in runs if r["backend"] == "postgres"), None)
    side = pg["scenarios"].get("side_by_side") if pg else None
    if side:
        lines += ["## Side by side with PostGraphile v5 (PostgreSQL)", "",
                  f"Same database and data; PostGraphile 5.1.5 on Node 22 pinned to CPU {args.server_cpus} like ours "
                  f"(bench/postgraphile). Every variable set was first checked to return the same data (normalised "
                  f"JSON, bench/postgraphile/compare.py). Then {args.repetitions} alternating closed-loop runs of "
                  f"{args.side_duration:g} s each (ours, theirs, ours, theirs …); the ratio is ours / theirs per pair.", "",
                  "| scenario | ours req/s | PostGraphile req/s | ratio median | min–max | PostGraphile SQL stmts/req |",
                  "|---|---|---|---|---|---|"]
        for name in READ_SCENARIOS:
            x = side[name]
            lines.append(f"| {name} | {x['ours_rps']:.0f} | {x['theirs_rps']:.0f} | {x['ratio_median']:.2f} | "
                         f"{x['ratio_min']:.2f}–{x['ratio_max']:.2f} | {x['theirs_statements_per_request']:.1f} |")
        lines += ["", f"PostGraphile peak RSS: {side['postgraphile_peak_rss_mib']:.0f} MiB.", ""]
    fl = pg["scenarios"].get("floor") if pg else None
    if fl:
        lines += ["## The floor: hand-written SQL (PostgreSQL, pgbench)", "",
                  f"The same data through prepared hand-written SQL (`bench/floor/`), {args.concurrency} pgbench clients "
                  f"on CPU {args.load_cpus} with PostgreSQL, {max(1, int(args.duration))} s each. \"Batched\" fetches one "
                  "relationship per statement for the whole list, as our loaders do; \"JSON\" is one statement that "
                  "builds the answer. Neither authenticates, checks access, writes the audit row or serialises GraphQL, "
                  "which our server does on every request.", "",
                  "| scenario | ours req/s | batched tps | ours / batched | one JSON statement tps | ours / JSON |",
                  "|---|---|---|---|---|---|"]
        for name in READ_SCENARIOS:
            ours = pg["scenarios"][name]["requests_per_second"]
            b, j = fl[name]["batched"], fl[name]["json"]
            lines.append(f"| {name} | {ours:.0f} | {b:.0f} | {ours / b:.0%} | {j:.0f} | {ours / j:.0%} |")
        lines.append("")
    if pg:
        s = pg["scenarios"]["mdt_preparation"]
        worst_p99 = max(pg["scenarios"][n]["p99_ms"] or 0 for n in READ_SCENARIOS)
        rss = max(r["server_peak_rss_mib"] for r in runs)
        targets = [
            ("p99 under 50 ms at the fixed rate (every read scenario, PostgreSQL)", worst_p99 < 50, f"worst {worst_p99:.1f} ms"),
            ("SQL statements per MDT preparation request at most 15", (s["statements_per_request"] or 99) <= 15,
             f"{fmt(s['statements_per_request'])}"),
            ("server RSS under 150 MB", rss < 150, f"{rss:.0f} MiB"),
            ("every acknowledged write is in the database", all(r["scenarios"]["write_referral"]["nothing_lost"] for r in runs), ""),
            *([("MDT preparation throughput at least 1.5× PostGraphile's", side["mdt_preparation"]["ratio_median"] >= 1.5,
                f"{side['mdt_preparation']['ratio_median']:.2f}×"),
               ("no scenario slower than PostGraphile", all(side[n]["ratio_median"] >= 1.0 for n in READ_SCENARIOS),
                ", ".join(f"{n} {side[n]['ratio_median']:.2f}×" for n in READ_SCENARIOS))] if side else []),
            *([("MDT preparation at least 60% of the batched hand-written SQL floor",
                 s["requests_per_second"] / fl["mdt_preparation"]["batched"] >= 0.6,
                 f"{s['requests_per_second'] / fl['mdt_preparation']['batched']:.0%}")] if fl else []),
            ("no errors", all(r["scenarios"][n]["non_2xx"] == 0 and r["scenarios"][n]["graphql_errors"] == 0
                              for r in runs for n in READ_SCENARIOS), ""),
        ]
        lines += ["## Targets", "", "| target | met | measured |", "|---|---|---|"]
        lines += [f"| {t} | {'yes' if ok else '**no**'} | {m} |" for t, ok, m in targets]
        lines.append("")
    (out / "api.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="seconds, not minutes: a small demo, short runs, results in a temporary folder")
    parser.add_argument("--backends", default="postgres,sqlite")
    parser.add_argument("--population", type=int, default=50_000)
    add_common_arguments(parser, duration=20.0, port=18090)
    parser.add_argument("--no-postgraphile", dest="postgraphile", action="store_false",
                        help="skip the side-by-side runs against PostGraphile v5")
    parser.add_argument("--repetitions", type=int, default=5, help="alternating pairs of runs per scenario")
    parser.add_argument("--side-duration", type=float, default=8.0)
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.population, args.meetings, args.agenda, args.duration = 3_000, 3, 5, 1.0
        args.repetitions, args.side_duration = 1, 1.0
    binary, args.binary_label = apply_common_arguments(args)
    tool = find_oha()
    with tempfile.TemporaryDirectory(prefix="nbh-bench-") as tmp:
        workdir = Path(tmp)
        runs = [bench_backend(b, args, binary, tool, workdir) for b in args.backends.split(",")]
        out = workdir / "results" if args.smoke else Path(args.out)
        report(runs, args, out)
        failures = [
            f"{r['backend']} {n}" for r in runs for n in READ_SCENARIOS
            if r["scenarios"][n]["non_2xx"] or r["scenarios"][n]["graphql_errors"]
        ] + [f"{r['backend']} writes" for r in runs if not r["scenarios"]["write_referral"]["nothing_lost"]
             or r["scenarios"]["write_referral"]["errors"]]
        if failures:
            raise SystemExit(f"errors in: {', '.join(failures)}")


if __name__ == "__main__":
    main()
