"""The command line: `convergence import_referential` and `convergence export_referential`."""

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import call_command

from convergence.referential import models as ref
from convergence.referential.services import referential_default_paths

from .test_import import MINIMAL, row_counts


def run_import(path: Path | str, capsys) -> tuple[int, str, str]:
    try:
        call_command("import_referential", str(path))
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.django_db
def test_it_prints_a_one_line_summary_and_then_unchanged(tmp_path, capsys):
    path = referential_default_paths()[0]
    assert run_import(path, capsys) == (
        0,
        "created referential doctrine-2019: 12 axes, 10 blocker categories, 27 service types, "
        "14 product categories\n",
        "",
    )
    assert run_import(path, capsys) == (0, "unchanged referential doctrine-2019\n", "")


@pytest.mark.django_db
def test_bad_input_exits_2_with_one_line_per_problem_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(MINIMAL.replace("{INS: 3}", "{INS: 5, FOO: 1}"), encoding="utf-8")
    code, out, err = run_import(path, capsys)
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"{path}: product_categories[0].expected.INS: level 5 outside the scale 0-3",
        f'{path}: product_categories[0].expected.FOO: unknown axis "FOO"; known axes: INS, MSS',
    ]
    assert row_counts() == dict.fromkeys(row_counts(), 0)


@pytest.mark.django_db
def test_a_change_to_a_published_edition_exits_2_and_keeps_it(tmp_path, capsys):
    path = tmp_path / "mini.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    assert run_import(path, capsys)[0] == 0
    before = row_counts()
    path.write_text(MINIMAL.replace("name: Messagerie", "name: Messagerie sécurisée"), encoding="utf-8")
    code, _out, err = run_import(path, capsys)
    assert code == 2
    assert "is published and cannot change" in err
    assert row_counts() == before
    assert ref.Axis.objects.get(code="MSS").name == "Messagerie"


@pytest.mark.django_db
def test_a_missing_file_exits_2(tmp_path, capsys):
    assert run_import(tmp_path / "nowhere.yaml", capsys) == (
        2,
        "",
        f"{tmp_path / 'nowhere.yaml'}: file: no such file\n",
    )


@pytest.mark.django_db
def test_a_directory_or_a_non_utf8_file_exits_2(tmp_path, capsys):
    assert run_import(tmp_path, capsys)[0] == 2
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINIMAL.encode("latin-1"))
    code, _out, err = run_import(path, capsys)
    assert code == 2
    assert err.startswith(f"{path}: file: not UTF-8 text (byte 0xe9 at offset ")
    assert ref.Referential.objects.count() == 0


@pytest.mark.django_db
def test_a_50_mb_file_is_refused_by_its_size_without_being_read(tmp_path, capsys):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as stream:
        stream.write(MINIMAL.encode())
        chunk = b"# " + b"x" * 1022 + b"\n"
        for _ in range(50 * 1024):
            stream.write(chunk)
    size = path.stat().st_size
    assert size > 50 * 1024 * 1024
    code, _out, err = run_import(path, capsys)
    assert code == 2
    assert err == f"{path}: file: {size} bytes, more than the 5242880 bytes a referential may have\n"
    assert ref.Referential.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_code_on_export_exits_2(capsys):
    with pytest.raises(SystemExit) as caught:
        call_command("export_referential", "nope")
    assert caught.value.code == 2
    assert capsys.readouterr().err == "code: unknown referential 'nope'; known referentials: none\n"


@pytest.mark.django_db
def test_export_writes_to_standard_output(capsys):
    call_command("import_referential", str(referential_default_paths()[1]))
    capsys.readouterr()
    call_command("export_referential", "doctrine-2023")
    out = capsys.readouterr().out
    assert "code: doctrine-2023\n" in out
    assert "format: convergence-referential/1\n" in out


@pytest.mark.django_db
def test_export_to_a_pipe_writes_into_it_and_leaves_it_a_pipe(tmp_path):
    """`-o /dev/null` or a named pipe: the export writes into it and never replaces it by a
    regular file (the atomic rename of a normal export once replaced the machine's /dev/null)."""
    call_command("import_referential", str(referential_default_paths()[1]))
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text(encoding="utf-8")), daemon=True)
    reader.start()
    call_command("export_referential", "doctrine-2023", "-o", str(pipe))
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    reader.join(timeout=60)  # an upper bound only: the export above has already written it all
    assert "code: doctrine-2023\n" in received[0]
    assert not [name for name in os.listdir(tmp_path) if name != "pipe"]  # no temporary left


def test_the_installed_command_exits_2_without_a_traceback(tmp_path):
    """The real entry point, in a child process: the exit status a shell script sees."""
    bad = tmp_path / "alias.yaml"
    bad.write_text("code: &c x\ntitle: *c\n", encoding="utf-8")
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "convergence", "import_referential", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert (
        completed.stderr == f"{bad}: line 1, column 7: YAML anchors (&c) are not allowed in a referential\n"
    )
