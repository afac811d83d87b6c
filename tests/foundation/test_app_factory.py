"""The factory's safety defaults: a secret key nobody knows, security headers, the config by name."""
import os
import stat

import pytest
from flask import request, request_started

from config import Config, ProductionConfig, TestConfig, config_from_env
from tracker import create_app


def _config(tmp_path, **overrides):
    return type("_Config", (TestConfig,), {"INSTANCE_DIR": str(tmp_path / "instance"),
                                           "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                                           **overrides})


def test_without_a_configured_key_one_is_generated_private_and_kept(tmp_path):
    first = create_app(_config(tmp_path, SECRET_KEY=None))
    key_file = tmp_path / "instance" / "secret_key"
    assert len(first.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    second = create_app(_config(tmp_path, SECRET_KEY=None))
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert first.config["SECRET_KEY"] not in {"dev-only-change-me", ""}


def test_pages_carry_anti_framing_and_content_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("hops", "expected"), [(0, "127.0.0.1"), (1, "10.1.2.3")])
def test_client_address_trusts_forwarded_for_only_when_configured(tmp_path, hops, expected):
    app = create_app(_config(tmp_path, PROXY_FIX_X_FOR=hops))
    seen = []

    def remember(sender, **extra):
        seen.append(request.remote_addr)

    request_started.connect(remember, app)
    app.test_client().get("/login", headers={"X-Forwarded-For": "10.1.2.3"})
    assert seen == [expected]


@pytest.mark.parametrize(("name", "expected"), [(None, Config), ("production", ProductionConfig)])
def test_config_is_chosen_by_name(monkeypatch, name, expected):
    if name is None:
        monkeypatch.delenv("TRACKER_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TRACKER_CONFIG", name)
    assert config_from_env() is expected


def test_unknown_config_name_is_refused(monkeypatch):
    monkeypatch.setenv("TRACKER_CONFIG", "staging")
    with pytest.raises(RuntimeError, match="TRACKER_CONFIG"):
        config_from_env()
