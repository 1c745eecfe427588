"""gunicorn's settings (it reads this file from its working directory): the production image's
web server, logging through the app's own LOGGING, so its lines are JSON like the app's."""

import gc
import os

from config.settings import LOGGING

bind = "0.0.0.0:8000"
workers = int(os.environ.get("WEB_CONCURRENCY") or 3)
# Sync workers answer one connection at a time and close it; the others wait in the listen
# queue, so it must hold every client at once: 200 concurrent connections on the cached day
# page are served with no error (tests/reliability/test_load.py). The kernel caps it at
# net.core.somaxconn (4096 by default).
backlog = 2048
timeout = 30
worker_tmp_dir = "/dev/shm"  # heartbeats in memory, not on the container's overlay disk
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
logconfig_dict = LOGGING | {
    "loggers": {
        name: {"handlers": ["console"], "level": "INFO", "propagate": False}
        for name in ("gunicorn.error", "gunicorn.access")
    }
}

# Load the app once, before forking, and take what it allocated out of the garbage collector's
# sight: full collections over the SDKs' import-time objects otherwise pause requests ~250 ms
# (bench/pages.py measures the difference).
preload_app = True


def pre_fork(server, worker):
    gc.freeze()
