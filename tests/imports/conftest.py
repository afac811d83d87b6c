import pytest

from tests.webhelpers import login, quick_user
from tracker.models import Role


@pytest.fixture
def org_client(client, db, app):
    quick_user(db.session, Role.ORG_DEPT, username="zzb", name="王组织")
    db.session.commit()
    login(client, "zzb")
    return client
