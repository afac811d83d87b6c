"""`tracker org …` builds a city's tree from a county install: the default county is hung under the city and
renamed, a second county added; mistakes are refused in Chinese and change nothing."""
from sqlalchemy import func, select

from tests.factories import make_unit
from tracker.models import Organization
from tracker.models.tenants import ensure_default_county
from tracker.ops.org_cli import org_cli


def test_a_county_install_grows_into_a_city(app, db):
    county = ensure_default_county(db.session)
    make_unit(db.session, "青山镇")
    db.session.commit()
    runner = app.test_cli_runner()

    def run(*args):
        return runner.invoke(org_cli, list(args))

    assert run("add", "--name", "临江市", "--level", "市").exit_code == 2  # a city needs its province
    province = run("add", "--name", "江南省", "--level", "省")
    assert province.exit_code == 0, province.output
    province_id = db.session.scalar(select(Organization.id).where(Organization.name == "江南省"))
    city = run("add", "--name", "临江市", "--level", "市", "--parent", str(province_id))
    assert city.exit_code == 0, city.output
    city_id = db.session.scalar(select(Organization.id).where(Organization.name == "临江市"))
    assert run("move", str(county.id), "--parent", str(city_id)).exit_code == 0
    assert run("rename", str(county.id), "--name", "东山县").exit_code == 0
    assert run("add", "--name", "西河县", "--level", "县", "--parent", str(city_id)).exit_code == 0
    refused = run("add", "--name", "西河县", "--level", "县", "--parent", str(city_id))
    assert refused.exit_code == 2 and "已存在" in refused.output
    wrong = run("add", "--name", "某市", "--level", "市", "--parent", str(city_id))
    assert wrong.exit_code == 2 and "不能挂在" in wrong.output
    west_id = db.session.scalar(select(Organization.id).where(Organization.name == "西河县"))
    listing = run("list")
    assert listing.exit_code == 0
    assert listing.output.splitlines() == [
        f"[{province_id}] 省 江南省",
        f"  [{city_id}] 市 临江市",
        f"    [{county.id}] 县 东山县（默认）  责任单位1个",
        f"    [{west_id}] 县 西河县  责任单位0个",
    ]
    assert db.session.scalar(select(func.count(Organization.id))) == 4
