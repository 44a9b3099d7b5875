# Convergence, production profile: one image for the web processes (gunicorn) and the task
# worker (`convergence db_worker`); see compose.yaml and docs/operations.md.
# Not built on the development machine (no container engine there): see docs/operations.md.
FROM python:3.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    CONVERGENCE_PROFILE=production \
    DATA_DIR=/var/lib/convergence \
    GUNICORN_BIND=0.0.0.0:8000

# WeasyPrint (PDF reports) needs Pango; fonts for the PDF and the charts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
       fonts-dejavu-core shared-mime-info \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --home-dir /srv/convergence --shell /usr/sbin/nologin convergence
WORKDIR /srv/convergence

# Dependencies first (a layer kept while only the code changes), pinned by constraints.txt.
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
RUN pip install -c constraints.txt . \
    && mkdir -p "$DATA_DIR" && chown convergence "$DATA_DIR"
COPY deploy/gunicorn.conf.py ./deploy/gunicorn.conf.py

USER convergence
VOLUME ["/var/lib/convergence"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
