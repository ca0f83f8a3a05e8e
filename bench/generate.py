"""Synthetic national dataset: a decade of referrals in Kazakhstan, bulk-loaded.

    .venv/bin/python -m bench.generate --scale 1 \
        --database-url postgresql://postgres@127.0.0.1/bench
    .venv/bin/python -m bench.generate --database-url sqlite:////tmp/bench.sqlite --scale 0.01

Scale 1 is 20 regions, 200 districts, ~1,800 agencies, 1,000,000 cases, ~2.9 M people,
~1.5 M incidents, ~2 M referrals in every state, ~10 M hash-chained audit rows, ~5 M in-app
notifications. Everything is made up: names are built from syllables, IINs are synthetic
(valid check digit, via referral.cases.iin.build_iin). Nothing here is a real person.

PostgreSQL: the schema is migrated to head, secondary indexes and unique constraints are
dropped, rows stream in with COPY (several processes, one connection per table), then the
indexes come back, sequences are set and the tables are vacuumed and analysed.
SQLite: the same rows through executemany (meant for small scales).

Time is anchored at ``anchor`` (the load time, kept in the ``bench_meta`` table) so the benchmark
can replay "now": exactly ``1,000 x scale`` referrals are past their answer deadline at the
anchor (the deadline sweep's work); everything due earlier was settled by the real sweep.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import sys
import time
from array import array
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from bench.sinks import PostgresSink, Sink, SqliteSink, Writer

YEARS = 10
GROWTH = 0.5  # yearly volume grows linearly: the last year sees 1.5x the first
DAY = 86400.0
HOUR = 3600.0

REGION_WEIGHT = {  # roughly by population
    "KZ-75": 2.2, "KZ-79": 1.2, "KZ-71": 1.4, "KZ-61": 2.0, "KZ-19": 1.5, "KZ-47": 1.0,
    "KZ-35": 1.1, "KZ-31": 1.1, "KZ-63": 0.7, "KZ-55": 0.7, "KZ-59": 0.5, "KZ-39": 0.8,
    "KZ-43": 0.8, "KZ-23": 0.7, "KZ-27": 0.7, "KZ-15": 0.9, "KZ-11": 0.7, "KZ-10": 0.6,
    "KZ-33": 0.3, "KZ-62": 0.4,
}
# One district has these agencies (remote districts only the first five).
DISTRICT_AGENCIES = ("police", "health", "education", "social_services", "police",
                     "family_support", "crisis_center", "ngo", "special_police",
                     "correctional_provider")
AGENCY_SERVICES = {
    "police": ("police_protection",),
    "special_police": ("police_protection", "child_protection"),
    "crisis_center": ("shelter", "psychological", "legal_aid"),
    "family_support": ("family_support_plan", "psychological", "social_support"),
    "social_services": ("social_support", "child_protection"),
    "health": ("medical", "psychological"),
    "education": ("child_protection", "psychological"),
    "ngo": ("legal_aid", "psychological", "shelter"),
    "correctional_provider": ("correctional_programme",),
    "coordination": (),
}
OWNER_TYPES = (("police", 0.6), ("special_police", 0.15), ("crisis_center", 0.1),
               ("family_support", 0.15))
SERVICE_NEED = (("psychological", 0.22), ("legal_aid", 0.14), ("shelter", 0.08),
                ("social_support", 0.12), ("medical", 0.08), ("child_protection", 0.1),
                ("family_support_plan", 0.1), ("police_protection", 0.1),
                ("correctional_programme", 0.06))
URGENCY = (("emergency", 2 * HOUR, 0.1), ("urgent", 24 * HOUR, 0.3), ("routine", 72 * HOUR, 0.6))
RECENT_STATES = (("accepted", 0.1), ("in_progress", 0.45), ("on_hold", 0.05),
                 ("completed", 0.15), ("declined", 0.12), ("cancelled", 0.05),
                 ("expired", 0.03), ("failed", 0.05))
OLD_STATES = (("completed", 0.633), ("declined", 0.15), ("cancelled", 0.06), ("expired", 0.05),
              ("failed", 0.1), ("in_progress", 0.005), ("on_hold", 0.002))
SHARED = {"accepted", "in_progress", "on_hold", "completed"}
NO_PROGRESS_DAYS = 5  # referral.notifications.config default
HIGH_RISK_HOURS = 24
PASSWORD = "bench-password-2026"  # noqa: S105 - synthetic users of a benchmark database

SYLLABLES = ("ak", "al", "as", "ba", "be", "bol", "da", "dau", "er", "ga", "zhan", "ka", "kai",
             "kul", "ma", "mur", "na", "nur", "or", "sa", "sar", "se", "ta", "tur", "u", "zha",
             "ra", "ri", "ly", "mek", "ten", "tai", "bek", "zh", "gul", "sh")
GIVEN_F = ("Aigerim", "Aizhan", "Dana", "Zhanna", "Gulnara", "Saule", "Aliya", "Madina",
           "Asel", "Dinara", "Kamila", "Aruzhan", "Togzhan", "Meruert", "Elena", "Olga",
           "Svetlana", "Nazira", "Ainur", "Bota")
GIVEN_M = ("Nurlan", "Yerlan", "Marat", "Arman", "Daniyar", "Timur", "Serik", "Askar",
           "Bauyrzhan", "Ruslan", "Aidos", "Nursultan", "Sergei", "Dmitry", "Almas", "Erbol",
           "Kairat", "Azamat", "Zhanibek", "Olzhas")


def weighted(rng: random.Random, table: tuple) -> Any:
    x = rng.random()
    for item in table:
        x -= item[-1]
        if x < 0:
            return item[0] if len(item) == 2 else item
    return table[-1][0] if len(table[-1]) == 2 else table[-1]


# --- time -----------------------------------------------------------------------------------------


def time_fraction(f: float) -> float:
    """Where in the decade the f-th fraction of all records falls (volume grows linearly)."""
    a = GROWTH
    return (-1 + math.sqrt(1 + 2 * a * f * (1 + a / 2))) / a


def record_fraction(t: float) -> float:
    """Inverse of time_fraction: the share of records made before time fraction t."""
    a = GROWTH
    return (t + a * t * t / 2) / (1 + a / 2)


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


# --- the plan: per-case counts and ids, decided once so parallel workers agree ---------------


@dataclass
class World:
    scale: float
    anchor: float
    start: float
    n_cases: int
    n_audit: int
    due: int
    seed: int
    regions: list[dict] = field(default_factory=list)
    districts: list[dict] = field(default_factory=list)  # id, region index, remote
    agencies: list[dict] = field(default_factory=list)  # id, type, region, district
    coordinators: dict[int, list[int]] = field(default_factory=dict)  # region index -> users
    admin_user: int = 0
    offence_ids: list[int] = field(default_factory=list)
    thresholds: tuple[int, int] = (10, 14)
    # agencies by (district id, type) / (region index, service)
    by_district_type: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    by_region_service: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    by_district_service: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    # per-case arrays
    created: array = field(default_factory=lambda: array("d"))
    region: array = field(default_factory=lambda: array("b"))
    district: array = field(default_factory=lambda: array("i"))
    owner: array = field(default_factory=lambda: array("i"))
    kids: array = field(default_factory=lambda: array("b"))
    has_off: array = field(default_factory=lambda: array("b"))
    reused: array = field(default_factory=lambda: array("b"))
    surv_pid: array = field(default_factory=lambda: array("i"))
    off_pid: array = field(default_factory=lambda: array("i"))
    people_first: array = field(default_factory=lambda: array("i"))
    part_first: array = field(default_factory=lambda: array("i"))
    n_inc: array = field(default_factory=lambda: array("b"))
    inc_first: array = field(default_factory=lambda: array("i"))
    n_ref: array = field(default_factory=lambda: array("b"))
    ref_first: array = field(default_factory=lambda: array("i"))
    risk: array = field(default_factory=lambda: array("b"))  # 0 none, 1/2/3 std/med/high
    risk_id: array = field(default_factory=lambda: array("i"))
    flags: array = field(default_factory=lambda: array("b"))  # 1 restricted, 2 repeat, 4 due
    seq: array = field(default_factory=lambda: array("i"))
    sequences: dict[tuple[str, int], int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)

    def users_of(self, agency_id: int) -> range:
        """Four users per agency: the manager first, then three officers."""
        base = 4 * (agency_id - 1) + 1
        return range(base, base + 4)


def build_reference(world: World) -> None:
    """Regions, districts and agencies (ids are positions: agency a has users 4a-3..4a)."""
    regions = json.loads((Path(__file__).resolve().parents[1] / "referral" / "data"
                          / "regions.json").read_text("utf-8"))
    world.regions = regions
    district_id = agency_id = 0
    for r_index, region in enumerate(regions):
        for k in range(1, 11):
            district_id += 1
            remote = k >= 9
            world.districts.append({"id": district_id, "region": r_index, "remote": remote,
                                    "name": f"{region['centre']} district {k}"})
            for type_ in DISTRICT_AGENCIES[: 5 if remote else 10]:
                agency_id += 1
                world.agencies.append({"id": agency_id, "type": type_, "region": r_index,
                                       "district": district_id})
                world.by_district_type.setdefault((district_id, type_), []).append(agency_id)
                for service in AGENCY_SERVICES[type_]:
                    world.by_region_service.setdefault((r_index, service), []).append(agency_id)
                    world.by_district_service.setdefault((district_id, service), []).append(
                        agency_id)
    for r_index, _region in enumerate(regions):
        agency_id += 1
        world.agencies.append({"id": agency_id, "type": "coordination", "region": r_index,
                               "district": None})
        world.coordinators[r_index] = list(world.users_of(agency_id))
    world.admin_user = 4 * len(world.agencies) + 1


def build_plan(world: World) -> None:
    """Per-case decisions that fix every id, so workers can write disjoint ranges in parallel."""
    rng = random.Random(world.seed)
    n = world.n_cases
    span = world.anchor - world.start
    codes = [r["code"] for r in world.regions]
    weights = [REGION_WEIGHT.get(c, 1.0) for c in codes]
    cum = [sum(weights[: i + 1]) / sum(weights) for i in range(len(weights))]
    districts_of = {i: [d for d in world.districts if d["region"] == i] for i in range(len(codes))}
    recent: dict[int, list[int]] = {i: [] for i in range(len(codes))}
    person = participant = incident = referral = assessment = 1
    due_window = (world.anchor - 30 * DAY, world.anchor - 4 * DAY)
    due_candidates: list[int] = []
    for i in range(n):
        created = world.start + span * time_fraction((i + rng.random()) / n)
        x = rng.random()
        r_index = next(k for k, c in enumerate(cum) if x < c)
        options = districts_of[r_index]
        d = options[rng.randrange(len(options))]
        if d["remote"] and rng.random() < 0.5:  # remote districts report less
            d = options[rng.randrange(8)]
        owner_type = weighted(rng, OWNER_TYPES)
        owners = (world.by_district_type.get((d["id"], owner_type))
                  or world.by_district_type[(d["id"], "police")])
        owner = owners[rng.randrange(len(owners))]
        kids = rng.choices((0, 1, 2, 3), (0.35, 0.4, 0.18, 0.07))[0]
        has_off = 1 if rng.random() < 0.92 else 0
        flags = 0
        reuse_from = -1
        if rng.random() < 0.1:
            flags |= 2
            if recent[r_index] and rng.random() < 0.7:
                reuse_from = recent[r_index][rng.randrange(len(recent[r_index]))]
                has_off = world.has_off[reuse_from]
        if rng.random() < 0.005:
            flags |= 1
        world.people_first.append(person)
        world.part_first.append(participant)
        if reuse_from >= 0:
            surv, off = world.surv_pid[reuse_from], world.off_pid[reuse_from]
        else:
            surv, off = person, (person + 1 if has_off else 0)
            person += 1 + has_off
        person += kids
        participant += 1 + has_off + kids
        world.created.append(created)
        world.region.append(r_index)
        world.district.append(d["id"])
        world.owner.append(owner)
        world.kids.append(kids)
        world.has_off.append(has_off)
        world.reused.append(1 if reuse_from >= 0 else 0)
        world.surv_pid.append(surv)
        world.off_pid.append(off)
        n_inc = rng.choices((1, 2, 3), (0.6, 0.3, 0.1))[0]
        world.n_inc.append(n_inc)
        world.inc_first.append(incident)
        incident += n_inc
        n_ref = rng.choices((0, 1, 2, 3, 4), (0.1, 0.25, 0.3, 0.2, 0.15))[0]
        world.n_ref.append(n_ref)
        world.ref_first.append(referral)
        referral += n_ref
        if rng.random() < 0.7:
            world.risk.append(rng.choices((1, 2, 3), (0.5, 0.3, 0.2))[0])
            world.risk_id.append(assessment)
            assessment += 1
        else:
            world.risk.append(0)
            world.risk_id.append(0)
        if n_ref and due_window[0] <= created <= due_window[1]:
            due_candidates.append(i)
        world.flags.append(flags)
        year = at(created).year
        key = (codes[r_index], year)
        world.sequences[key] = world.sequences.get(key, 0) + 1
        world.seq.append(world.sequences[key])
        recent[r_index].append(i)
        if len(recent[r_index]) > 64:
            recent[r_index].pop(0)
    for i in rng.sample(due_candidates, min(world.due, len(due_candidates))):
        world.flags[i] |= 4
    world.totals.update(cases=n, people=person - 1, participants=participant - 1,
                        incidents=incident - 1, referrals=referral - 1,
                        risk_assessments=assessment - 1)


# --- writers --------------------------------------------------------------------------------------


def tables() -> dict[str, sa.Table]:
    from referral.extensions import db

    return db.metadata.tables  # type: ignore[return-value]


def write_reference(world: World, sink: Sink, password_hash: str) -> None:
    t = tables()
    now = at(world.start)
    w = Writer(sink, t["regions"], ["code", "name_en", "name_ru", "name_kk", "centre"])
    for r in world.regions:
        w.add(r["code"], r["name_en"], r["name_ru"], r["name_kk"], r["centre"])
    w.close()
    w = Writer(sink, t["districts"], ["id", "region_code", "name_en", "name_ru", "name_kk",
                                      "is_remote"])
    for d in world.districts:
        w.add(d["id"], world.regions[d["region"]]["code"], d["name"], d["name"], d["name"],
              d["remote"])
    w.close()
    w = Writer(sink, t["agencies"], ["id", "name", "type", "region_code", "district_id", "email",
                                     "phone", "is_24_7", "shelter_places", "is_active",
                                     "created_at"])
    s = Writer(sink, t["agency_services"], ["agency_id", "service_code"])
    for a in world.agencies:
        region = world.regions[a["region"]]
        where = (world.districts[a["district"] - 1]["name"] if a["district"]
                 else region["name_en"])
        w.add(a["id"], f"{a['type'].replace('_', ' ').title()} #{a['id']} · {where}", a["type"],
              region["code"], a["district"], f"agency{a['id']}@bench.example",
              f"+7 700 {a['id']:07d}", a["type"] in ("police", "special_police"),
              12 if a["type"] == "crisis_center" else 0, True, now)
        for service in AGENCY_SERVICES[a["type"]]:
            s.add(a["id"], service)
    w.close()
    s.close()
    w = Writer(sink, t["users"], ["id", "email", "full_name", "agency_id", "role",
                                  "password_hash", "must_change_password", "is_active",
                                  "created_at", "password_changed_at"])
    c = Writer(sink, t["coordinator_regions"], ["user_id", "region_code"])
    for a in world.agencies:
        for k, user_id in enumerate(world.users_of(a["id"])):
            if a["type"] == "coordination":
                role = "coordinator"
                c.add(user_id, world.regions[a["region"]]["code"])
            else:
                role = "agency_manager" if k == 0 else "officer"
            w.add(user_id, f"{role}{k}.a{a['id']}@bench.example",
                  f"Synthetic {role.replace('_', ' ')} {a['id']}-{k}", a["id"], role,
                  password_hash, False, True, now, now)
    w.add(world.admin_user, "admin@bench.example", "Synthetic administrator",
          world.agencies[-1]["id"], "administrator", password_hash, False, True, now, now)
    w.close()
    c.close()


def _surname(rng: random.Random, female: bool) -> str:
    stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).capitalize()
    return stem + ("ova" if female else "ov") if rng.random() < 0.7 else stem + (
        " kyzy" if female else " uly")


class Names:
    """Synthetic names with their search keys, made once from syllables (never real people)."""

    def __init__(self, rng: random.Random) -> None:
        from referral.cases.names import name_key

        self.surnames = {}
        for female in (True, False):
            pool = []
            for _ in range(4000):
                s = _surname(rng, female)
                pool.append((s, name_key(s)))
            self.surnames[female] = pool
        self.given = {True: [(g, name_key(g)) for g in GIVEN_F],
                      False: [(g, name_key(g)) for g in GIVEN_M]}
        self.patronymic = {True: [(g + "ovna", name_key(g + "ovna")) for g in GIVEN_M],
                           False: [(g + "ovich", name_key(g + "ovich")) for g in GIVEN_M]}

    def make(self, rng: random.Random, female: bool) -> tuple[str, str, str, str]:
        s, sk = self.surnames[female][rng.randrange(4000)]
        g, gk = self.given[female][rng.randrange(20)]
        p, pk = self.patronymic[female][rng.randrange(20)]
        return s, g, p, f"{sk} {gk} {pk}"


def _answers_pool(rng: random.Random) -> dict[int, list[tuple[str, str]]]:
    """Four answer sets per count of "yes", with the explanation the current instrument gives.
    The yes answers avoid the red flags and stay below the danger-sign threshold, so the level
    the generator chose (from the count) is the level the answers give."""
    from referral.cases import risk

    inst = risk.current()
    group_limit = (inst.group_high_from or len(inst.codes)) - 1
    plain = [i.code for i in inst.items if not i.group]
    signs = list(inst.in_group(risk.LETHALITY))
    limits = risk.Thresholds(inst.medium_from, inst.high_from, inst.group_high_from)
    pool: dict[int, list[tuple[str, str]]] = {}
    for score in range(len(plain) + group_limit + 1):
        variants = []
        for _ in range(4):
            from_signs = rng.randint(max(0, score - len(plain)), min(group_limit, score))
            yes = set(rng.sample(plain, score - from_signs)) | set(rng.sample(signs, from_signs))
            given = {code: "yes" if code in yes else "no" for code in inst.codes}
            outcome = risk.evaluate(inst, given, limits)
            explanation = outcome.explanation() | {"group_high_from": inst.group_high_from}
            variants.append((json.dumps({code: {"answer": value, "comment": ""}
                                         for code, value in given.items()}),
                             json.dumps(explanation)))
        pool[score] = variants
    return pool


CASE_COLUMNS = {
    "cases": ["id", "reference", "region_code", "district_id", "owner_agency_id",
              "created_by_id", "status", "closed_reason", "address", "languages", "risk_level",
              "high_risk_flagged_at", "is_repeat", "restricted", "created_at", "updated_at",
              "version"],
    "case_members": ["case_id", "user_id", "added_at"],
    "people": ["id", "surname", "given_name", "patronymic", "name_key", "sex", "birth_date",
               "iin", "created_by_agency_id", "created_at", "version"],
    "case_participants": ["id", "case_id", "person_id", "role", "relationship_to_offender",
                          "phone", "added_by_id", "added_at", "version"],
    "safe_contacts": ["case_id", "participant_id", "safe_phone", "safe_times", "do_not_contact",
                      "code_word", "instructions", "updated_at", "version"],
    "incidents": ["id", "case_id", "region_code", "district_id", "occurred_at", "place",
                  "reported_by", "survivor_person_id", "offender_person_id", "physical",
                  "psychological", "gbv_type", "offence_id",
                  "weapon", "children_present", "is_repeat", "recorded_by_id",
                  "recorded_by_agency_id", "created_at", "version"],
    "risk_assessments": ["id", "case_id", "survivor_participant_id", "answers", "score",
                         "unknown_count", "computed_level", "level", "medium_from", "high_from",
                         "instrument_version", "explanation", "assessed_by_id", "agency_id",
                         "assessed_at"],
    "protective_measures": ["case_id", "measure_type", "legal_basis", "against_participant_id",
                            "issuing_agency_id", "starts_on", "ends_on", "status",
                            "recorded_by_id", "created_at", "version"],
    "case_notes": ["case_id", "body", "author_id", "agency_id", "created_at", "version"],
    "case_timeline": ["case_id", "at", "kind", "category", "object_type", "object_id",
                      "actor_user_id", "actor_agency_id", "data"],
    "referrals": ["id", "reference", "idempotency_key", "case_id", "region_code",
                  "district_id", "sender_agency_id", "sender_user_id", "receiver_agency_id",
                  "assignee_user_id",
                  "accepted_by_id", "service_code", "subject", "subject_participant_id",
                  "urgency", "risk_level",
                  "reason", "status", "sent_at", "deadline_at", "accepted_at",
                  "last_progress_at", "review_at", "closed_at", "decline_reason",
                  "status_reason", "outcome", "version", "case_closed", "case_restricted"],
    "referral_consents": ["referral_id", "consented", "shared_with_agency_id", "categories",
                          "legal_ground", "recorded_by_id", "recorded_at"],
    "referral_history": ["referral_id", "case_id", "action", "from_status", "to_status",
                         "reason_code", "actor_user_id", "actor_agency_id", "at"],
    "outbox_events": ["id", "kind", "subject_type", "subject_id", "data", "actor_user_id",
                      "created_at", "published_at", "attempts"],
    "notifications": ["event_id", "user_id", "channel", "kind", "subject_type", "subject_id",
                      "reference", "created_at", "read_at"],
    "deliveries": ["event_id", "recipient", "agency_id", "channel", "status", "attempts",
                   "created_at", "queued_at", "claimed_at", "sent_at"],
    "reminder_logs": ["subject_type", "subject_id", "kind", "threshold", "created_at"],
}
CATEGORIES_ALL = json.dumps(["identity_contact", "incident_details", "risk_assessment",
                             "children"])
CATEGORIES_SOME = json.dumps(["identity_contact", "incident_details"])
FINAL_ACTION = {"declined": "decline", "cancelled": "cancel", "expired": "expire",
                "completed": "complete", "failed": "fail", "on_hold": "hold"}


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")  # as referral.notifications.rules.stamp


# One person per IIN (a unique index): the serial is the person id's last four digits, and the
# day of birth is spread from the rest of the id so that no two people below _IIN_PEOPLE share
# (day, serial); a number whose check digit cannot exist is left out rather than bumped onto
# another person's serial. Scale 1 has ~2.9 M people; ids beyond the bound get no IIN.
_IIN_DAYS = 12 * 28
_IIN_PEOPLE = _IIN_DAYS * 10000


def _iin_birthday(pid: int, year: int) -> date:
    serial, rest = pid % 10000, pid // 10000
    day = (serial * 7919 + rest) % _IIN_DAYS  # injective in ``rest`` for one serial
    return date(year, day // 28 + 1, day % 28 + 1)


def write_cases(world: World, sink: Sink, lo: int, hi: int, worker: int) -> dict[str, int]:
    """Cases lo..hi-1 and everything hanging off them (people, incidents, referrals, …)."""
    from referral.cases.iin import build_iin

    t = tables()
    w = {name: Writer(sink, t[name], cols) for name, cols in CASE_COLUMNS.items()}
    rng = random.Random(world.seed * 1000 + worker)
    names = Names(random.Random(world.seed))  # same pools in every worker
    answers = _answers_pool(random.Random(world.seed + 1))
    from referral.cases.risk import CURRENT_VERSION as version
    codes = [r["code"] for r in world.regions]
    anchor = world.anchor
    medium_from, high_from = world.thresholds
    offences = world.offence_ids
    levels = (None, "standard", "medium", "high")
    for i in range(lo, hi):
        case_id = i + 1
        created = world.created[i]
        created_dt = at(created)
        age = anchor - created
        owner = world.owner[i]
        staff = world.users_of(owner)
        officer = staff[1 + rng.randrange(3)]
        r_index = world.region[i]
        flags = world.flags[i]
        # --- status and risk
        if age > 365 * DAY:
            status = rng.choices(("closed", "monitoring", "open"), (0.9, 0.05, 0.05))[0]
        elif age > 90 * DAY:
            status = rng.choices(("closed", "open", "monitoring"), (0.5, 0.3, 0.2))[0]
        else:
            status = rng.choices(("open", "monitoring", "closed"), (0.8, 0.15, 0.05))[0]
        risk = world.risk[i]
        level = levels[risk]
        assessed = created + rng.uniform(HOUR, 3 * DAY)
        assessed = min(assessed, anchor - 60)
        flagged = at(assessed) if risk == 3 else None
        w["cases"].add(
            case_id, f"{codes[r_index]}-{created_dt.year}-{world.seq[i]:06d}", codes[r_index],
            world.district[i], owner, officer, status,
            "safe_no_further_risk" if status == "closed" else None,
            f"Synthetic street {rng.randrange(1, 200)}, house {rng.randrange(1, 90)}", "kk,ru",
            level, flagged, bool(flags & 2), bool(flags & 1), created_dt, created_dt, 1)
        if flags & 1:
            w["case_members"].add(case_id, staff[0], created_dt)
            w["case_members"].add(case_id, officer, created_dt)
        # --- people
        part_id = world.part_first[i]
        new_person = world.people_first[i]
        reused = world.reused[i]
        surv_pid, off_pid = world.surv_pid[i], world.off_pid[i]
        cy = created_dt.year
        people = [("survivor", surv_pid, True, "spouse", cy - rng.randrange(18, 60))]
        if world.has_off[i]:
            people.append(("alleged_offender", off_pid, False, "self",
                           cy - rng.randrange(20, 65)))
        if not reused:
            new_person += len(people)
        for _k in range(world.kids[i]):
            people.append(("child", new_person, rng.random() < 0.5, "child",
                           cy - rng.randrange(0, 17)))
            new_person += 1
        survivor_part = part_id
        offender_part = part_id + 1 if world.has_off[i] else None
        for k, (role, pid, female, relation, year) in enumerate(people):
            if not (reused and role in ("survivor", "alleged_offender")):
                surname, given, patronymic, key = names.make(rng, female)
                born = date(year, rng.randrange(1, 13), rng.randrange(1, 29))
                iin = None
                if rng.random() < (0.7 if role != "child" else 0.5) and pid < _IIN_PEOPLE:
                    born = _iin_birthday(pid, year)
                    iin = build_iin(born, "female" if female else "male", pid % 10000)
                w["people"].add(pid, surname, given, patronymic, key,
                                "female" if female else "male", born, iin, owner, created_dt, 1)
            w["case_participants"].add(
                part_id + k, case_id, pid, role, relation,
                f"+7 701 {rng.randrange(10**7):07d}" if role == "survivor" else "", officer,
                created_dt, 1)
        if rng.random() < 0.3:
            w["safe_contacts"].add(case_id, survivor_part, f"+7 702 {rng.randrange(10**7):07d}",
                                   "weekdays 10-12", False, "", "", created_dt, 1)
        # --- incidents, risk, measures, notes, timeline
        occurred = created - rng.uniform(HOUR, 2 * DAY)
        for k in range(world.n_inc[i]):
            if k:
                occurred = min(occurred + rng.uniform(5 * DAY, 200 * DAY), anchor - HOUR)
            w["incidents"].add(
                world.inc_first[i] + k, case_id, codes[r_index], world.district[i],
                at(occurred), "home",
                rng.choice(("police_call", "hotline_102", "self", "neighbour", "health")),
                surv_pid, off_pid or None, rng.random() < 0.6, True,
                rng.choice(("physical_assault", "psychological_abuse", "denial_of_resources")),
                offences[rng.randrange(len(offences))] if offences else None, "none",
                world.kids[i] > 0 and rng.random() < 0.4, k > 0, officer, owner,
                at(max(occurred, created)), 1)
            w["case_timeline"].add(case_id, at(max(occurred, created)), "incident.recorded",
                                   "incident_details", "incident", world.inc_first[i] + k,
                                   officer, owner, "{}")
        w["case_timeline"].add(case_id, created_dt, "case.opened", None, "case", case_id,
                               officer, owner, "{}")
        if risk:
            score = {1: rng.randrange(0, medium_from), 2: rng.randrange(medium_from, high_from),
                     3: rng.randrange(high_from, 21)}[risk]
            given, explanation = answers[score][rng.randrange(4)]
            w["risk_assessments"].add(
                world.risk_id[i], case_id, survivor_part, given, score, 0, level, level,
                medium_from, high_from, version, explanation, officer, owner, at(assessed))
            w["case_timeline"].add(case_id, at(assessed), "risk.assessed", "risk_assessment",
                                   "risk_assessment", world.risk_id[i], officer, owner,
                                   json.dumps({"level": level, "score": score}))
        if offender_part and rng.random() < 0.25:
            starts = at(created).date()
            w["protective_measures"].add(
                case_id, "protective_order", "Law No. 214-IV", offender_part, owner, starts,
                starts + timedelta(days=30), "active", officer, created_dt, 1)
        for _k in range(rng.choices((0, 1, 2), (0.3, 0.4, 0.3))[0]):
            w["case_notes"].add(case_id, "Synthetic case note: visit done, plan agreed.", officer,
                                owner, at(min(created + rng.uniform(0, 30 * DAY), anchor - 60)),
                                1)
        # --- referrals
        shared = False
        for k in range(world.n_ref[i]):
            ref_id = world.ref_first[i] + k
            shared |= _referral(world, w, rng, i, k, ref_id, created, officer, owner,
                                survivor_part, offender_part, level, status == "closed")
        if (risk == 3 and status != "closed" and not shared
                and assessed <= anchor - (HIGH_RISK_HOURS + 1) * HOUR):
            w["reminder_logs"].add("case", case_id, "escalation.high_risk_unaccepted",
                                   _stamp(at(assessed)), at(assessed + HIGH_RISK_HOURS * HOUR))
    counts = {name: writer.count for name, writer in w.items()}
    for writer in w.values():
        writer.close()
    return counts


def _pick_receiver(world: World, rng: random.Random, i: int, service: str) -> int | None:
    found = (world.by_district_service.get((world.district[i], service))
             or world.by_region_service.get((world.region[i], service)))
    return found[rng.randrange(len(found))] if found else None


def _referral(world: World, w: dict[str, Writer], rng: random.Random, i: int, k: int,
              ref_id: int, created: float, sender_user: int, owner: int, survivor_part: int,
              offender_part: int | None, level: str | None, case_closed: bool) -> bool:
    anchor = world.anchor
    service = weighted(rng, SERVICE_NEED)
    if service == "correctional_programme" and not offender_part:
        service = "psychological"
    receiver = _pick_receiver(world, rng, i, service)
    if receiver is None or receiver == owner:
        service = "psychological"
        receiver = _pick_receiver(world, rng, i, service) or owner
    urgency, window, _p = weighted(rng, URGENCY)
    sent = created + k * rng.uniform(0, 20 * DAY) + rng.uniform(60, 6 * HOUR)
    if sent > anchor - 120:  # a case opened just now: its referrals went out since
        sent = created + rng.random() * max(anchor - 120 - created, 0)
    due = k == 0 and world.flags[i] & 4
    if due:  # the sweep's work at the anchor: past its deadline, still unanswered
        deadline = anchor - rng.uniform(5 * 60, 55 * 60)
        sent = deadline - window
        status = "sent"
    else:
        deadline = sent + window
        age = anchor - sent
        if deadline > anchor:
            status = "sent" if rng.random() < 0.6 else "accepted"
        elif age < 60 * DAY:
            status = weighted(rng, RECENT_STATES)
        else:
            status = weighted(rng, OLD_STATES)
    staff = world.users_of(receiver)
    assignee = staff[1 + rng.randrange(3)]
    accepted_at = last_progress = review_at = closed_at = None
    decline_reason = status_reason = outcome = None
    reached = status in ("accepted", "in_progress", "on_hold", "completed", "failed")
    if reached:
        accepted_at = sent + rng.uniform(0.05, 0.8) * min(window, max(anchor - sent - 60, 60))
        if status in ("in_progress", "on_hold"):
            recent = anchor - rng.uniform(HOUR, 4 * DAY)
            if rng.random() < 0.1 or anchor - accepted_at > 400 * DAY:
                recent = anchor - rng.uniform(NO_PROGRESS_DAYS * DAY, 30 * DAY)
            last_progress = max(accepted_at + 60, recent)
        if status == "on_hold":
            review_at = anchor + rng.uniform(-10 * DAY, 30 * DAY)
            status_reason = "client_request"
        if status in ("completed", "failed"):
            closed_at = min(accepted_at + rng.uniform(7 * DAY, 120 * DAY), anchor - 60)
            outcome = "service_provided" if status == "completed" else None
            status_reason = "client_disengaged" if status == "failed" else None
    elif status in ("declined", "cancelled"):
        closed_at = sent + rng.uniform(0.1, 1.0) * window
        decline_reason = "no_capacity" if status == "declined" else None
        status_reason = "no_longer_needed" if status == "cancelled" else None
    elif status == "expired":
        closed_at = deadline + rng.uniform(0, 60)
    dt = at
    subject = "offender" if service == "correctional_programme" else "survivor"
    reference = f"R-{dt(sent).year}-{ref_id:06d}"
    w["referrals"].add(
        ref_id, reference, f"bench-{ref_id}", i + 1, world.regions[world.region[i]]["code"],
        world.district[i], owner, sender_user, receiver,
        assignee if reached else None, assignee if reached else None, service, subject,
        offender_part if subject == "offender" else survivor_part, urgency, level,
        "Synthetic reason for the referral.", status, dt(sent), dt(deadline),
        dt(accepted_at) if accepted_at else None, dt(last_progress) if last_progress else None,
        dt(review_at) if review_at else None, dt(closed_at) if closed_at else None,
        decline_reason, status_reason, outcome, 1, case_closed, bool(world.flags[i] & 1))
    consented = rng.random() < 0.9
    w["referral_consents"].add(ref_id, consented, receiver,
                               (CATEGORIES_ALL if rng.random() < 0.6 else CATEGORIES_SOME)
                               if consented else "[]",
                               None if consented else "child_at_risk", sender_user, dt(sent))
    hist = w["referral_history"]
    hist.add(ref_id, i + 1, "send", None, "sent", None, sender_user, owner, dt(sent))
    if reached:
        hist.add(ref_id, i + 1, "accept", "sent", "accepted", None, assignee, receiver,
                 dt(accepted_at))
        if status in ("in_progress", "on_hold", "completed", "failed"):
            hist.add(ref_id, i + 1, "start", "accepted", "in_progress", None, assignee, receiver,
                     dt(accepted_at + 60))
    if status in FINAL_ACTION:
        when = closed_at or last_progress or sent
        from_status = "in_progress" if reached else "sent"
        hist.add(ref_id, i + 1, FINAL_ACTION[status], from_status, status,
                 decline_reason or status_reason, None if status == "expired" else assignee,
                 None if status == "expired" else receiver, dt(when))
    w["case_timeline"].add(i + 1, dt(sent), "referral.send", None, "referral", ref_id,
                           sender_user, owner,
                           json.dumps({"reference": reference, "service": service,
                                       "status": "sent", "reason": None,
                                       "sender_agency_id": owner,
                                       "receiver_agency_id": receiver}))
    # The "new referral" event, published long ago: in-app lines for the receiving agency.
    data = json.dumps({"case_id": i + 1, "sender_agency_id": owner,
                       "receiver_agency_id": receiver})
    w["outbox_events"].add(ref_id, "referral.sent", "referral", ref_id, data, sender_user,
                           dt(sent), dt(sent + 5), 1)
    recipients = [staff[0], assignee]
    if rng.random() < 0.5:
        recipients.append(staff[1 + (assignee - staff[1] + 1) % 3])
    old = anchor - sent > 7 * DAY
    for user in recipients:
        read = sent + rng.uniform(HOUR, 3 * DAY) if old or rng.random() < 0.5 else None
        w["notifications"].add(ref_id, user, "in_app", "referral.sent", "referral", ref_id,
                               reference, dt(sent + 5), dt(min(read, anchor - 1)) if read else None)
    if rng.random() < 0.4:
        w["deliveries"].add(ref_id, f"agency:{receiver}", receiver, "email", "sent", 1,
                            dt(sent + 5), dt(sent + 6), dt(sent + 7), dt(sent + 8))
    # Reminders already sent for referrals that stalled before the anchor's last hour.
    if status in ("accepted", "in_progress") and reached:
        since = last_progress or accepted_at
        if since <= anchor - NO_PROGRESS_DAYS * DAY - HOUR:
            w["reminder_logs"].add("referral", ref_id, "reminder.referral_no_progress",
                                   _stamp(dt(since)), dt(since + NO_PROGRESS_DAYS * DAY))
    return status in SHARED


# --- audit: a decade of hash-chained rows ---------------------------------------------------------

AUDIT_ACTIONS = (("case.view", 0.33), ("case.list", 0.15), ("referral.view", 0.1),
                 ("referral.list", 0.1), ("login", 0.08), ("case.search", 0.05),
                 ("participant.view", 0.05), ("referral.send", 0.04), ("note.add", 0.03),
                 ("risk.assess", 0.02), ("incident.record", 0.02), ("referral.accept", 0.03))


def write_audit(world: World, sink: Sink) -> dict[str, int]:
    from referral.audit.service import GENESIS, compute_hash

    w = Writer(sink, tables()["audit_events"],
               ["id", "created_at", "actor_user_id", "actor_agency_id", "action", "object_type",
                "object_id", "outcome", "source_ip", "details", "prev_hash", "row_hash"])
    rng = random.Random(world.seed + 7)
    m = world.n_audit
    n = world.n_cases
    span = world.anchor - world.start
    prev = GENESIS
    ev = SimpleNamespace()
    micro = 1e-6
    last_t = 0.0
    for j in range(m):
        t = world.start + span * time_fraction((j + rng.random()) / m)
        t = max(round(t, 6), last_t + micro)
        last_t = t
        before = int(n * record_fraction((t - world.start) / span))
        c = before - 1 - int(rng.expovariate(1 / max(1.0, n * 0.02)))
        c = min(max(c, 0), n - 1)
        owner = world.owner[c]
        user = 4 * (owner - 1) + 1 + rng.randrange(4)
        action = weighted(rng, AUDIT_ACTIONS)
        outcome = "success"
        details: dict | None = None
        if action in ("case.view", "participant.view", "note.add", "risk.assess",
                      "incident.record"):
            object_type, object_id = "case", str(c + 1)
            if action == "case.view" and rng.random() < 0.01:
                outcome = "denied"
            if action != "case.view":
                details = {"case_id": c + 1}
        elif action in ("referral.view", "referral.send", "referral.accept"):
            if world.n_ref[c]:
                ref = world.ref_first[c] + rng.randrange(world.n_ref[c])
                object_type, object_id = "referral", str(ref)
                details = {"case_id": c + 1}
            else:
                action, object_type, object_id = "case.view", "case", str(c + 1)
        elif action == "login":
            object_type, object_id = "user", str(user)
        elif action == "case.search":
            object_type, object_id = "case", None
            details = {"kind": rng.choice(("name", "iin", "reference")),
                       "results": rng.randrange(0, 8)}
        elif action == "case.list":
            object_type, object_id = "case", None
            details = {"count": 25, "page": 1 + int(rng.expovariate(1.0))}
        else:
            object_type, object_id = "referral", None
            details = {"list": rng.choice(("inbox", "outbox")), "count": rng.randrange(0, 60)}
        ev.created_at = at(t)
        ev.actor_user_id = user
        ev.actor_agency_id = owner
        ev.action = action
        ev.object_type = object_type
        ev.object_id = object_id
        ev.outcome = outcome
        ev.source_ip = f"10.{(user >> 16) & 255}.{(user >> 8) & 255}.{user & 255}"
        ev.details = details
        ev.prev_hash = prev
        row_hash = compute_hash(ev)
        w.add(j + 1, ev.created_at, user, owner, action, object_type, object_id, outcome,
              ev.source_ip, None if details is None else json.dumps(details), prev, row_hash)
        prev = row_hash
    w.close()
    return {"audit_events": w.count}


# --- PostgreSQL: drop and restore secondary indexes around the load -------------------------------


def pg_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def taken_up_sql() -> str:
    """What the triggers of migration 0015 keep, for all cases at once: a case is taken up once
    a referral of it is in a shared state."""
    from referral.referrals.lifecycle import SHARED_STATES

    states = ", ".join(f"'{state.value}'" for state in sorted(SHARED_STATES))
    return (f"UPDATE cases SET referral_accepted = true WHERE id IN "
            f"(SELECT case_id FROM referrals WHERE status IN ({states}))")


def pg_drop_secondary(dsn: str) -> list[str]:
    """Drop non-PK indexes and unique constraints; return the SQL that restores them."""
    import psycopg

    restore: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute("""
            SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
            WHERE n.nspname = 'public' AND c.contype = 'u'""").fetchall()
        for table, name, definition in rows:
            restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        rows = conn.execute("""
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = 'public' AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """).fetchall()
        for name, definition in rows:
            restore.append(definition)
            conn.execute(f"DROP INDEX {name}")
    return restore


def _pg_run(dsn: str, statements: list[str]) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        for sql in statements:
            conn.execute(sql)


def pg_restore(dsn: str, restore: list[str], workers: int) -> None:
    """Rebuild indexes, biggest tables spread over ``workers`` connections."""
    queues: list[list[str]] = [[] for _ in range(workers)]
    for k, sql in enumerate(restore):
        queues[k % workers].append(sql)
    procs = [multiprocessing.Process(target=_pg_run, args=(dsn, q)) for q in queues]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        if p.exitcode:
            raise RuntimeError("index rebuild failed")


def pg_finish(dsn: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        seqs = conn.execute("""
            SELECT t.relname, a.attname, s.relname FROM pg_class s
            JOIN pg_depend d ON d.objid = s.oid AND d.deptype = 'a'
            JOIN pg_class t ON t.oid = d.refobjid
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
            WHERE s.relkind = 'S'""").fetchall()
        for table, column, seq in seqs:
            conn.execute(f"SELECT setval('{seq}', COALESCE((SELECT max(\"{column}\") "
                         f"FROM \"{table}\"), 0) + 1, false)")
        conn.execute("VACUUM (ANALYZE)")


# --- driver ---------------------------------------------------------------------------------------


def make_app(url: str) -> Any:
    from referral import create_app

    return create_app({"ENV_NAME": "testing", "TESTING": False, "SQLALCHEMY_DATABASE_URI": url,
                       "WTF_CSRF_ENABLED": False})


def reset_database(app: Any, url: str) -> None:
    from flask_migrate import upgrade

    from referral.extensions import db

    with app.app_context():
        if url.startswith("sqlite"):
            path = url.split("///", 1)[1]
            if os.path.exists(path):
                os.remove(path)
        else:
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        db.session.remove()
        db.engine.dispose()


def _sink(url: str) -> Sink:
    if url.startswith("sqlite"):
        return SqliteSink(url.split("///", 1)[1])
    return PostgresSink(pg_dsn(url))


_WORLD: World | None = None  # set before forking: workers inherit it instead of unpickling it


def _case_worker(args: tuple) -> dict[str, int]:
    url, lo, hi, k = args
    world = _WORLD
    assert world is not None
    sink = _sink(url)
    counts = write_cases(world, sink, lo, hi, k)
    sink.finish()
    return counts


def _audit_worker(url: str) -> dict[str, int]:
    world = _WORLD
    assert world is not None
    sink = _sink(url)
    counts = write_audit(world, sink)
    sink.finish()
    return counts


def write_meta(app: Any, world: World, timings: dict[str, float], counts: dict[str, int]) -> None:
    from referral.extensions import db

    meta = {"anchor": at(world.anchor).isoformat(), "scale": world.scale, "seed": world.seed,
            "due": world.due, "timings": timings, "counts": counts, "password": PASSWORD,
            "plan": world.totals}
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS bench_meta (key VARCHAR(40) "
                             "PRIMARY KEY, value TEXT)"))
        conn.execute(sa.text("DELETE FROM bench_meta"))
        for key, value in meta.items():
            conn.execute(sa.text("INSERT INTO bench_meta (key, value) VALUES (:k, :v)"),
                         {"k": key, "v": json.dumps(value)})


def read_meta(app: Any) -> dict[str, Any]:
    from referral.extensions import db

    with app.app_context():
        rows = db.session.execute(sa.text("SELECT key, value FROM bench_meta")).all()
        db.session.remove()
    return {k: json.loads(v) for k, v in rows}


def settle(app: Any, world: World) -> dict[str, int]:
    """Run the real reminder sweep and publisher once, an hour before the anchor.

    What fell due during the decade is then done (reminder logs, events published, in-app rows
    written, e-mails marked sent) and only the last hour's work is left for the benchmark.
    """
    from referral.access.scope import acting_as, system_actor
    from referral.extensions import db
    from referral.notifications import publishing, reminders

    when = at(world.anchor - HOUR)
    with app.app_context():
        counts = reminders.run_all(now=when)
        db.session.commit()
        published = 0
        while True:
            done = publishing.publish_events(now=when)
            db.session.commit()
            if not done:
                break
            published += done
        with acting_as(system_actor("bench settle")):
            db.session.execute(sa.text(
                "UPDATE deliveries SET status = 'sent', attempts = 1, queued_at = :t, "
                "claimed_at = :t, sent_at = :t WHERE status = 'pending'"), {"t": when})
        db.session.commit()
        db.session.remove()
    counts["published"] = published
    return counts


def generate(url: str, *, scale: float, seed: int = 2026, workers: int = 2,
             anchor: datetime | None = None, quiet: bool = False) -> dict[str, Any]:
    def say(msg: str) -> None:
        if not quiet:
            print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    from referral.accounts.passwords import hash_password
    from referral.config import normalise_database_url

    url = normalise_database_url(url)
    postgres = url.startswith("postgresql")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    app = make_app(url)
    reset_database(app, url)
    timings["migrate"] = time.perf_counter() - t0
    say("schema migrated to head")

    anchor_dt = (anchor or datetime.now(UTC)).replace(second=0, microsecond=0)
    world = World(scale=scale, anchor=anchor_dt.timestamp(),
                  start=anchor_dt.timestamp() - YEARS * 365.25 * DAY,
                  n_cases=max(1, round(1_000_000 * scale)),
                  n_audit=max(1, round(10_000_000 * scale)),
                  due=max(1, round(1000 * scale)), seed=seed)
    from referral.audit import service as audit_service
    from referral.cases.risk import thresholds
    from referral.coordination.stats import month_rows as month_figures
    from referral.extensions import db

    with app.app_context():
        world.offence_ids = list(db.session.execute(sa.text("SELECT id FROM offences")).scalars())
        world.thresholds = thresholds()
        db.session.remove()
        db.engine.dispose()
    t = time.perf_counter()
    build_reference(world)
    build_plan(world)
    timings["plan"] = time.perf_counter() - t
    say(f"plan: {world.totals}")

    t = time.perf_counter()
    restore: list[str] = []
    if postgres:
        restore = pg_drop_secondary(pg_dsn(url))
        # Referrals stream in beside their cases over other connections: the triggers that
        # mark a case taken up (migration 0015) and copy its restriction (0017) would look for
        # cases not yet committed. Off for the load: each referral row carries its case's
        # restriction, and the taken-up flag is set for all at once below.
        _pg_run(pg_dsn(url), ["ALTER TABLE referrals DISABLE TRIGGER USER"])
    sink = _sink(url)
    with app.app_context():
        write_reference(world, sink, hash_password(PASSWORD))
    sink.finish()
    counts: dict[str, int] = {"regions": len(world.regions), "districts": len(world.districts),
                              "agencies": len(world.agencies),
                              "users": 4 * len(world.agencies) + 1}
    n = world.n_cases
    global _WORLD
    _WORLD = world
    if postgres and workers > 1:
        bounds = [n * k // workers for k in range(workers + 1)]
        jobs = [(url, bounds[k], bounds[k + 1], k) for k in range(workers)]
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(workers + 1) as pool:
            audit_result = pool.apply_async(_audit_worker, (url,))
            results = pool.map(_case_worker, jobs, chunksize=1)
            results.append(audit_result.get())
    else:
        with app.app_context():
            results = [_case_worker((url, 0, n, 0)), _audit_worker(url)]
    for result in results:
        for key, value in result.items():
            counts[key] = counts.get(key, 0) + value
    timings["load"] = time.perf_counter() - t
    say(f"rows loaded in {timings['load']:.0f} s: {sum(counts.values()):,} rows")

    t = time.perf_counter()
    seq_sql = "INSERT INTO case_sequences (region_code, year, last_value) VALUES (:r, :y, :v)"
    with app.app_context():
        with db.engine.begin() as conn:
            for (region, year), value in world.sequences.items():
                conn.execute(sa.text(seq_sql), {"r": region, "y": year, "v": value})
            audit_service.reset_head(conn)  # the chain's head: the last row loaded above
            conn.execute(sa.text(taken_up_sql()))
            if postgres:  # what the triggers of migration 0019 keep, for all at once
                conn.execute(sa.text(month_figures.FILL))
        db.engine.dispose()
    if postgres:
        _pg_run(pg_dsn(url), ["ALTER TABLE referrals ENABLE TRIGGER USER"])
        pg_restore(pg_dsn(url), restore, 2)
        timings["indexes"] = time.perf_counter() - t
        say(f"indexes and constraints rebuilt in {timings['indexes']:.0f} s")
        t = time.perf_counter()
        pg_finish(pg_dsn(url))
        timings["vacuum_analyze"] = time.perf_counter() - t
        say(f"sequences set, vacuum analyse in {timings['vacuum_analyze']:.0f} s")
    else:
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
    t = time.perf_counter()
    settled = settle(make_app(url), world)
    timings["settle"] = time.perf_counter() - t
    say(f"settled the backlog an hour before the anchor: {settled}")
    timings["total"] = time.perf_counter() - t0
    write_meta(app, world, timings, counts)
    say(f"done in {timings['total']:.0f} s")
    return {"timings": timings, "counts": counts, "settled": settled,
            "anchor": anchor_dt.isoformat()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True,
                        help="postgresql://… (COPY) or sqlite:////path (small scales)")
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 1,000,000 cases")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=2, help="case loader processes (PG)")
    args = parser.parse_args(argv)
    result = generate(args.database_url, scale=args.scale, seed=args.seed, workers=args.workers)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
