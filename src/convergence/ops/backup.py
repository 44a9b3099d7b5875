"""Backup and restore (contract, section 7): one ZIP archive holding every row of the database in a
form that does not depend on the engine (Django's JSON Lines serialisation, one member per table,
rows by primary key), every stored file, and a manifest with the SHA-256 of each member and the
schema version (the migrations applied).

A restore verifies the whole archive before it writes anything, loads into an empty, migrated
database of any engine in one transaction (foreign keys are checked at its end), keeps every
primary key, moves the files into place before the transaction commits and removes them if it
does not: either everything is restored or nothing is.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from django.apps import apps
from django.core import serializers
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "convergence-backup/1"
MANIFEST = "manifest.json"
ROWS = "rows/"
FILES = "files/"
BATCH = 2000
CHUNK = 1024 * 1024

# Tables that `migrate` fills by itself: a fresh database holds them, the archive's replace them.
BOOTSTRAP_MODELS = ("contenttypes.ContentType", "auth.Permission", "sites.Site")


class BackupRefused(Exception):
    """The archive cannot be restored here; nothing was written. One message per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class Summary:
    rows: int = 0
    files: int = 0
    tables: dict[str, int] = field(default_factory=dict)

    def line(self, verb: str) -> str:
        return f"{verb} {self.rows:,} rows and {self.files:,} files"


def backed_up_models() -> list[type[models.Model]]:
    """Every table of the database that Django manages (many-to-many tables included), in a
    stable order."""
    found = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]
    return sorted(found, key=lambda model: model._meta.label_lower)


def _stored_files(storage: Storage, folder: str = "") -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        if not sub.startswith("."):  # a restore's staging folder, editors' files
            yield from _stored_files(storage, f"{folder}/{sub}" if folder else sub)


def applied_schema() -> dict[str, list[str]]:
    schema: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connection).applied_migrations()):
        schema.setdefault(app_label, []).append(name)
    return schema


class _HashingWriter(io.RawIOBase):
    """Counts and hashes what is written to a ZIP member."""

    def __init__(self, target: IO[bytes]):
        self.target = target
        self.sha256 = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self.sha256.update(data)
        self.target.write(data)
        return len(data)


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder, without its rounding of times to the millisecond (ECMA-262's format):
    a restored row keeps its microseconds."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time):
            return o.isoformat()
        return super().default(o)


def _local_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.local_fields if not f.primary_key]


def backup_write(*, target: Path, storage: Storage | None = None) -> Summary:
    """Writes the archive to `target` (replaced only once complete). The rows are read in one
    read-only transaction (PostgreSQL: a REPEATABLE READ snapshot), so they are consistent."""
    storage = storage or default_storage
    summary = Summary()
    members: dict[str, str] = {}
    partial = target.with_name(f".{target.name}.partial")
    serializer_class = serializers.get_serializer("jsonl")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if connection.vendor == "postgresql" and outermost:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            schema = applied_schema()
            for model in backed_up_models():
                name = f"{ROWS}{model._meta.label}.jsonl"
                queryset = model._base_manager.order_by("pk")
                with archive.open(name, "w", force_zip64=True) as member:
                    writer = _HashingWriter(member)
                    text = io.TextIOWrapper(
                        cast(IO[bytes], writer), encoding="utf-8", newline="\n", write_through=True
                    )
                    count = _serialize(serializer_class, queryset, model, text)
                    text.flush()
                    text.detach()
                members[name] = writer.sha256.hexdigest()
                summary.tables[model._meta.label] = count
                summary.rows += count
        for path in _stored_files(storage):
            name = f"{FILES}{path}"
            with storage.open(path, "rb") as source, archive.open(name, "w", force_zip64=True) as member:
                writer = _HashingWriter(member)
                while chunk := source.read(CHUNK):
                    writer.write(chunk)
            members[name] = writer.sha256.hexdigest()
            summary.files += 1
        manifest = {
            "format": FORMAT,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "engine": connection.vendor,
            "schema": schema,
            "tables": summary.tables,
            "files": summary.files,
            "members": members,
        }
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
    partial.replace(target)
    return summary


