import pytest

from tests.webhelpers import World


@pytest.fixture
def world(app, db):
    return World(app, db.session)
