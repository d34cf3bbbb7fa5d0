"""Gunicorn settings for `bin/app serve`; every value can be changed from the environment."""

import os

# Private unless HOST says otherwise: a sync worker is held by a client that sends slowly, so
# gunicorn belongs behind a buffering proxy (docs/deployment.md). The image sets HOST=0.0.0.0,
# for the proxy's container to reach it.
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Requests are short and bounded by the database statement timeout; a stuck worker is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# The app refuses request lines over 4 KiB and headers over 8 KiB with problem details
# (blog/framework.py); gunicorn's own limits sit above, so only larger ones get its plain answer.
limit_request_line = 8190
limit_request_field_size = 8190
# More header lines than the proxy's 17 KiB of headers can hold, so that the app, not gunicorn,
# refuses too many (blog/framework.py counts their bytes).
limit_request_fields = 8192

# Logs go to stdout and stderr, where the container runtime collects them. The benchmark turns
# the access log off (GUNICORN_ACCESS_LOG=""), for the app and its baseline alike.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")

# Gunicorn 25.1 and later open a control socket for `gunicornc` under $HOME (or
# $XDG_RUNTIME_DIR); the app user has no home, and nothing here uses it.
control_socket_disable = True

# Gunicorn's heartbeat files: in memory when the platform offers it, not on a container layer.
if os.path.isdir("/dev/shm"):  # noqa: S108 - gunicorn's own advice for containers
    worker_tmp_dir = "/dev/shm"  # noqa: S108