def _serialize(serializer_class, queryset, model, stream) -> int:
    count = 0

    def rows() -> Iterator[models.Model]:
        nonlocal count
        for row in queryset.iterator(chunk_size=BATCH):
            count += 1
            yield row

    serializer_class().serialize(rows(), stream=stream, fields=_local_fields(model), cls=ExactJSONEncoder)
    return count


# --- Restore ------------------------------------------------------------------------------------


def _read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise BackupRefused([f"{MANIFEST}: missing, this is not a Convergence backup"]) from None
    except ValueError:
        raise BackupRefused([f"{MANIFEST}: not valid JSON"]) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused([f"{MANIFEST}: format is not {FORMAT}"])
    return manifest


def archive_verify(archive: zipfile.ZipFile) -> dict[str, Any]:
    """The manifest, once every member's checksum matches and no member is missing or unlisted."""
    manifest = _read_manifest(archive)
    listed: dict[str, str] = manifest.get("members") or {}
    present = {info.filename for info in archive.infolist() if not info.is_dir()} - {MANIFEST}
    problems = [f"{name}: listed in the manifest but missing" for name in sorted(set(listed) - present)]
    problems += [f"{name}: not listed in the manifest" for name in sorted(present - set(listed))]
    for name in sorted(present & set(listed)):
        digest = hashlib.sha256()
        with archive.open(name) as member:
            while chunk := member.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != listed[name]:
            problems.append(f"{name}: checksum does not match the manifest (the archive was altered)")
    if problems:
        raise BackupRefused(problems)
    return manifest


def _check_schema(manifest: dict[str, Any]) -> None:
    here = {(app, name) for app, names in applied_schema().items() for name in names}
    theirs = {(app, name) for app, names in (manifest.get("schema") or {}).items() for name in names}
    newer = sorted(theirs - here)
    if newer:
        shown = ", ".join(f"{app}.{name}" for app, name in newer[:5])
        more = f" and {len(newer) - 5} more" if len(newer) > 5 else ""
        raise BackupRefused(
            [
                f"schema: the archive is of a newer schema (migrations {shown}{more} are not applied "
                "here): upgrade Convergence and run `convergence migrate` first"
            ]
        )


def _is_default_site_only(model) -> bool:
    rows = list(model._base_manager.values_list("pk", "domain")[:2])
    return rows in ([], [(1, "example.com")])


def _check_empty() -> None:
    occupied = []
    for model in backed_up_models():
        label = model._meta.label
        if label in ("contenttypes.ContentType", "auth.Permission"):
            continue
        if label == "sites.Site":
            if not _is_default_site_only(model):
                occupied.append(label)
            continue
        try:
            with transaction.atomic():
                holds_rows = model._base_manager.exists()
        except DatabaseError:
            raise BackupRefused(
                [f"database: the table of {label} does not exist; run `convergence migrate` first"]
            ) from None
        if holds_rows:
            occupied.append(label)
    if occupied:
        shown = ", ".join(occupied[:8]) + (f" and {len(occupied) - 8} more" if len(occupied) > 8 else "")
        raise BackupRefused(
            [f"database: it already holds data ({shown}); restore only into an empty, migrated database"]
        )


