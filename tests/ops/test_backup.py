"""`convergence backup` / `convergence restore` (contract, section 7): a restore into a fresh database
of either engine finds every row and every file identical, the same dataset exports, and every
account logs in with its password and second factor; an occupied database, an altered archive, a
newer schema are refused (exit 2) and nothing is written, even when a restore fails half-way."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.files.base import ContentFile
from django.core.management import call_command

from convergence.assessments.models import Answer, Campaign, Evidence
from convergence.ops.backup import MANIFEST, BackupRefused, archive_restore
from tests.factories import MembershipFactory
from tests.ops.servers import BIN, ROOT, base_env, migrated_sqlite

pytestmark = pytest.mark.django_db

PASSWORD = "restore me 2026!"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(scope="module")
def fresh_sqlite(tmp_path_factory, django_db_setup, django_db_blocker):
    """A migrated, empty SQLite file (copied by each test that restores into it)."""
    path = tmp_path_factory.mktemp("fresh") / "fresh.sqlite3"
    with django_db_blocker.unblock():
        migrated_sqlite(path)
    return path


@pytest.fixture
def source(settings, tmp_path):
    """Demonstration data, an account with a password and TOTP, and stored evidence files."""
    settings.MEDIA_ROOT = tmp_path / "source-media"
    call_command("demo", scale=0.02, stdout=io.StringIO())
    membership = MembershipFactory(role="mandataire")
    # A hasher the restoring process knows (the test suite's own is MD5, for speed).
    hasher = PBKDF2PasswordHasher()
    membership.user.password = hasher.encode(PASSWORD, hasher.salt())
    membership.user.save()
    TOTP.activate(membership.user, TOTP_SECRET)
    answers = list(Answer.objects.order_by("pk")[:2])
    for n, answer in enumerate(answers):
        evidence = Evidence(
            answer=answer, original_name=f"preuve-{n}.pdf", content_type="application/pdf", size=20
        )
        evidence.file.save(f"preuve-{n}.pdf", ContentFile(b"%PDF-1.4 evidence " + bytes([n]) * 3), save=True)
    return membership.user


def _run(env, *args):
    return subprocess.run(
        [BIN / "convergence", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def _target(kind, tmp_path, fresh_sqlite):
    data_dir = tmp_path / f"target-{kind}"
    data_dir.mkdir()
    if kind == "sqlite":
        shutil.copy(fresh_sqlite, data_dir / "db.sqlite3")
        return base_env(data_dir, f"sqlite:///{data_dir / 'db.sqlite3'}"), None
    name = f"conv_prod_restore_{uuid.uuid4().hex[:10]}"
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    env = base_env(data_dir, f"postgres://postgres@127.0.0.1:5432/{name}")
    result = _run(env, "migrate", "--noinput", "-v0")
    assert result.returncode == 0, result.stderr
    return env, name


def _drop(name):
    if name:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=False)


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != MANIFEST}


def _rewrite(path: Path, target: Path, change) -> None:
    """Copies an archive, changing members through `change(name, data) -> data | None` (None drops)."""
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            data = change(name, old.read(name))
            if data is not None:
                new.writestr(name, data)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_restore_into_a_fresh_database_finds_every_row_and_file_identical(
    source, tmp_path, fresh_sqlite, engine, settings
):
    archive = tmp_path / "backup.zip"
    out = io.StringIO()
    call_command("backup", output=str(archive), stdout=out)
    assert out.getvalue().startswith("backed up ") and "and 2 files" in out.getvalue()
    with zipfile.ZipFile(archive) as opened:
        answers = opened.read("rows/assessments.Answer.jsonl").decode()
    # Times keep their microseconds (Django's own JSON rounds them to the millisecond).
    updated = Answer.objects.order_by("pk").first().updated_at
    assert updated.isoformat().replace("+00:00", "Z") in answers
    campaigns = list(Campaign.objects.order_by("code").values_list("code", flat=True))
    assert campaigns
    exports = {}
    for code in campaigns:
        call_command("export_dataset", campaign=code, output=str(tmp_path / f"{code}.json"))
        exports[code] = (tmp_path / f"{code}.json").read_text()

    env, database = _target(engine, tmp_path, fresh_sqlite)
    try:
        restored = _run(env, "restore", str(archive))
        assert restored.returncode == 0, restored.stderr
        [summary] = restored.stdout.strip().splitlines()
        assert summary.startswith("restored ") and summary.endswith(" rows and 2 files")

        again = tmp_path / "again.zip"
        assert _run(env, "backup", "-o", str(again)).returncode == 0
        before, after = _members(archive), _members(again)
        assert sorted(before) == sorted(after)
        different = {
            name: next(
                (a, b)
                for a, b in zip(before[name].splitlines(), after[name].splitlines(), strict=False)
                if a != b
            )
            if before[name].count(b"\n") == after[name].count(b"\n")
            else "row count"
            for name in before
            if before[name] != after[name]
        }
        assert different == {}, "\n".join(f"{n}: {d}" for n, d in different.items())  # byte for byte

        for code in campaigns:
            exported = _run(env, "export_dataset", "--campaign", code, "-o", str(tmp_path / "restored.json"))
            assert exported.returncode == 0, exported.stderr
            assert (tmp_path / "restored.json").read_text() == exports[code], code
        # The account logs in with its password and its second factor (a code from its TOTP secret).
        login = _run(
            env,
            "shell",
            "--no-imports",
            "-c",
            "from allauth.mfa.models import Authenticator; from allauth.mfa.totp.internal import auth; "
            "from allauth.mfa.utils import decrypt; "
            "from convergence.organisations.models import User; "
            f"u = User.objects.get(email={source.email!r}); "
            "secret = decrypt(Authenticator.objects.get(user=u, type='totp').data['secret']); "
            "code = auth.format_hotp_value(auth.hotp_value("
            f"{TOTP_SECRET!r}, next(auth.yield_hotp_counters_from_time()))); "
            f"print(u.check_password({PASSWORD!r}), u.check_password('wrong'), "
            "auth.validate_totp_code(secret, code), secret)",
        )
        assert login.stdout.split() == ["True", "False", "True", TOTP_SECRET], login.stderr
    finally:
        _drop(database)


def test_it_refuses_a_database_that_holds_data_and_writes_nothing(source, tmp_path):
    archive = tmp_path / "backup.zip"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    answers = Answer.objects.count()
    with pytest.raises(BackupRefused) as refusal:
        archive_restore(source=archive)
    assert "already holds data" in refusal.value.problems[0]
    assert Answer.objects.count() == answers


def test_the_command_exits_2_with_one_line_per_problem(source, tmp_path, fresh_sqlite):
    archive = tmp_path / "backup.zip"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    tampered = tmp_path / "tampered.zip"
    _rewrite(
        archive,
        tampered,
        lambda name, data: data.replace(b"evidence", b"EVIDENCE") if name.startswith("files/") else data,
    )
    env, _ = _target("sqlite", tmp_path, fresh_sqlite)
    result = _run(env, "restore", str(tampered))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3  # two altered files, then "nothing was restored"
    assert all("checksum does not match" in line for line in lines[:2])
    assert lines[-1].endswith("nothing was restored")
    check = _run(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from convergence.assessments.models import Answer; print(Answer.objects.count())",
    )
    assert check.stdout.strip() == "0"
    assert not (Path(env["DATA_DIR"]) / "media").exists() or not any(
        (Path(env["DATA_DIR"]) / "media").rglob("*.pdf")
    )


def test_it_refuses_a_newer_schema(source, tmp_path, fresh_sqlite):
    archive = tmp_path / "backup.zip"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    newer = tmp_path / "newer.zip"

    def add_migration(name, data):
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["schema"].setdefault("assessments", []).append("9999_from_the_future")
        return json.dumps(manifest)

    _rewrite(archive, newer, add_migration)
    env, _ = _target("sqlite", tmp_path, fresh_sqlite)
    result = _run(env, "restore", str(newer))
    assert result.returncode == 2
    assert "newer schema" in result.stderr and "assessments.9999_from_the_future" in result.stderr


def test_a_restore_that_fails_half_way_leaves_no_row_and_no_file(source, tmp_path, fresh_sqlite):
    """The rows load, the first file is moved into place, the second collides with a stray file:
    everything is undone, the stray file is left as it was."""
    archive = tmp_path / "backup.zip"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    with zipfile.ZipFile(archive) as opened:
        files = sorted(name for name in opened.namelist() if name.startswith("files/"))
    env, _ = _target("sqlite", tmp_path, fresh_sqlite)
    media = Path(env["DATA_DIR"]) / "media"
    stray = media / files[1][len("files/") :]
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"someone else's file")
    result = _run(env, "restore", str(archive))
    assert result.returncode == 2
    assert "already stored" in result.stderr
    check = _run(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from convergence.assessments.models import Answer; "
        "from convergence.organisations.models import User; "
        "print(Answer.objects.count(), User.objects.count())",
    )
    assert check.stdout.split() == ["0", "0"]
    assert sorted(p.name for p in media.rglob("*") if p.is_file()) == [stray.name]
    assert stray.read_bytes() == b"someone else's file"


def test_rows_that_cannot_be_loaded_are_refused_cleanly(source, tmp_path, fresh_sqlite):
    """An archive with consistent checksums but a row pointing to a missing one (a hand-edited
    backup): refused at the end of the load, nothing kept."""
    archive = tmp_path / "backup.zip"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    broken = tmp_path / "broken.zip"
    dropped = "rows/organisations.Organisation.jsonl"
    digests = {}

    def drop_organisations(name, data):
        if name == dropped:
            data = b""
        if name != MANIFEST:
            digests[name] = hashlib.sha256(data).hexdigest()
            return data
        return data

    _rewrite(archive, broken, drop_organisations)
    fixed = tmp_path / "fixed.zip"

    def fix_manifest(name, data):
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["members"][dropped] = digests[dropped]
        return json.dumps(manifest)

    _rewrite(broken, fixed, fix_manifest)
    env, _ = _target("sqlite", tmp_path, fresh_sqlite)
    result = _run(env, "restore", str(fixed))
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr and "cannot be loaded here" in result.stderr
    check = _run(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from convergence.assessments.models import Answer; print(Answer.objects.count())",
    )
    assert check.stdout.strip() == "0"
