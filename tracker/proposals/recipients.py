"""Who of the staff a mail about a county's task or unit goes to: the 组织部 and 纪委 accounts covering that
county (its own, its city's, its province's and the install-wide ones), never every county's. Read once per
scan step and narrowed in Python per county, not one query per mail."""
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from tracker.models import Role, User
from tracker.models.proposals import Proposal
from tracker.services import access


@dataclass
class Staff:
    """The active 组织部 and 纪委 accounts with the organization tree, read once per scan step: a mail about a
    task or unit of county C goes to the accounts covering C only (C's, its city's, its province's and the
    install-wide ones), never to every county's."""

    org_users: list
    discipline_users: list
    covering: dict  # access.ancestors_of_counties
    _narrowed: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @staticmethod
    def read(session) -> tuple[list, list, dict]:
        users = session.scalars(select(User).where(User.role.in_((Role.ORG_DEPT, Role.DISCIPLINE)),
                                                   User.active.is_(True)).order_by(User.id)).all()
        return ([u for u in users if u.role == Role.ORG_DEPT], [u for u in users if u.role == Role.DISCIPLINE],
                access.ancestors_of_counties(session))

    @classmethod
    def load(cls, session) -> "Staff":
        return cls(*cls.read(session))

    def for_county(self, county_id: int | None):
        """The same recipients narrowed to the accounts covering `county_id` (kept per county: a page has
        thousands of tasks and a handful of counties)."""
        narrowed = self._narrowed.get(county_id)
        if narrowed is None:
            keep = [u for u in self.org_users if access.covers(u, county_id, self.covering)]
            keep_discipline = [u for u in self.discipline_users if access.covers(u, county_id, self.covering)]
            narrowed = replace(self, org_users=keep, discipline_users=keep_discipline)
            narrowed._narrowed = self._narrowed
            self._narrowed[county_id] = narrowed
        return narrowed

    @property
    def users(self) -> list:
        return self.org_users + self.discipline_users


def proposal_county(proposal: Proposal) -> int | None:
    if proposal.unit is not None:
        return proposal.unit.county_id
    task = proposal.task if proposal.task_id is not None else None
    return task.county_id if task is not None else None
