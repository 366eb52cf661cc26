#!/usr/bin/env python3
"""Benchmark: `neighbourhood import register` of a practice register of 50,000 and 500,000 rows, on
the embedded SQLite file and on PostgreSQL, release build. Target (issue 27): a 50,000-person
register in seconds on both databases, in bounded memory (the peak RSS must not grow with the file).

For each backend and size: a fresh database, migrated and seeded with a small demo (its practices
and staff), then the same generated register imported three times as one of the practice's GPs:
the first run registers everyone (with conditions and eFI scores), the second finds every row
unchanged, the third (a file where every tenth person moved house) updates a tenth. Each run is
timed wall-clock with its peak RSS (`/usr/bin/time`), and its last line is checked for the counts
the run must report. Writes bench/results/import.md and bench/results/import.json.

    python3 bench/import.py                        # 50,000 and 500,000 rows, both databases
    python3 bench/import.py --rows 50000 --backends sqlite
    python3 bench/import.py --smoke --binary target/debug/neighbourhood   # CI: 2,000 rows, no report
"""

import argparse
import datetime
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("PG_SERVER", "postgres://postgres@127.0.0.1:5432")
DB = "nbh_bench_import"

GIVEN = ["Margaret", "Stanley", "Irene", "Devinder", "Joan", "Aisha", "Tom", "Grace", "Arthur", "Nkechi",
         "Harold", "Priya", "Eileen", "Wojciech", "Doreen", "Kwame", "Sylvia", "Ravi", "Brenda", "Leonard"]
FAMILY = ["Hollins", "Oyelaran", "Walsh", "Sandhu", "Fairbairn", "Patel", "Reid", "Okafor", "Bennett",
          "Nowak", "Clarke", "Hussain", "Whitworth", "Mensah", "Taylor", "Kaur", "Shaw", "Lambert"]
# Codes from the product's catalogue (domain/data/ltc-conditions.csv), not the sensitive ones.
CONDITIONS = ["38341003", "44054006", "195967001", "13645005", "53741008", "84114007", "49436004",
              "230690007", "433144002", "52448006", "64859006", "69896004"]
HEADER = ("nhs_number,given_name,family_name,date_of_birth,sex,postcode,deprivation_decile,lives_alone,"
          "is_carer,hearing_impairment,visual_impairment,interpreter_language,conditions,efi_score,efi_calculated_on")


def log(message: str) -> None:
    print(f"[import] {message}", file=sys.stderr, flush=True)


def check_digit(stem: int):
    digits = [int(c) for c in f"{stem:09d}"]
    remainder = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1))) % 11
    return {11: 0, 10: None}.get(remainder, remainder)


# The demo generator takes the test range's stems in the order j * STEP mod 10^6 (demo/src/lib.rs);
# the register skips those the demo's first people hold.
STEM_STEP = 611_953
DEMO_STEMS = {999_000_000 + (j * STEM_STEP) % 1_000_000 for j in range(5_000)}


def nhs_numbers(count: int):
    """Valid numbers from the range NHS England never issues, from the end of the range backwards,
    none of them a demo person's."""
    stem = 999_999_999
    while count:
        stem -= 1
        digit = check_digit(stem)
        if digit is not None and stem not in DEMO_STEMS:
            count -= 1
            yield f"{stem}{digit}"


def write_register(path: Path, rows: int, moved_every: int = 0) -> None:
    """A register of `rows` people; with `moved_every`, every n-th person has a new postcode."""
    rng = random.Random(2026)
    today = datetime.date(2026, 11, 25)
    with path.open("w") as out:
        out.write(HEADER + "\n")
        for i, number in enumerate(nhs_numbers(rows)):
            born = today - datetime.timedelta(days=rng.randrange(18 * 365, 100 * 365))
            area, sector = rng.randrange(1, 20), rng.randrange(1, 10)
            unit = "ABDEFGHJLNPQRSTUWXYZ"
            inward = f"{rng.choice(unit)}{rng.choice(unit)}"
            postcode = f"NG{area} {sector}{inward}"
            if moved_every and i % moved_every == 0:
                postcode = f"NG{area} {(sector % 9) + 1}{inward}"
            conditions = ";".join(rng.sample(CONDITIONS, rng.choice([0, 0, 1, 1, 2, 3])))
            frail = rng.random() < 0.4
            efi = f"{rng.randrange(0, 20) / 36:.4f}" if frail else ""
            efi_on = (today - datetime.timedelta(days=rng.randrange(1, 400))).isoformat() if frail else ""
            yes = lambda p: "yes" if rng.random() < p else "no"  # noqa: E731
            out.write(",".join([
                number, rng.choice(GIVEN), rng.choice(FAMILY), born.isoformat(), rng.choice(["female", "male"]),
                postcode, str(rng.randrange(1, 11)), yes(0.3), yes(0.1), yes(0.15), yes(0.05),
                rng.choice(["", "", "", "", "", "", "", "", "Polish", "Punjabi"]), conditions, efi, efi_on,
            ]) + "\n")


