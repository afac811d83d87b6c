"""gunicorn settings for 整改督办台账: `gunicorn -c deploy/gunicorn.conf.py tracker.wsgi:app`.

Every number comes from config.py (the one source of settings), so the production check and gunicorn
agree on the worker count. On SQLite keep WEB_CONCURRENCY=1 and scale with threads; on PostgreSQL use
about 2 × cores + 1 workers. Web workers never run jobs: `tracker scheduler` is its own service.
"""
import os

from config import Config

bind = os.environ.get("TRACKER_BIND", "127.0.0.1:8000")  # nginx in front; never exposed directly
workers = Config.WEB_WORKERS
threads = Config.WEB_THREADS
worker_class = "gthread"  # threads serve phones on slow links without one process per request
timeout = Config.WEB_TIMEOUT_SECONDS  # an Excel export of a whole province may take tens of seconds
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, with jitter so that they do not all restart at once.
max_requests = 2000
max_requests_jitter = 200

# Request limits: uploads are bounded by MAX_CONTENT_LENGTH in Flask and client_max_body_size in nginx;
# these bound the request line and headers, which no page of ours needs long.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Access log to stderr (the journal), with nginx's request id to join the two logs.
accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}i)s ua="%(a)s"'

# nginx on the same host sets X-Forwarded-*; trust it from loopback only.
forwarded_allow_ips = "127.0.0.1,::1"
proxy_allow_ips = "127.0.0.1,::1"


def on_starting(server):
    """A `-w` on the command line overrides WEB_CONCURRENCY: check the count gunicorn will really fork."""
    from config import config_from_env
    from tracker.ops.checks import check_workers

    chosen = config_from_env()
    check_workers({name: getattr(chosen, name) for name in dir(chosen) if name.isupper()}, server.cfg.workers)
