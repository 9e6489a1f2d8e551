"""Deterministic seed data: realistic organizations, users and a few memberships."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from arize_orgs_nb.sandbox.store import format_time

# Seed timestamps end here, so the same seed gives the same data on any day.
ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)

AREAS = (
    "Fraud Detection",
    "Search Ranking",
    "Recommendations",
    "Risk Scoring",
    "Churn Prediction",
    "Dynamic Pricing",
    "Demand Forecasting",
    "Customer Support",
    "Ads Relevance",
    "Credit Underwriting",
    "Content Moderation",
    "Supply Chain",
    "Voice Assistant",
    "Document AI",
    "Agent Engineering",
    "LLM Evaluation",
    "Computer Vision",
    "Payments",
    "Growth Analytics",
    "Marketplace Trust",
    "Claims Automation",
    "Personalization",
    "Conversational AI",
    "Anomaly Detection",
    "Lead Scoring",
    "Retention",
    "Identity Verification",
    "Speech Recognition",
    "Machine Translation",
    "Feed Ranking",
)
SUFFIXES = (
    "",
    " Team",
    " Platform",
    " Lab",
    " Research",
    " Ops",
    " EMEA",
    " APAC",
    " North America",
    " Core",
    " Prod",
    " Staging",
)
UNICODE_NAMES = (
    "Équipe Données",
    "Análisis de Riesgo",
    "Qualitätssicherung",
    "Données Clients",
    "Équipe Modèles",
    "Машинное обучение",
    "データサイエンス",
    "Ciência de Dados",
    "Øresund Analytics",
    "Zürich ML",
    "Señales de Fraude",
    "Künstliche Intelligenz",
)
DESCRIPTIONS = (
    "Models and monitors for {area}.",
    "Owned by the {area} team; production and staging spaces.",
    "Experiments and evaluations for {area}",
    "Shared org for {area} (on-call: see runbook)",
    "{area}: LLM tracing, datasets and annotation queues",
)
FIRST_NAMES = (
    "Ana",
    "João",
    "Maria",
    "Liam",
    "Olivia",
    "Noah",
    "Emma",
    "Mateo",
    "Sofia",
    "Lucas",
    "Chloé",
    "Hiroshi",
    "Yuki",
    "Aisha",
    "Omar",
    "Priya",
    "Arjun",
    "Wei",
    "Mei",
    "Lars",
    "Ingrid",
    "Zoë",
    "Kwame",
    "Amara",
    "Diego",
    "Elena",
    "Tomás",
    "Fatima",
    "Jonas",
    "Nina",
)
LAST_NAMES = (
    "Silva",
    "Santos",
    "García",
    "Müller",
    "Smith",
    "Johnson",
    "Rossi",
    "Dubois",
    "Tanaka",
    "Sato",
    "Khan",
    "Patel",
    "Chen",
    "Wang",
    "Nilsson",
    "Larsen",
    "Mensah",
    "Okafor",
    "Fernández",
    "Novak",
    "Kowalski",
    "O'Brien",
    "Nguyen",
    "Kim",
    "Cohen",
    "Ivanova",
)


@dataclass(frozen=True)
class SeedData:
    """Rows ready for :meth:`Store.bulk_insert`.

    Attributes:
        orgs: ``(name, description, created_at)``.
        users: ``(name, email, created_at, status, role, is_developer)``.
        memberships: ``(org_index, user_index, role)``.
    """

    orgs: list[tuple[str, str, str]]
    users: list[tuple[str, str, str, str, str, bool]]
    memberships: list[tuple[int, int, str]]


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(c for c in plain.lower() if c.isalnum())


def _times(rng: random.Random, count: int) -> list[str]:
    """Return ``count`` strictly increasing timestamps over the three years before ANCHOR."""
    start = ANCHOR - SPAN
    step = SPAN.total_seconds() / max(count, 1)
    return [format_time(start + timedelta(seconds=step * (i + 0.9 * rng.random()))) for i in range(count)]


def _org_names(rng: random.Random, count: int) -> list[str]:
    pool = [a + s for a in AREAS for s in SUFFIXES] + list(UNICODE_NAMES)
    rng.shuffle(pool)
    names: list[str] = []
    seen: set[str] = set()
    next_pool = 0
    for i in range(count):
        if next_pool < len(pool) and rng.random() < 0.7:
            name = pool[next_pool]
            next_pool += 1
        else:
            name = f"{rng.choice(AREAS)} {i:04d}"
        while name.casefold() in seen:  # cannot happen by construction; stay safe
            name += "+"
        seen.add(name.casefold())
        names.append(name)
    return names


def generate(orgs: int, users: int, seed: int) -> SeedData:
    """Generate ``orgs`` organizations and ``users`` users; the same arguments give the same rows."""
    rng = random.Random(f"arize-sandbox-seed:{seed}")
    org_rows: list[tuple[str, str, str]] = []
    for name, created in zip(_org_names(rng, orgs), _times(rng, orgs), strict=True):
        if rng.random() < 0.25:
            description = ""
        else:
            area = name.rstrip("+0123456789 ")
            description = rng.choice(DESCRIPTIONS).format(area=area)
        org_rows.append((name, description, created))

    roles: list[str] = []
    for _ in range(users):
        roll = rng.random()
        roles.append("ADMIN" if roll < 0.1 else "MEMBER" if roll < 0.8 else "ANNOTATOR")
    if users >= 3 and len(set(roles)) < 3:
        roles[:3] = ["ADMIN", "MEMBER", "ANNOTATOR"]
    user_rows: list[tuple[str, str, str, str, str, bool]] = []
    for i, (role, created) in enumerate(zip(roles, _times(rng, users), strict=True)):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{_ascii(first)}.{_ascii(last)}{i}@example.com"
        roll = rng.random()
        status = "ACTIVE" if roll < 0.8 else "INVITED" if roll < 0.92 else "EXPIRED"
        developer = role == "ADMIN" or (role == "MEMBER" and rng.random() < 0.6)
        user_rows.append((f"{first} {last}", email, created, status, role, developer))

    memberships: list[tuple[int, int, str]] = []
    if orgs and users:
        for org_index in range(min(orgs, 20)):
            for user_index in sorted(rng.sample(range(users), min(users, rng.randint(1, 4)))):
                if roles[user_index] == "ANNOTATOR":
                    role = "ANNOTATOR"
                else:
                    role = rng.choice(("ADMIN", "MEMBER", "MEMBER", "READ_ONLY"))
                memberships.append((org_index, user_index, role))
    return SeedData(org_rows, user_rows, memberships)
