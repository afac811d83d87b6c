"""Two counties of one city (东山县, 西河县 under 临江市), a county of another city (北岭县 under 远山市), all
under one province: each county with a unit holding every kind of record (tests/security/world's unit
records: tasks, evidence files, proposals, a review), plus a county-wide task. Accounts: a 组织部 per county,
one for the city, one for the province, one for the other city; a 纪委 of 东山县.

Both counties' units are called 青山镇: scoping must go by county, never by a unit's name.
"""
from dataclasses import dataclass
from datetime import timedelta

from tests.factories import make_task, make_unit
from tests.security.world import UnitRecords, _unit_records
from tests.webhelpers import quick_user
from tracker.models import Organization, OrgLevel, Role, User
from tracker.models.types import utcnow
from tracker.timeutil import local_date


@dataclass
class County:
    node: Organization
    records: UnitRecords
    overall: object  # 全县共性问题: no unit


@dataclass
class Tenants:
    province: Organization
    city: Organization
    east: County
    west: County
    far: County  # in the other city
    users: dict
    today: object


def _county(app, session, name, parent, prefix, now, today) -> County:
    node = Organization(name=name, level=OrgLevel.COUNTY, parent_id=parent.id)
    session.add(node)
    session.flush()
    org = quick_user(session, Role.ORG_DEPT, username=f"zzb-{prefix}", name=f"{name}组织部")
    org.organization_id = node.id
    unit = make_unit(session, "青山镇")
    unit.county_id = node.id
    session.flush()
    records = _unit_records(app, session, unit, prefix, org, now, today)
    records.review.county_id = node.id
    overall = make_task(session, unit, None, records.review, deadline=today - timedelta(days=3),
                        text=f"{name}共性问题：软弱涣散")
    overall.unit_id, overall.is_overall, overall.comment_id, overall.owner_id = None, True, None, org.id
    overall.county_id = node.id
    session.flush()
    return County(node=node, records=records, overall=overall)


def build_tenants(app, session) -> Tenants:
    now = utcnow()
    today = local_date(now, app.config["TIMEZONE"])
    province = Organization(name="江南省", level=OrgLevel.PROVINCE)
    session.add(province)
    session.flush()
    city = Organization(name="临江市", level=OrgLevel.CITY, parent_id=province.id)
    other_city = Organization(name="远山市", level=OrgLevel.CITY, parent_id=province.id)
    session.add_all([city, other_city])
    session.flush()
    east = _county(app, session, "东山县", city, "e", now, today)
    west = _county(app, session, "西河县", city, "w", now, today)
    far = _county(app, session, "北岭县", other_city, "f", now, today)
    users = {key: session.query(User).filter_by(username=name).one()
             for key, name in (("org_e", "zzb-e"), ("org_w", "zzb-w"), ("org_f", "zzb-f"))}
    for key, node, role in (("org_city", city, Role.ORG_DEPT), ("org_prov", province, Role.ORG_DEPT),
                            ("org_other_city", other_city, Role.ORG_DEPT), ("disc_e", east.node, Role.DISCIPLINE)):
        users[key] = quick_user(session, role, username=key.replace("_", "-"), name=f"{node.name}{key}")
        users[key].organization_id = node.id
    users["sec_e"], users["sec_w"] = east.records.secretary, west.records.secretary
    users["admin"] = quick_user(session, Role.ADMIN, username="admin", name="管理员")
    session.commit()
    return Tenants(province=province, city=city, east=east, west=west, far=far, users=users, today=today)
