"""gunicorn configuration of the production profile (`make serve`, the Dockerfile, the systemd unit).

Every value can be overridden by the environment (GUNICORN_*), documented in docs/operations.md.
Web processes are stateless (sessions in the database, cache and counters in Redis, files on a
shared volume), so several instances can run behind one load balancer.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8200")
# Sync workers: the views are short and CPU-bound (reports, PDF); one database connection pool per process.
workers = int(os.environ.get("GUNICORN_WORKERS", str(max(2, multiprocessing.cpu_count() * 2))))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# Large imports and PDF reports may take long; the load balancer's timeout should be above this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (bounds the growth of a leak), with jitter so
# that workers do not all restart at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# The application writes its own access log (JSON, with the request id): gunicorn's is off.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Behind the reverse proxy, which sets X-Forwarded-Proto / X-Forwarded-For.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "convergence-web"
wsgi_app = "convergence.wsgi:application"
