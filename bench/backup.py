"""Backup and restore times (contract, section 7), printed, never asserted.

    .venv/bin/python bench/backup.py [--scale 20] [--source-engine sqlite|postgresql]
                                     [--target-engine postgresql|sqlite] [--keep]

Builds a source database (migrated, then `convergence demo --scale SCALE`: the demonstration data
multiplied; at `--scale 20` about the national volume of subjects), writes one archive with
`convergence backup`, migrates an empty target database (PostgreSQL databases are named
`conv_prod_bench_*` and dropped at the end unless `--keep`), restores the archive into it with
`convergence restore`, and prints: rows and files, archive size, and the wall-clock time of the
backup and of the restore (each a fresh process, so Django's start-up is included, as an
operator would see it). The machine's load average is printed beside the figures: other
sessions may be running on the same cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def database(engine: str, folder: Path, label: str) -> tuple[str, str | None]:
    if engine == "sqlite":
        return f"sqlite:///{folder / (label + '.sqlite3')}", None
    name = f"conv_prod_bench_{label}_{uuid.uuid4().hex[:8]}"
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    return f"postgres://postgres@127.0.0.1:5432/{name}", name


def run(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([BIN / "convergence", *args], env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"convergence {' '.join(args)} failed:\n{result.stderr}")
    return elapsed, result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=20.0)
    parser.add_argument("--source-engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--target-engine", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--keep", action="store_true", help="keep the databases and the archive")
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="conv_prod_bench_"))
    dropped: list[str] = []
    base = {k: v for k, v in os.environ.items() if not k.startswith("CONVERGENCE_") and k != "DATABASE_URL"}
    try:
        source_url, source_db = database(options.source_engine, folder, "source")
        target_url, target_db = database(options.target_engine, folder, "target")
        dropped += [name for name in (source_db, target_db) if name]
        source = {
            **base,
            "DATABASE_URL": source_url,
            "DATA_DIR": str(folder / "source"),
            "SECRET_KEY": "bench" * 10,
        }
        target = {
            **base,
            "DATABASE_URL": target_url,
            "DATA_DIR": str(folder / "target"),
            "SECRET_KEY": "bench" * 10,
        }
        print(f"source {options.source_engine}, target {options.target_engine}, scale {options.scale}")
        seconds, _ = run(source, "migrate", "--noinput", "-v0")
        print(f"  source migrated in {seconds:.1f} s")
        seconds, line = run(source, "demo", "--scale", str(options.scale))
        print(f"  demonstration data loaded in {seconds:.1f} s ({line})")
        archive = folder / "backup.zip"
        backup_seconds, backup_line = run(source, "backup", "-o", str(archive))
        run(target, "migrate", "--noinput", "-v0")
        restore_seconds, restore_line = run(target, "restore", str(archive))
        size = archive.stat().st_size / 1024 / 1024
        print(f"  backup : {backup_seconds:7.1f} s  {backup_line}  archive {size:.1f} MiB")
        print(f"  restore: {restore_seconds:7.1f} s  {restore_line}")
        print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    finally:
        if options.keep:
            print(f"kept: {folder} {' '.join(dropped)}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
            for name in dropped:
                subprocess.run(
                    ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=False
                )


if __name__ == "__main__":
    main()
