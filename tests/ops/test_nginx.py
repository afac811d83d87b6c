"""deploy/nginx/tracker.conf in front of deploy/gunicorn.conf.py, as docs/deploy.md sets them up: TLS with a
self-signed certificate, HSTS, HTTP redirected to HTTPS, static files from nginx itself, the request id
passed through, the upload limit equal to MAX_CONTENT_LENGTH. Only the ports and paths are changed, to
run unprivileged in a temporary folder. .ci/run installs nginx; here it must not skip in CI.
"""
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from config import Config
from tests.conftest import IN_CI, REPO_ROOT, free_port

pytestmark = pytest.mark.slow
SITE = REPO_ROOT / "deploy" / "nginx" / "tracker.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def test_upload_limit_matches_the_app():
    size = re.search(r"client_max_body_size\s+(\d+)m;", SITE.read_text()).group(1)
    assert int(size) * 1024 * 1024 == Config.MAX_CONTENT_LENGTH


def _site(tmp: Path, http: int, https: int, upstream: int) -> str:
    text = SITE.read_text()
    text = re.sub(r"^\s*listen \[::\]:.*\n", "", text, flags=re.M)  # no IPv6 assumed here
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http};")
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;")
    text = text.replace("/etc/tracker/tls/", f"{tmp}/")
    text = text.replace("/var/log/nginx/", f"{tmp}/")
    text = re.sub(r"alias \S+;", f"alias {REPO_ROOT}/tracker/static/;", text)
    return text.replace("127.0.0.1:8000", f"127.0.0.1:{upstream}")


def _nginx_conf(tmp: Path, site: str) -> str:
    temp = "".join(f"    {kind}_temp_path {tmp}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the temporary folder
    return (f"{user}daemon off;\npid {tmp}/nginx.pid;\nerror_log {tmp}/nginx-error.log;\nevents {{}}\n"
            f"http {{\n    include /etc/nginx/mime.types;\n{temp}{site}\n}}\n")


@pytest.fixture
def stack(tmp_path):
    if NGINX is None:
        if IN_CI:
            pytest.fail("nginx is missing in CI: .ci/run installs it", pytrace=False)
        pytest.skip("nginx not installed (apt-get install nginx)")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=tracker.test",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(tmp_path / "tracker.key"),
                    "-out", str(tmp_path / "tracker.crt")], check=True, capture_output=True)
    http, https, upstream = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "MAIL_", "WEB_"))}
    env.update(TRACKER_CONFIG="production", TRACKER_SECRET_KEY="s" * 64, TRACKER_BASE_URL="https://127.0.0.1",
               MAIL_SERVER="127.0.0.1", MAIL_DEFAULT_SENDER="zgdb@tracker.test", TRACKER_PROXY_FIX_X_FOR="1",
               TRACKER_INSTANCE_DIR=str(tmp_path / "instance"), TRACKER_BIND=f"127.0.0.1:{upstream}",
                TRACKER_LOG_FORMAT="text", PYTHONPATH=str(REPO_ROOT))
    subprocess.run([sys.executable, "-c", "from tracker.console import main; main()", "db", "upgrade"], cwd=tmp_path,
                   env=env, check=True, capture_output=True, timeout=120)
    (tmp_path / "nginx.conf").write_text(_nginx_conf(tmp_path, _site(tmp_path, http, https, upstream)))
    check = subprocess.run([NGINX, "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    with open(tmp_path / "web.log", "wb") as web_log, open(tmp_path / "nginx.out", "wb") as nginx_log:
        web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(REPO_ROOT / "deploy" / "gunicorn.conf.py"),
                                "--no-control-socket", "tracker.wsgi:app"], cwd=tmp_path, env=env,
                               stdout=web_log, stderr=subprocess.STDOUT)
        proxy = subprocess.Popen([NGINX, "-c", str(tmp_path / "nginx.conf")], stdout=nginx_log, stderr=nginx_log)
        try:
            yield {"http": http, "https": https, "tmp": tmp_path, "web": web}
        finally:
            for process in (proxy, web):
                process.terminate()
                process.wait(timeout=30)


def _open(url: str, stack, **headers):
    """(status, headers, body) of the first answer that is not nginx's 502 while gunicorn starts."""
    context = ssl.create_default_context(cafile=str(stack["tmp"] / "tracker.crt"))  # the self-signed cert itself

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect)
    for _ in range(150):
        if stack["web"].poll() is not None:
            pytest.fail((stack["tmp"] / "web.log").read_text())
        try:
            with opener.open(urllib.request.Request(url, headers=headers), timeout=5) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            with error:
                if error.code != 502:  # 502: gunicorn not up yet
                    return error.code, error.headers, error.read()
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"no answer from {url}")


def test_nginx_serves_login_over_tls(stack):
    status, headers, body = _open(f"https://127.0.0.1:{stack['https']}/login", stack,
                                  **{"X-Request-ID": "client-forged-123"})
    assert status == 200
    assert "登录" in body.decode("utf-8")
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Secure" in headers["Set-Cookie"]
    rid = headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)  # nginx's own id, not the client's
    status, headers, body = _open(f"https://127.0.0.1:{stack['https']}/static/app.css", stack)
    assert status == 200 and headers["Strict-Transport-Security"] and len(body) > 100
    status, headers, _ = _open(f"http://127.0.0.1:{stack['http']}/login", stack)
    assert status == 301 and headers["Location"].startswith("https://")
    log = (stack["tmp"] / "web.log").read_text()
    assert f"rid={rid}" in log and f"request_id={rid}" in log  # one id in gunicorn's and the app's lines
    assert "/static/app.css" not in log  # served by nginx alone
