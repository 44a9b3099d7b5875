"""Faults during an import (issue 15): the process running it killed with SIGKILL.

On PostgreSQL (a database of this test's own, `conv_exchange_fault`, created and dropped here):
`convergence import_dataset` is started on a large generated file and killed once it is inside
its data transaction (waited on the server's state: the backend holding the run's lease has a
transaction id newer than the run's own record, i.e. the data transaction is writing). Then:
no partial data, the run is recorded and reads "interrupted" once its lease is found free, and
running the import again succeeds. The same for a web import's background step killed in its
worker. Every wait is on a state and bounded by a deadline; no sleep decides anything.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.exchange.conftest import REFERENTIAL_YAML

psycopg = pytest.importorskip("psycopg")

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SERVER = "postgres://postgres@127.0.0.1:5432"
# One database per pytest-xdist worker (each worker sets up this module's fixture).
DATABASE = "conv_exchange_fault" + (
    f"_{os.environ['PYTEST_XDIST_WORKER']}" if os.environ.get("PYTEST_XDIST_WORKER") else ""
)
DEADLINE = 300  # seconds, for each wait (a loaded 2-core machine)
PRODUCTS = 4000  # 4 axes each, milestones and blockers: 16,000 answers, a transaction of seconds


def _admin():
    try:
        return psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CONVERGENCE_", "DJANGO_", "PYTEST_")) and key not in ("DATABASE_URL", "DEBUG")
    }
    env.update(
        DATA_DIR=str(data_dir),
        DATABASE_URL=f"{SERVER}/{DATABASE}",
        SECRET_KEY="test-" + uuid.uuid4().hex * 2,
        PYTHONPATH=str(ROOT / "src"),
    )
    return env


def _convergence(env, *args, timeout=DEADLINE) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / "convergence", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def _wait(condition, what: str):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)  # polling interval only: the wait ends on the state, not on time
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def fault_db(tmp_path_factory):
    """A fresh, migrated database with the test referential; dropped at the end."""
    admin = _admin()
    admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {DATABASE}")
    data_dir = tmp_path_factory.mktemp("fault-data")
    env = _env(data_dir)
    try:
        migrated = _convergence(env, "migrate", "--noinput", "-v0", timeout=600)
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        referential = data_dir / "referential.yaml"
        referential.write_text(REFERENTIAL_YAML)
        loaded = _convergence(env, "import_referential", str(referential))
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        yield env, data_dir
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.close()


def _query(sql: str, params=()) -> list[tuple]:
    with psycopg.connect(f"{SERVER}/{DATABASE}", autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def siren(number: int) -> str:
    """A valid SIREN (Luhn) per vendor number."""
    from convergence.lib.siren import is_valid_siren

    base = f"{100_000_000 + number * 10:09d}"[:8]
    return next(base + digit for digit in "0123456789" if is_valid_siren(base + digit))


def _dataset(path: Path, campaign: str, products: int = PRODUCTS) -> int:
    """A JSON dataset: a campaign, vendors, products of category dpi answering its 4 axes."""
    answers = []
    for index in range(products):
        answers.append(
            {
                "subject": f"{campaign}-p{index}",
                "status": "submitted",
                "answers": [
                    {
                        "axis": axis,
                        "level": (index + position) % 3,
                        "milestones": [{"level": 3, "due_on": "2027-12-31"}],
                        "blockers": ["visibilite"],
                    }
                    for position, axis in enumerate(("INS", "DMP", "MSS", "SECU"))
                ],
            }
        )
    path.write_text(
        json.dumps(
            {
                "format": "convergence-dataset/1",
                "referential": "doctrine-test",
                "campaign": {
                    "code": campaign,
                    "title": campaign,
                    "opens_on": "2020-09-01",
                    "closes_on": "2020-12-15",
                    "status": "closed",
                },
                "organisations": [
                    {"code": f"{campaign}-v{v}", "name": f"Éditeur {v}", "kind": "vendor", "siren": siren(v)}
                    for v in range(products // 20 + 1)
                ],
                "subjects": [
                    {
                        "code": f"{campaign}-p{index}",
                        "kind": "product",
                        "name": f"Produit {index}",
                        "organisation": f"{campaign}-v{index // 20}",
                        "category": "dpi",
                        "status": "active",
                    }
                    for index in range(products)
                ],
                "assessments": answers,
            }
        )
    )
    return products * 4


def _data_counts(campaign: str) -> tuple[int, int, int]:
    subjects = _query("SELECT count(*) FROM catalog_subject WHERE code LIKE %s", [f"{campaign}-%"])[0][0]
    answers = _query(
        "SELECT count(*) FROM assessments_answer a JOIN assessments_assessment s ON s.id = a.assessment_id "
        "JOIN assessments_campaign c ON c.id = s.campaign_id WHERE c.code = %s",
        [campaign],
    )[0][0]
    campaigns = _query("SELECT count(*) FROM assessments_campaign WHERE code = %s", [campaign])[0][0]
    return campaigns, subjects, answers


def _writing_backend(token: str | None = None) -> int | None:
    """The backend of the running import once it is inside its data transaction: it holds an
    advisory lock (the run's lease) and a transaction id newer than the run's record (committed
    before the data transaction), i.e. the data transaction has started writing."""
    rows = _query(
        """
        SELECT a.pid FROM pg_stat_activity a
        JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted
        JOIN exchange_importrun r ON r.status = 'running' AND r.claimed_at IS NOT NULL
            AND (%(token)s::text IS NULL OR r.token = %(token)s)
        WHERE a.datname = %(db)s AND a.backend_xid IS NOT NULL
          AND a.backend_xid::text::bigint > r.xmin::text::bigint
        """,
        {"db": DATABASE, "token": token},
    )
    return rows[0][0] if rows else None


def _backend_gone(pid: int) -> bool:
    return not _query("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])


def test_an_import_command_killed_in_its_data_transaction_leaves_nothing_partial_and_runs_again(
    fault_db, tmp_path
):
    env, _data_dir = fault_db
    campaign = "KILL-1"
    path = tmp_path / "large.json"
    expected = _dataset(path, campaign)
    process = subprocess.Popen(
        [BIN / "convergence", "import_dataset", str(path)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        backend = _wait(
            lambda: process.poll() is None and _writing_backend(), "the import's data transaction"
        )
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=DEADLINE) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()
    # The server notices the closed connection and rolls the transaction back.
    _wait(lambda: _backend_gone(backend), "the killed import's backend to end")
    assert _data_counts(campaign) == (0, 0, 0)  # nothing partial: not the campaign, not a subject
    # The run was recorded before the data transaction: it is visible, still "running".
    runs = _query("SELECT token, status, source FROM exchange_importrun WHERE file_name = 'large.json'")
    assert [(status, source) for _token, status, source in runs] == [("running", "command")]
    # Running it again succeeds; the dead run is found (its lease is free) and marked interrupted.
    again = _convergence(env, "import_dataset", str(path))
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.strip().startswith("created ")
    assert _data_counts(campaign) == (1, PRODUCTS, expected)
    statuses = _query(
        "SELECT status, problems::text FROM exchange_importrun WHERE file_name = 'large.json' ORDER BY id"
    )
    assert [status for status, _problems in statuses] == ["interrupted", "applied"]
    assert "stopped before it finished" in statuses[0][1]
    # And once more: unchanged, nothing written.
    third = _convergence(env, "import_dataset", str(path))
    assert third.returncode == 0 and " created 0, updated 0" in " " + third.stdout.strip()


WORKER = """
import sys
from convergence.exchange.models import ImportRun
from convergence.exchange.services import import_run_apply
run = ImportRun.objects.get(token=sys.argv[-1])
import_run_apply(run=run)
"""

PREPARE = """
import sys
from pathlib import Path
from django.core.files.uploadedfile import SimpleUploadedFile
from convergence.exchange.models import ImportRun
from convergence.exchange.services import import_run_check, import_run_confirm, import_upload_store
from convergence.organisations.models import Organisation
path = Path(sys.argv[-1])
agency, _ = Organisation.objects.get_or_create(code="ans", defaults={"name": "Agence", "kind": "agency"})
run = import_upload_store(
    uploaded=SimpleUploadedFile(path.name, path.read_bytes()),
    user=None,
    organisation=agency,
    restricted=False,
)
import_run_check(run=run)
run.refresh_from_db()
assert run.status == "previewed", run.problems[:3]
assert import_run_confirm(run=run)
print(run.token)
"""


def _flat_dataset(path: Path, campaign: str, products: int = PRODUCTS) -> int:
    from convergence.exchange.formats import EXPORT_COLUMNS

    lines = [",".join(EXPORT_COLUMNS)]
    for index in range(products):
        for axis in ("INS", "DMP", "MSS", "SECU"):
            lines.append(
                ",".join(
                    [
                        campaign,
                        f"{campaign}-w{index // 20}",
                        f"Éditeur {index // 20}",
                        "vendor",
                        "",
                        f"{campaign}-q{index}",
                        "product",
                        f"Produit {index}",
                        "dpi",
                        "active",
                        "draft",
                        axis,
                        str(index % 3),
                        "3",
                        "2027-12-31",
                        "visibilite",
                        "",
                        siren(index // 20),
                    ]
                )
            )
    path.write_text("\n".join(lines) + "\n")
    return products * 4


def test_a_web_import_whose_worker_is_killed_is_marked_interrupted_and_can_run_again(fault_db, tmp_path):
    env, _data_dir = fault_db
    # The campaign the flat file writes into (a JSON dataset defines it).
    campaign = "WEB-1"
    definition = tmp_path / "campaign.json"
    _dataset(definition, campaign, products=1)
    assert _convergence(env, "import_dataset", str(definition)).returncode == 0
    path = tmp_path / "large.csv"
    expected = _flat_dataset(path, campaign)
    prepared = subprocess.run(
        [BIN / "python", "-c", "import django; django.setup()\n" + PREPARE, str(path)],
        env={**env, "DJANGO_SETTINGS_MODULE": "convergence.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert prepared.returncode == 0, prepared.stderr[-3000:]
    token = prepared.stdout.strip().splitlines()[-1]
    worker = subprocess.Popen(
        [BIN / "python", "-c", "import django; django.setup()\n" + WORKER, token],
        env={**env, "DJANGO_SETTINGS_MODULE": "convergence.settings"},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        backend = _wait(
            lambda: worker.poll() is None and _writing_backend(token), "the worker's data transaction"
        )
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=DEADLINE) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        worker.stdout.close()
        worker.stderr.close()
    _wait(lambda: _backend_gone(backend), "the killed worker's backend to end")
    assert _data_counts(campaign)[1:] == (1, 4)  # only the definition's product: nothing of the file
    assert _query("SELECT status FROM exchange_importrun WHERE token = %s", [token]) == [("running",)]
    # What the status page does: the lease is free, so the run is marked interrupted; then the
    # user runs it again (what the "Run the import again" button does) and it applies.
    retried = subprocess.run(
        [
            BIN / "python",
            "-c",
            "import django, sys; django.setup()\n"
            "from convergence.exchange.models import ImportRun\n"
            "from convergence.exchange import services\n"
            "run = ImportRun.objects.get(token=sys.argv[-1])\n"
            "assert services.import_runs_reap(runs=ImportRun.objects.filter(pk=run.pk)) == 1\n"
            "run.refresh_from_db(); assert run.status == 'interrupted', run.status\n"
            "assert services.import_run_retry(run=run) == 'apply'\n"
            "services.import_run_apply(run=run)\n"
            "run.refresh_from_db(); print(run.status)\n",
            token,
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "convergence.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert retried.returncode == 0, retried.stderr[-3000:]
    assert retried.stdout.strip().splitlines()[-1] == "applied"
    assert _data_counts(campaign)[1:] == (1 + PRODUCTS, 4 + expected)
