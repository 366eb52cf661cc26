"""Schemathesis hooks for the schema-driven fuzz run (`.ci/conformance/fuzz.sh`).

Strategies for the custom scalars, well-formed and as clients really send them wrong (a
browser's datetime field without an offset, a UK-style date, an impossible day); `ID`s drawn
mostly from the demo's own records (so that operations get past "not found" and reach their
logic) and otherwise malformed; `Int`s including those beyond 32 bits. And the one check that
matters here: whatever is sent, no answer is ever INTERNAL (or uncoded), and no status is a 5xx
other than a 503 with Retry-After (the database too busy, which the client may retry).
"""

import json
import os
import urllib.request
from datetime import date, datetime, timedelta, timezone

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

MALFORMED_DATES = [
    "01/09/2026",
    "2026-02-30",
    "20261201",
    "2026-13-01",
    "2026-9-1",
    "",
    " 2026-09-01",
    "2026-09-01T10:00:00Z",
    "+002026-09-01",
    "0000-00-00",
]
MALFORMED_DATETIMES = [
    "2026-12-10T10:00",
    "2026-12-10T10:00:00",
    "2026-13-01T10:00:00Z",
    "2026-12-10 10:00:00",
    "2026-12-10",
    "",
    "10:00",
    "2026-12-10T25:00:00Z",
    "2026-12-10T10:00:00+25:00",
    "1765360800",
]

valid_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)).map(date.isoformat)
offsets = st.sampled_from([timezone.utc, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))])
valid_datetimes = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone).isoformat(),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    offsets,
)
short_text = st.text(max_size=24)

schemathesis.graphql.scalar(
    "Date", st.one_of(valid_dates, st.sampled_from(MALFORMED_DATES), short_text).map(nodes.String)
)
schemathesis.graphql.scalar(
    "DateTime", st.one_of(valid_datetimes, st.sampled_from(MALFORMED_DATETIMES), short_text).map(nodes.String)
)
# Real ids of the demo, read with the run's token (DEMO_URL and DEMO_TOKEN, from with-demo.sh).
HARVEST = """{
  me { practitioner { id } organisation { id } neighbourhoods { id } }
  patients(first: 30) { nodes { id referrals { id } } }
  cohorts(first: 10) { nodes { id } }
  referrals(first: 30) { nodes { id } }
  practitioners(first: 30) { nodes { id } }
  organisations(first: 30) { nodes { id } }
  supportGroups(first: 10) { nodes { id sessions { id } } }
  communityAssets(first: 20) { nodes { id } }
  sharedCarePlans(first: 10) { nodes { id } }
  assetConnections(first: 20) { nodes { id } }
}"""
MEETINGS = """query($n: ID!) {
  mdtMeetings(neighbourhoodId: $n, first: 10) {
    nodes { id invitations { practitioner { id } } agenda { id decisions { id } } carriedForwardActions { id } }
  }
}"""


def ask(query, variables=None):
    """One GraphQL request to the demo as the run's caller; the whole response."""
    request = urllib.request.Request(
        os.environ["DEMO_URL"] + "/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Authorization": "Bearer " + os.environ["DEMO_TOKEN"], "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def harvest_ids():
    body = ask(HARVEST)
    ids = set()

    def walk(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "id" and isinstance(inner, str):
                    ids.add(inner)
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(body.get("data"))
    if len(ids) < 50:
        raise RuntimeError(f"the demo gave too few ids to fuzz with ({len(ids)}): {str(body)[:500]}")
    # Meetings are listed per neighbourhood.
    for neighbourhood in body["data"]["me"]["neighbourhoods"]:
        walk(ask(MEETINGS, {"n": neighbourhood["id"]}).get("data"))
    return sorted(ids)


DEMO_IDS = harvest_ids()
MALFORMED_IDS = ["", "not-a-uuid", "00000000-0000-0000-0000-000000000000", "7", "{}", "x" * 300]
ids = st.one_of(st.sampled_from(DEMO_IDS), st.sampled_from(MALFORMED_IDS), st.uuids().map(str))
schemathesis.graphql.scalar("ID", ids.map(nodes.String))
# Mostly small (page sizes, scores), sometimes at and beyond the 32-bit edges.
ints = st.one_of(
    st.integers(min_value=-5, max_value=120),
    st.sampled_from([0, -1, 2**31 - 1, -(2**31), 2**31, -(2**31) - 1, 2**53]),
)
schemathesis.graphql.scalar("Int", ints.map(nodes.Int))
# A file travels only in a multipart request (importStaffList); over JSON whatever stands for one is
# refused with its reason, never an internal error.
schemathesis.graphql.scalar(
    "Upload", st.sampled_from(["", "staff.csv", "#__graphql_file__:0", "#__graphql_file__:9"]).map(nodes.String)
)
# Output only (a care plan version's content): never sent, but the generator wants a strategy.
schemathesis.graphql.scalar("JSON", st.text(max_size=8).map(nodes.String))


@schemathesis.check
def no_internal_error(ctx, response, case):
    """No request, however malformed, is answered as an internal error."""
    if response.status_code >= 500 and not (response.status_code == 503 and "Retry-After" in response.headers):
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:500]}")
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"not JSON (HTTP {response.status_code}): {response.text[:200]}")
    if not isinstance(body, dict):
        raise AssertionError(f"not a GraphQL response: {response.text[:200]}")
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code in (None, "INTERNAL"):
            raise AssertionError(f"an error coded {code!r}: {error.get('message')!r}")
