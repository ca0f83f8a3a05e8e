"""Demo data: agencies in three regions (one remote district) and one user per role and type.

Idempotent: running it again changes nothing that is already there. Never used in production.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from referral.access.permissions import Role
from referral.access.scope import system_actor
from referral.accounts import service as accounts
from referral.accounts.models import User
from referral.agencies import service as agencies
from referral.agencies.models import Agency
from referral.domains import domain_modules

DEMO_PASSWORD = "Demo-Referral-2026"  # noqa: S105 - printed for the demo on purpose
DEMO_DOMAIN = "demo.example.org"

DISTRICTS = [
    # region, English, Russian, Kazakh, remote
    ("KZ-75", "Almaly District", "Алмалинский район", "Алмалы ауданы", False),
    ("KZ-75", "Auezov District", "Ауэзовский район", "Әуезов ауданы", False),
    ("KZ-43", "Kyzylorda City", "город Кызылорда", "Қызылорда қаласы", False),
    ("KZ-43", "Aral District", "Аральский район", "Арал ауданы", True),
    ("KZ-62", "Zhezkazgan City", "город Жезказган", "Жезқазған қаласы", False),
    ("KZ-62", "Ulytau District", "Улытауский район", "Ұлытау ауданы", True),
]

# key, name, type, region, district, services, 24/7, shelter places, children admitted
AGENCIES = [
    ("almaty_police", "Almaly District Police Department", "police", "KZ-75", "Almaly District",
     ("police_protection",), True, 0, False),
    ("almaty_special_police", "Almaty Unit for Protection of Women and Children",
     "special_police", "KZ-75", "Almaly District", ("police_protection",), True, 0, False),
    ("almaty_crisis", "Almaty Crisis Center \"Komek\"", "crisis_center", "KZ-75",
     "Auezov District", ("shelter", "psychological", "legal_aid"), True, 30, True),
    ("almaty_crisis_2", "Almaty Women's Support Center", "crisis_center", "KZ-75",
     "Almaly District", ("shelter", "psychological"), False, 12, True),
    ("almaty_family", "Auezov Family Support Center", "family_support", "KZ-75",
     "Auezov District", ("family_support_plan", "social_support", "psychological"), False, 0,
     False),
    ("almaty_social", "Almaty Department of Social Services", "social_services", "KZ-75",
     "Almaly District", ("social_support", "child_protection"), False, 0, False),
    ("almaty_health", "Almaty City Polyclinic No. 5", "health", "KZ-75", "Auezov District",
     ("medical",), True, 0, False),
    ("almaty_correctional", "Almaty Correctional Programme Center", "correctional_provider",
     "KZ-75", "Almaly District", ("correctional_programme",), False, 0, False),
    ("almaty_akimat", "Almaty Akimat Interagency Commission", "coordination", "KZ-75",
     "Almaly District", (), False, 0, False),
    ("kyzylorda_police", "Kyzylorda City Police Department", "police", "KZ-43", "Kyzylorda City",
     ("police_protection",), True, 0, False),
    ("kyzylorda_crisis", "Kyzylorda Crisis Center", "crisis_center", "KZ-43", "Kyzylorda City",
     ("shelter", "psychological", "legal_aid"), True, 20, True),
    ("aral_police", "Aral District Police Department", "police", "KZ-43", "Aral District",
     ("police_protection",), True, 0, False),
    ("aral_family", "Aral Family Support Center", "family_support", "KZ-43", "Aral District",
     ("family_support_plan", "social_support"), False, 0, False),
    ("kyzylorda_akimat", "Kyzylorda Regional Coordination Office", "coordination", "KZ-43",
     "Kyzylorda City", (), False, 0, False),
    ("ulytau_police", "Ulytau District Police Department", "police", "KZ-62", "Ulytau District",
     ("police_protection",), True, 0, False),
    ("zhezkazgan_social", "Zhezkazgan Social Services", "social_services", "KZ-62",
     "Zhezkazgan City", ("social_support", "child_protection"), False, 0, False),
    ("almaty_school", "Almaty School-Lyceum No. 1", "education", "KZ-75", "Almaly District", (),
     False, 0, False),
    ("admin_office", "Referral System Administration", "coordination", "KZ-71", None, (), False, 0,
     False),
]

# e-mail local part, full name, agency key, role, coordinator regions, description
USERS = [
    ("police", "Aigerim Nurlanovna", "almaty_police", Role.OFFICER, (), "police officer (Almaty)"),
    ("special.police", "Dana Serikovna", "almaty_special_police", Role.OFFICER, (),
     "special police unit officer (Almaty)"),
    ("police.manager", "Nurlan Bekovich", "almaty_police", Role.AGENCY_MANAGER, (),
     "police unit manager (Almaty)"),
    ("crisis", "Saule Maratovna", "almaty_crisis", Role.OFFICER, (), "crisis-center worker"),
    ("crisis.manager", "Gulnara Askarovna", "almaty_crisis", Role.AGENCY_MANAGER, (),
     "crisis-center manager"),
    ("crisis2", "Madina Erlanovna", "almaty_crisis_2", Role.OFFICER, (),
     "second crisis-center worker"),
    ("family", "Asel Kanatovna", "almaty_family", Role.OFFICER, (), "family support center worker"),
    ("social", "Zhanna Tursynovna", "almaty_social", Role.OFFICER, (), "social worker"),
    ("health", "Yerlan Muratovich", "almaty_health", Role.OFFICER, (), "health worker"),
    ("correctional", "Arman Dauletovich", "almaty_correctional", Role.OFFICER, (),
     "correctional programme provider"),
    ("coordinator", "Aliya Bolatovna", "almaty_akimat", Role.COORDINATOR, ("KZ-75",),
     "coordinator (Almaty city)"),
    ("kyzylorda.coordinator", "Bakhyt Zhumabekovich", "kyzylorda_akimat", Role.COORDINATOR,
     ("KZ-43",), "coordinator (Kyzylorda region)"),
    ("aral.police", "Yerzhan Kairatovich", "aral_police", Role.OFFICER, (),
     "police officer (remote Aral district)"),
    ("kyzylorda.crisis", "Ainur Sabitovna", "kyzylorda_crisis", Role.OFFICER, (),
     "crisis-center worker (Kyzylorda)"),
    ("school", "Gaukhar Amanovna", "almaty_school", Role.OFFICER, (),
     "school safeguarding lead (Almaty)"),
    ("admin", "System Administrator", "admin_office", Role.ADMINISTRATOR, (), "administrator"),
]


@dataclass
class DemoLogins:
    password: str
    accounts: list[tuple[str, str]] = field(default_factory=list)


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def seed() -> DemoLogins:
    """Create what is missing; the caller commits."""
    agencies.load_regions()
    districts = {
        (region, en): agencies.ensure_district(region, en, is_remote=remote, name_ru=ru, name_kk=kk)
        for region, en, ru, kk, remote in DISTRICTS
    }
    by_key = {key: _ensure_agency(row, districts) for key, *row in AGENCIES}
    actor = system_actor("seed-demo")
    logins = DemoLogins(DEMO_PASSWORD)
    for local, name, agency_key, role, regions, label in USERS:
        email = demo_email(local)
        if accounts.find_user_by_email(email) is None:
            user, _ = accounts.create_user(
                actor,
                accounts.UserInput(email=email, full_name=name, agency_id=by_key[agency_key].id,
                                   role=role, region_codes=regions, locale=None),
                initial_password=DEMO_PASSWORD,
            )
            user.must_change_password = False
        logins.accounts.append((email, label))
    users = {local: _user(demo_email(local)) for local, *_ in USERS}
    for module in domain_modules("demo"):
        module.seed(by_key, users)
    return logins


def _user(email: str) -> User:
    return accounts.find_user_by_email(email)  # type: ignore[return-value]


def _ensure_agency(row: tuple, districts: dict) -> Agency:
    from referral.extensions import db

    name, type_, region, district, services, always_open, places, children = row
    agency = db.session.execute(select(Agency).where(Agency.name == name)).scalar_one_or_none()
    if agency is not None:
        return agency
    return agencies.create_agency(None, agencies.AgencyInput(
        name=name, type=type_, region_code=region,
        district_id=districts[(region, district)].id if district else None,
        email=f"duty.{type_}.{region.lower()}@{DEMO_DOMAIN}", phone="+7 700 000 00 00",
        is_24_7=always_open, working_hours="" if always_open else "Mon-Fri 09:00-18:00",
        shelter_places=places, children_admitted=children, services=services,
    ))