def psql(database: str, sql: str) -> str:
    return subprocess.run(["psql", f"{PG_SERVER}/{database}", "-qAtX", "-c", sql], check=True,
                          capture_output=True, text=True, env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"}
                          ).stdout.strip()


def fresh_database(backend: str, workdir: Path, binary: Path) -> tuple:
    if backend == "postgres":
        psql("postgres", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        psql("postgres", f"CREATE DATABASE {DB}")
        url = f"{PG_SERVER}/{DB}"
    else:
        path = workdir / "import.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite://{path}?mode=rwc"
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([str(binary), "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([str(binary), "seed-demo", "--population", "300", "--seed", "2026"], env=env, check=True,
                   capture_output=True)
    query = ("SELECT p.identity_subject FROM practitioner p JOIN organisation o ON o.id = p.organisation_id "
             "WHERE p.professional_role = 'gp' AND o.kind = 'gp_practice' AND p.identity_subject IS NOT NULL "
             "ORDER BY o.ods_code, p.identity_subject LIMIT 1")
    if backend == "postgres":
        subject = psql(DB, query)
    else:
        with sqlite3.connect(workdir / "import.db") as db:
            subject = db.execute(query).fetchone()[0]
    return env, subject


def timed_import(binary: Path, env: dict, path: Path, subject: str, workdir: Path, expect: str) -> dict:
    report = workdir / "report.txt"
    started = time.monotonic()
    with report.open("w") as out:
        done = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", str(workdir / "time"), str(binary), "import",
                               "register", str(path), "--as", subject], env=env, stdout=out,
                              stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - started
    last = subprocess.run(["tail", "-n", "1", str(report)], capture_output=True, text=True).stdout.strip()
    if done.returncode != 0 or expect not in last:
        raise SystemExit(f"the import did not report {expect!r}: {last}\n{done.stderr[-2000:]}")
    seconds, rss_kib = (workdir / "time").read_text().split()[-2:]
    return {"seconds": float(seconds), "wall": round(wall, 2), "peak_rss_mib": round(int(rss_kib) / 1024, 1),
            "report": last}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[50_000, 500_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("--binary", type=Path, help="a built binary (default: build the release one)")
    parser.add_argument("--smoke", action="store_true", help="2,000 rows, no report written (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.rows = [2_000]
    binary = args.binary
    if binary is None:
        log("building the release binary")
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binary = ROOT / "target/release/neighbourhood"
    binary = binary.resolve()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for rows in args.rows:
            register, moved = workdir / f"register-{rows}.csv", workdir / f"moved-{rows}.csv"
            log(f"writing a register of {rows:,} rows")
            write_register(register, rows)
            write_register(moved, rows, moved_every=10)
            for backend in args.backends:
                env, subject = fresh_database(backend, workdir, binary)
                runs = {}
                for name, path, expect in [
                    ("first import (every row registered)", register, f"{rows} rows: {rows} create, 0 update, 0 unchanged, 0 refused; stored"),
                    ("the same file again (every row unchanged)", register, f"{rows} rows: 0 create, 0 update, {rows} unchanged, 0 refused; stored"),
                    ("a tenth moved house (a tenth updated)", moved, f"{rows} rows: 0 create, {(rows + 9) // 10} update, {rows - (rows + 9) // 10} unchanged, 0 refused; stored"),
                ]:
                    log(f"{backend}, {rows:,} rows: {name}")
                    run = timed_import(binary, env, path, subject, workdir, expect)
                    run["rows_per_second"] = round(rows / run["seconds"]) if run["seconds"] else None
                    runs[name] = run
                    log(f"  {run['seconds']} s, {run['rows_per_second']} rows/s, peak RSS {run['peak_rss_mib']} MiB")
                results.append({"backend": backend, "rows": rows, "runs": runs})
        if args.backends and "postgres" in args.backends:
            psql("postgres", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    if args.smoke:
        log("smoke run: every import reported what it had to")
        return
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    meta = {"commit": commit, "date": datetime.date.today().isoformat(), "cores": os.cpu_count()}
    (ROOT / "bench/results").mkdir(exist_ok=True)
    (ROOT / "bench/results/import.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    lines = ["| backend | rows | run | seconds | rows per second | peak RSS (MiB) |", "|---|---|---|---|---|---|"]
    for result in results:
        for name, run in result["runs"].items():
            lines.append(f"| {result['backend']} | {result['rows']:,} | {name} | {run['seconds']} | "
                         f"{run['rows_per_second']:,} | {run['peak_rss_mib']} |")
    table = "\n".join(lines)
    print(table)
    (ROOT / "bench/results/import.md").write_text(f"""# Register import benchmark

`python3 bench/import.py`: release build, {meta['cores']} cores, {meta['date']}, commit {commit}. Each
row is one run of `neighbourhood import register FILE --as <a GP>` (the report's lines to a file)
into a database migrated and seeded with a 300-person demo: wall-clock seconds, the rows per
second they make, and the process's peak RSS. The three runs per size are the first import (every
row registered, with conditions and eFI scores), the same file again (every row unchanged), and a
file in which every tenth person moved house.

{table}
""")

if __name__ == "__main__":
    main()
