#!/usr/bin/env python3
"""Checks that PostGraphile answers a benchmark scenario with the same data as our server.

    python3 compare.py --ours URL --token TOKEN --theirs URL --scenario NAME --variables FILE.jsonl

Every line of FILE.jsonl is one JSON object of variables. Each is posted to our server (our
query: ../scenarios/NAME.graphql, with `Authorization: Bearer TOKEN`) and to PostGraphile (its
query: queries/NAME.graphql, no authentication). Both answers are normalised to one canonical
structure per scenario (see NORMALISERS and README.md) and compared. The first mismatch, an error
in either answer, or an empty answer (no data) stops the run with a readable diff and exit code 1.
Otherwise one summary line is printed and the exit code is 0.

The PostGraphile queries of cohort_page and referral_inbox declare the caller as extra variables
($organisationId, and $practitionerId for the inbox), and those of mdt_preparation and caseload as
$callerOrganisationId and $callerPractitionerId, to express our access rules as filters. When
a line lacks them they are taken from the token's claims (`org`, `sub`) and sent to both servers
(ours ignores variables its query does not declare).

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import base64
import csv
import difflib
import json
import re
import statistics
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
SCENARIOS_DIR = HERE.parent / "scenarios"
QUERIES_DIR = HERE / "queries"
CONDITIONS_CSV = HERE.parent.parent / "domain" / "data" / "ltc-conditions.csv"

# ---------------------------------------------------------------------------------------------
# Computed fields of our API, re-derived from the columns PostGraphile returns.
# ---------------------------------------------------------------------------------------------


def load_condition_names(path: Path) -> dict[str, str]:
    """SNOMED CT code -> catalogue name, from the file our server compiles in (domain/data)."""
    with path.open(newline="", encoding="utf-8") as f:
        return {row["snomed_ct_id"]: row["name"] for row in csv.DictReader(f)}


CONDITION_NAMES: dict[str, str] = {}


def condition_name(code: str) -> str:
    # Ours: the catalogue name, or the code itself when the code is not in the catalogue.
    return CONDITION_NAMES.get(code, code)


def person_name(given: str, family: str) -> str:
    # Ours: Patient.name and Practitioner.name are "{given} {family}".
    return f"{given} {family}"


def frailty_category(efi: float | None) -> str | None:
    # Ours (domain/src/frailty.rs): fit <= 0.12 < mild <= 0.24 < moderate <= 0.36 < severe.
    if efi is None:
        return None
    if efi <= 0.12:
        return "FIT"
    if efi <= 0.24:
        return "MILD"
    if efi <= 0.36:
        return "MODERATE"
    return "SEVERE"


def enum(value: str | None) -> str | None:
    # Stored as lower snake case (sea-orm string enums); our GraphQL enums are upper snake case.
    return None if value is None else value.upper()


_FRACTION = re.compile(r"\.(\d+)")


def instant(value: str | None) -> str | None:
    """A timestamp as UTC with microseconds: ours prints RFC 3339 with `Z`, PostGraphile prints
    PostgreSQL's text form with the session's offset (`+00:00`), and each drops trailing zeros
    of the fraction differently."""
    if value is None:
        return None
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), value.replace("Z", "+00:00"), count=1)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {value!r}")
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def nodes(connection: dict | None) -> list:
    # PostGraphile relations and root lists are connections; ours are plain lists.
    return [] if connection is None else connection["nodes"]


def practitioner(p: dict | None) -> dict | None:
    return None if p is None else {"name": person_name(p["givenName"], p["familyName"])}


# ---------------------------------------------------------------------------------------------
# Canonical structure per scenario: `ours(data)` and `theirs(data)` must produce equal values.
# Ours already has the canonical field names, so its side only fixes value formats.
# ---------------------------------------------------------------------------------------------


def ours_conditions(conditions: list, with_date: bool = False) -> list:
    out = []
    for c in conditions:
        item = {"code": c["code"], "name": c["name"]}
        if with_date:
            item["diagnosedOn"] = c["diagnosedOn"]
        out.append(item)
    return out


def theirs_conditions(connection: dict, with_date: bool = False) -> list:
    out = []
    for c in nodes(connection):
        item = {"code": c["snomedCode"], "name": condition_name(c["snomedCode"])}
        if with_date:
            item["diagnosedOn"] = c["diagnosedOn"]
        out.append(item)
    return out


# patient_record ------------------------------------------------------------------------------


def patient_record_ours(data: dict) -> Any:
    p = data["patient"]
    return {
        "id": p["id"],
        "name": p["name"],
        "nhsNumber": p["nhsNumber"],
        "dateOfBirth": p["dateOfBirth"],
        "sex": p["sex"],
        "postcode": p["postcode"],
        "registeredPractice": p["registeredPractice"],
        "frailty": {"category": p["frailty"]["category"], "efiScore": p["frailty"]["efiScore"]},
        "conditions": ours_conditions(p["conditions"], with_date=True),
    }


def patient_record_theirs(data: dict) -> Any:
    p = data["patient"]
    if p is None:
        return None
    return {
        "id": p["rowId"],
        "name": person_name(p["givenName"], p["familyName"]),
        "nhsNumber": p["nhsNumber"],
        "dateOfBirth": p["dateOfBirth"],
        "sex": enum(p["sex"]),
        "postcode": p["postcode"],
        "registeredPractice": p["registeredPractice"],
        "frailty": {"category": frailty_category(p["efiScore"]), "efiScore": p["efiScore"]},
        "conditions": theirs_conditions(p["patientConditions"], with_date=True),
    }


# cohort_page ---------------------------------------------------------------------------------


def cohort_page_ours(data: dict) -> Any:
    return [
        {
            "id": p["id"],
            "name": p["name"],
            "nhsNumber": p["nhsNumber"],
            "dateOfBirth": p["dateOfBirth"],
            "registeredPractice": p["registeredPractice"],
            "frailty": {"category": p["frailty"]["category"], "efiScore": p["frailty"]["efiScore"]},
            "conditions": ours_conditions(p["conditions"]),
        }
        for p in data["patients"]["nodes"]
    ]


def cohort_page_theirs(data: dict) -> Any:
    return [
        {
            "id": p["rowId"],
            "name": person_name(p["givenName"], p["familyName"]),
            "nhsNumber": p["nhsNumber"],
            "dateOfBirth": p["dateOfBirth"],
            "registeredPractice": p["registeredPractice"],
            "frailty": {"category": frailty_category(p["efiScore"]), "efiScore": p["efiScore"]},
            "conditions": theirs_conditions(p["patientConditions"]),
        }
        for p in nodes(data["patients"])
    ]


# mdt_preparation -----------------------------------------------------------------------------


def mdt_preparation_ours(data: dict) -> Any:
    m = data["mdtMeeting"]

    def patient(p: dict) -> dict:
        plan = p["carePlan"]
        return {
            "id": p["id"],
            "name": p["name"],
            "nhsNumber": p["nhsNumber"],
            "dateOfBirth": p["dateOfBirth"],
            "frailty": p["frailty"],
            "conditions": ours_conditions(p["conditions"]),
            "referrals": [
                {**r, "createdAt": instant(r["createdAt"]), "firstContactAt": instant(r["firstContactAt"])}
                for r in p["referrals"]
            ],
            "carePlan": None
            if plan is None
            else {"whatMatters": plan["whatMatters"], "reviewDate": plan["reviewDate"], "goals": plan["goals"]},
            "outcomeMeasurements": [
                {"instrument": o["instrument"]["key"], "takenOn": o["takenOn"], "metricScore": o["metricScore"]}
                for o in p["outcomeMeasurements"]
            ],
            "assetConnections": [{"state": a["state"], "asset": a["asset"]["name"]} for a in p["assetConnections"]],
            "mdtActions": p["mdtActions"],
        }

    return {
        "id": m["id"],
        "title": m["title"],
        "startsAt": instant(m["startsAt"]),
        "agenda": [
            {
                "position": i["position"],
                "reason": i["reason"],
                "minutesAllotted": i["minutesAllotted"],
                "patient": patient(i["patient"]),
            }
            for i in m["agenda"]
        ],
    }


def mdt_preparation_theirs(data: dict) -> Any:
    m = data["mdtMeeting"]
    if m is None:
        return None

    def patient(p: dict) -> dict:
        plan = p["carePlan"]
        return {
            "id": p["rowId"],
            "name": person_name(p["givenName"], p["familyName"]),
            "nhsNumber": p["nhsNumber"],
            "dateOfBirth": p["dateOfBirth"],
            "frailty": {
                "category": frailty_category(p["efiScore"]),
                "efiScore": p["efiScore"],
                "clinicalFrailtyScale": p["clinicalFrailtyScale"],
            },
            "conditions": theirs_conditions(p["patientConditions"]),
            "referrals": [
                {
                    "id": r["rowId"],
                    "service": enum(r["service"]),
                    "status": enum(r["status"]),
                    "createdAt": instant(r["createdAt"]),
                    "firstContactAt": instant(r["firstContactAt"]),
                    "receivingOrganisation": r["receivingOrganisation"],
                }
                for r in nodes(p["referrals"])
            ],
            "carePlan": None
            if plan is None
            else {
                "whatMatters": plan["whatMatters"],
                "reviewDate": plan["reviewDate"],
                "goals": [
                    {"text": g["text"], "status": enum(g["status"])} for g in nodes(plan["carePlanGoalsByPlanId"])
                ],
            },
            "outcomeMeasurements": [
                {"instrument": o["instrument"], "takenOn": o["takenOn"], "metricScore": o["metricScore"]}
                for o in nodes(p["outcomeMeasurements"])
            ],
            "assetConnections": [
                {"state": enum(a["state"]), "asset": a["asset"]["name"]} for a in nodes(p["assetConnections"])
            ],
            "mdtActions": [
                {
                    "text": a["text"],
                    "dueDate": a["dueDate"],
                    "status": enum(a["status"]),
                    "ownerPractitioner": practitioner(a["ownerPractitioner"]),
                }
                for a in nodes(p["mdtActions"])
            ],
        }

    return {
        "id": m["rowId"],
        "title": m["title"],
        "startsAt": instant(m["startsAt"]),
        "agenda": [
            {
                "position": i["position"],
                "reason": i["reason"],
                "minutesAllotted": i["minutesAllotted"],
                "patient": patient(i["patient"]),
            }
            for i in nodes(m["mdtAgendaItemsByMeetingId"])
        ],
    }


# caseload ------------------------------------------------------------------------------------


def caseload_ours(data: dict) -> Any:
    c = data["caseload"]
    return {
        "capacity": c["capacity"],
        "activeCount": c["activeCount"],
        "referrals": [
            {
                "id": r["id"],
                "status": r["status"],
                "createdAt": instant(r["createdAt"]),
                "patient": {
                    "id": r["patient"]["id"],
                    "name": r["patient"]["name"],
                    "referrals": [{**x, "createdAt": instant(x["createdAt"])} for x in r["patient"]["referrals"]],
                },
            }
            for r in c["referrals"]["nodes"]
        ],
    }


def caseload_theirs(data: dict) -> Any:
    w = data["practitioner"]
    if w is None:
        return None
    held = w["referralsByAssignedPractitionerId"]
    return {
        "capacity": w["caseloadCapacity"],
        "activeCount": held["totalCount"],
        "referrals": [
            {
                "id": r["rowId"],
                "status": enum(r["status"]),
                "createdAt": instant(r["createdAt"]),
                "patient": {
                    "id": r["patient"]["rowId"],
                    "name": person_name(r["patient"]["givenName"], r["patient"]["familyName"]),
                    "referrals": [
                        {
                            "id": x["rowId"],
                            "service": enum(x["service"]),
                            "status": enum(x["status"]),
                            "createdAt": instant(x["createdAt"]),
                        }
                        for x in nodes(r["patient"]["referrals"])
                    ],
                },
            }
            for r in nodes(held)
        ],
    }


# referral_inbox ------------------------------------------------------------------------------


def referral_inbox_ours(data: dict) -> Any:
    return [
        {
            "id": r["id"],
            "status": r["status"],
            "createdAt": instant(r["createdAt"]),
            "urgency": r["urgency"],
            "patient": r["patient"],
            "assignedPractitioner": r["assignedPractitioner"],
        }
        for r in data["referrals"]["nodes"]
    ]


def referral_inbox_theirs(data: dict) -> Any:
    return [
        {
            "id": r["rowId"],
            "status": enum(r["status"]),
            "createdAt": instant(r["createdAt"]),
            "urgency": enum(r["urgency"]),
            "patient": {
                "id": r["patient"]["rowId"],
                "name": person_name(r["patient"]["givenName"], r["patient"]["familyName"]),
                "nhsNumber": r["patient"]["nhsNumber"],
            },
            "assignedPractitioner": practitioner(r["assignedPractitioner"]),
        }
        for r in nodes(data["referrals"])
    ]


Normaliser = Callable[[dict], Any]
NORMALISERS: dict[str, tuple[Normaliser, Normaliser]] = {
    "patient_record": (patient_record_ours, patient_record_theirs),
    "cohort_page": (cohort_page_ours, cohort_page_theirs),
    "mdt_preparation": (mdt_preparation_ours, mdt_preparation_theirs),
    "caseload": (caseload_ours, caseload_theirs),
    "referral_inbox": (referral_inbox_ours, referral_inbox_theirs),
}


def size(value: Any) -> int:
    """Rows in a canonical answer (objects counted at every level), for the summary."""
    if isinstance(value, list):
        return sum(size(v) for v in value)
    if isinstance(value, dict):
        return 1 + sum(size(v) for v in value.values() if isinstance(v, (list, dict)))
    return 0


# ---------------------------------------------------------------------------------------------
# HTTP, tokens, diffs
# ---------------------------------------------------------------------------------------------


def token_claims(token: str) -> dict:
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as e:
        raise SystemExit(f"compare.py: --token is not a JWT ({e})")


def post(url: str, query: str, variables: dict, token: str | None, timeout: float) -> tuple[dict, float]:
    body = json.dumps({"query": query, "variables": variables}).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as e:
        raw = e.read()
    except urllib.error.URLError as e:
        raise SystemExit(f"compare.py: cannot reach {url}: {e.reason}")
    elapsed = time.perf_counter() - started
    try:
        return json.loads(raw), elapsed
    except ValueError:
        raise SystemExit(f"compare.py: {url} did not answer JSON: {raw[:500]!r}")


def first_difference(a: Any, b: Any, path: str = "$") -> tuple[str, Any, Any] | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return (f"{path}.{key}", a.get(key, "<missing>"), b.get(key, "<missing>"))
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        if len(a) != len(b):
            return (f"{path} (length)", len(a), len(b))
        return None
    if a != b or type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return (path, a, b)
    return None


def short(value: Any, limit: int = 600) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def fail(scenario: str, line_no: int, variables: dict, message: str) -> None:
    print(f"{scenario}: MISMATCH on variables line {line_no}: {json.dumps(variables)}", file=sys.stderr)
    print(message, file=sys.stderr)
    raise SystemExit(1)


def declared_variables(query: str) -> set[str]:
    body = re.sub(r"#[^\n]*", "", query)  # comments may hold example JSON
    return set(re.findall(r"\$(\w+)\s*:", body[: body.find("{")]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ours", required=True, help="our GraphQL endpoint, e.g. http://127.0.0.1:8080/graphql")
    parser.add_argument("--token", required=True, help="bearer token for our server")
    parser.add_argument("--theirs", required=True, help="PostGraphile endpoint, e.g. http://127.0.0.1:5678/graphql")
    parser.add_argument("--scenario", required=True, choices=sorted(NORMALISERS))
    parser.add_argument("--variables", required=True, type=Path, help="JSON Lines: one object of variables per line")
    parser.add_argument("--ours-query", type=Path, help=f"default: {SCENARIOS_DIR}/SCENARIO.graphql")
    parser.add_argument("--theirs-query", type=Path, help=f"default: {QUERIES_DIR}/SCENARIO.graphql")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default 60)")
    args = parser.parse_args()

    CONDITION_NAMES.update(load_condition_names(CONDITIONS_CSV))
    scenario = args.scenario
    ours_query = (args.ours_query or SCENARIOS_DIR / f"{scenario}.graphql").read_text()
    theirs_query = (args.theirs_query or QUERIES_DIR / f"{scenario}.graphql").read_text()
    normalise_ours, normalise_theirs = NORMALISERS[scenario]

    claims = token_claims(args.token)
    caller = {
        "organisationId": claims.get("org"),
        "practitionerId": claims.get("sub"),
        "callerOrganisationId": claims.get("org"),
        "callerPractitionerId": claims.get("sub"),
    }
    needed = declared_variables(theirs_query) & caller.keys()

    try:
        text = args.variables.read_text()
    except OSError as e:
        raise SystemExit(f"compare.py: cannot read --variables: {e}")
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise SystemExit(f"compare.py: {args.variables} has no variables")
    timings_ours, timings_theirs, rows, filled = [], [], 0, False
    for line_no, line in lines:
        try:
            variables = json.loads(line)
        except ValueError as e:
            raise SystemExit(f"compare.py: {args.variables} line {line_no} is not JSON: {e}")
        if not isinstance(variables, dict):
            raise SystemExit(f"compare.py: {args.variables} line {line_no} is not a JSON object")
        for name in sorted(needed):
            if name not in variables:
                variables[name] = caller[name]
                filled = True
        ours, t_ours = post(args.ours, ours_query, variables, args.token, args.timeout)
        theirs, t_theirs = post(args.theirs, theirs_query, variables, None, args.timeout)
        timings_ours.append(t_ours)
        timings_theirs.append(t_theirs)
        for side, answer in (("ours", ours), ("PostGraphile", theirs)):
            if answer.get("errors") or not answer.get("data"):
                fail(scenario, line_no, variables, f"{side} answered with errors:\n{short(answer, 3000)}")
        a, b = normalise_ours(ours["data"]), normalise_theirs(theirs["data"])
        if b is None:
            fail(scenario, line_no, variables, "PostGraphile found nothing (null) where ours answered")
        difference = first_difference(a, b)
        if difference:
            path, x, y = difference
            diff = difflib.unified_diff(
                json.dumps(a, indent=1, ensure_ascii=False).splitlines(),
                json.dumps(b, indent=1, ensure_ascii=False).splitlines(),
                "ours (canonical)",
                "PostGraphile (canonical)",
                n=3,
                lineterm="",
            )
            excerpt = list(diff)[:60]
            fail(
                scenario,
                line_no,
                variables,
                f"first difference at {path}\n  ours:         {short(x)}\n  PostGraphile: {short(y)}\n"
                + "\n".join(excerpt),
            )
        rows += size(a)

    ms = lambda ts: statistics.median(ts) * 1000  # noqa: E731
    print(
        f"{scenario}: {len(lines)} variable sets equal ({rows} objects compared"
        f"{', caller variables from the token' if filled else ''}); "
        f"median single request ours {ms(timings_ours):.1f} ms, PostGraphile {ms(timings_theirs):.1f} ms"
    )


if __name__ == "__main__":
    main()