def _batches(lines: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in lines:
        if line.strip():
            batch.append(line)
            if len(batch) >= BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def _load_table(archive: zipfile.ZipFile, name: str, model: type[models.Model]) -> int:
    count = 0
    with archive.open(name) as member:
        lines = io.TextIOWrapper(member, encoding="utf-8")
        for batch in _batches(lines):
            objects = list(serializers.deserialize("jsonl", batch, ignorenonexistent=False))
            for deserialized in objects:
                if type(deserialized.object) is not model:
                    raise BackupRefused([f"{name}: holds rows of {deserialized.object._meta.label}"])
            _insert_raw(model, [d.object for d in objects])
            count += len(objects)
    return count


@contextlib.contextmanager
def _triggers_suspended() -> Iterator[None]:
    """Within the restore's transaction: PostgreSQL disables the user triggers of each table
    (not the internal ones that check foreign keys); SQLite has no such switch, so its triggers
    are dropped and created again from their own definitions."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
            )
            tables = [row[0] for row in cursor.fetchall()]
            # A table with pending (deferred) foreign-key checks cannot be altered: check them now.
            connection.check_constraints()
            for table in tables:
                cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} DISABLE TRIGGER USER")
            yield
            connection.check_constraints()
            for table in tables:
                cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} ENABLE TRIGGER USER")
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL")
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
            yield
            for _name, sql in triggers:
                cursor.execute(sql)
        else:
            yield


def _insert_raw(model: type[models.Model], rows: list[models.Model]) -> None:
    """INSERTs the rows as they are: `raw` keeps every value (no `auto_now`, no default, no
    signal, no save() of ours), each table by itself (a multi-table child's parent row is in its
    parent's table)."""
    fields = list(model._meta.local_concrete_fields)
    size = max(1, connection.ops.bulk_batch_size(fields, rows))
    manager: Any = model._base_manager  # `_insert` is what save_base(raw=True) calls
    for start in range(0, len(rows), size):
        manager._insert(rows[start : start + size], fields=fields, raw=True, using=connection.alias)


def _place_files(archive: zipfile.ZipFile, names: list[str], storage: Storage, placed: list[str]) -> None:
    for name in names:
        path = name[len(FILES) :]
        if storage.exists(path):
            raise BackupRefused([f"{name}: a file of that name is already stored"])
        with archive.open(name) as member:
            saved = storage.save(path, File(member, name=path))
        placed.append(saved)
        if saved != path:
            raise BackupRefused([f"{name}: stored under another name ({saved})"])


def archive_restore(*, source: Path, storage: Storage | None = None) -> Summary:
    storage = storage or default_storage
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise BackupRefused([f"archive: not a readable ZIP archive ({error})"]) from None
    with archive:
        manifest = archive_verify(archive)
        _check_schema(manifest)
        _check_empty()
        known = {model._meta.label: model for model in backed_up_models()}
        tables = [n for n in manifest["members"] if n.startswith(ROWS)]
        unknown = [n for n in tables if n[len(ROWS) : -len(".jsonl")] not in known]
        if unknown:
            raise BackupRefused([f"{name}: no such table here" for name in unknown])
        file_names = sorted(n for n in manifest["members"] if n.startswith(FILES))
        summary = Summary()
        placed: list[str] = []
        try:
            with transaction.atomic():
                for label in BOOTSTRAP_MODELS:
                    if label in known and f"{ROWS}{label}.jsonl" in manifest["members"]:
                        known[label]._base_manager.all().delete()
                # The database's own triggers (the report facts' queue of stale assessments) would
                # add rows while the tables load: the archive already holds what they wrote.
                with _triggers_suspended():
                    for name in sorted(tables):
                        label = name[len(ROWS) : -len(".jsonl")]
                        count = _load_table(archive, name, known[label])
                        summary.tables[label] = count
                        summary.rows += count
                loaded = [known[n[len(ROWS) : -len(".jsonl")]] for n in tables]
                with connection.cursor() as cursor:
                    for statement in connection.ops.sequence_reset_sql(no_style(), loaded):
                        cursor.execute(statement)
                connection.check_constraints(table_names=[model._meta.db_table for model in loaded])
                _place_files(archive, file_names, storage, placed)
                summary.files = len(placed)
        except BaseException as error:
            for path in placed:
                storage.delete(path)
            if isinstance(error, (DatabaseError, DeserializationError)):
                first_line = (
                    str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                )
                raise BackupRefused([f"rows: they cannot be loaded here ({first_line})"]) from error
            raise
    _clear_cached_state()
    return summary


def _clear_cached_state() -> None:
    """Content types are cached per process: the restored ids replace those of the fresh database."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
