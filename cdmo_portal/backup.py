"""Back up the PostgreSQL database, restore it into a fresh one, and prove the copy whole.

`dump` runs `pg_dump -Fc` inside a snapshot it exports, and fingerprints that same snapshot —
the row count of every table and a SHA-256 of every audit table — into a manifest beside the
dump, so the check holds even while the application keeps writing. `restore` creates a new
database, loads the dump with `pg_restore`, fingerprints the copy and compares: any
difference fails the command.

    python -m cdmo_portal.backup dump [--directory var/backups]   (scripts/backup)
    python -m cdmo_portal.backup restore FILE [NAME]              (scripts/restore)

Both read DATABASE_URL; a restore goes to a new database on the same server.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIRECTORY = ROOT / "var" / "backups"
# Row text must not depend on the session that reads it.
STABLE_SESSION = [
    "SET TIME ZONE 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'iso_8601'",
    "SET extra_float_digits = 3",
    "SET bytea_output = 'hex'",
]
# Audit tables are the ones the append-only trigger guards (engagements migration 0005).
AUDIT_TABLES = """
    SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    WHERE t.tgname = 'audit_append_only' AND c.relnamespace = 'public'::regnamespace
    ORDER BY 1
"""
TABLES = """
    SELECT relname FROM pg_class
    WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') ORDER BY 1
"""
PRIMARY_KEY = """
    SELECT a.attname FROM pg_index i
    JOIN pg_class c ON c.oid = i.indrelid
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
    WHERE c.relname = %s AND c.relnamespace = 'public'::regnamespace AND i.indisprimary
    ORDER BY a.attnum
"""


def with_database(database_url, name):
    """The same server and credentials, another database."""
    return make_conninfo(database_url, dbname=name)


def database_name(database_url):
    return conninfo_to_dict(database_url)["dbname"]


def fingerprint(conn):
    """Row counts of every table and a SHA-256 of each audit table, as this session sees them."""
    with conn.transaction():  # in the caller's transaction (its snapshot) if there is one
        return _fingerprint(conn)


def _fingerprint(conn):
    for statement in STABLE_SESSION:
        conn.execute(statement)
    tables = [row[0] for row in conn.execute(TABLES)]
    counts = {
        table: conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        ).fetchone()[0]
        for table in tables
    }
    audit = [row[0] for row in conn.execute(AUDIT_TABLES)]
    return {"tables": counts, "audit_sha256": {t: _table_sha256(conn, t) for t in audit}}


def _table_sha256(conn, table):
    """Every row's text in primary-key order, hashed as it streams from a server-side cursor."""
    keys = [sql.Identifier(row[0]) for row in conn.execute(PRIMARY_KEY, [table])]
    order = sql.SQL(", ").join(keys) if keys else sql.SQL("1")
    query = sql.SQL("SELECT t::text FROM {} AS t ORDER BY {}").format(sql.Identifier(table), order)
    digest = hashlib.sha256()
    with conn.cursor(name=f"hash_{table}") as cursor:
        cursor.itersize = 5000
        cursor.execute(query)
        for (text,) in cursor:
            digest.update(text.encode())
            digest.update(b"\n")
    return digest.hexdigest()


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_path(dump_path):
    return Path(dump_path).with_suffix(".json")


def dump(database_url, directory=DEFAULT_DIRECTORY):
    """pg_dump -Fc into directory/<UTC timestamp>.dump, with its manifest beside it."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    taken_at = datetime.now(UTC)
    path = directory / f"{taken_at:%Y%m%dT%H%M%SZ}.dump"
    if path.exists():
        raise FileExistsError(path)
    with psycopg.connect(database_url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        # pg_dump reads the very snapshot the fingerprint below is taken from.
        subprocess.run(  # noqa: S603 - a fixed program and an argument list, no shell
            ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={path}"]
            + [f"--dbname={database_url}"],
            check=True,
        )
        manifest = fingerprint(conn)
    manifest.update(
        source=database_name(database_url),
        taken_at=taken_at.isoformat(timespec="seconds"),
        dump=path.name,
        dump_sha256=file_sha256(path),
    )
    manifest_path(path).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return path


@dataclass
class Restored:
    database: str
    seconds: float
    rows: int
    tables: int
    audit_tables: int
    differences: list = field(default_factory=list)


def compare(expected, found):
    """What differs between a manifest and a fingerprint, one line each; [] when equal."""
    differences = []
    for part in ("tables", "audit_sha256"):
        for table in sorted(set(expected[part]) | set(found[part])):
            want, have = expected[part].get(table), found[part].get(table)
            if want != have:
                differences.append(f"{part} {table}: {want} in the backup, {have} restored")
    return differences


def create_database(database_url, name):
    """A new, empty database on the server of database_url; refuses an existing name."""
    with psycopg.connect(with_database(database_url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))


def drop_database(database_url, name):
    with psycopg.connect(with_database(database_url, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def restore(dump_path, name, database_url, jobs=2):
    """Load the dump into a new database `name` and compare it with the dump's manifest."""
    dump_path = Path(dump_path)
    manifest = json.loads(manifest_path(dump_path).read_text())
    if file_sha256(dump_path) != manifest["dump_sha256"]:
        raise ValueError(f"{dump_path} is not the file its manifest describes")
    create_database(database_url, name)
    target = with_database(database_url, name)
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - a fixed program and an argument list, no shell
        ["pg_restore", "--exit-on-error", "--no-owner", f"--jobs={jobs}", f"--dbname={target}"]
        + [str(dump_path)],
        check=True,
    )
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("ANALYZE")  # pg_restore leaves the planner without statistics
    seconds = time.perf_counter() - started
    with psycopg.connect(target) as conn:
        found = fingerprint(conn)
    return Restored(
        database=name,
        seconds=seconds,
        rows=sum(found["tables"].values()),
        tables=len(found["tables"]),
        audit_tables=len(found["audit_sha256"]),
        differences=compare(manifest, found),
    )


def _source_url():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "DATABASE_URL must name the PostgreSQL database (the SQLite demo is one file: "
            "copy var/db.sqlite3)."
        )
    return url


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cdmo_portal.backup")
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump", help="pg_dump -Fc DATABASE_URL with its manifest")
    dumping.add_argument("--directory", default=str(DEFAULT_DIRECTORY))
    restoring = commands.add_parser("restore", help="restore FILE into a new database")
    restoring.add_argument("file")
    restoring.add_argument("name", nargs="?", default=os.environ.get("RESTORE_DATABASE"))
    args = parser.parse_args(argv)
    url = _source_url()
    if args.command == "dump":
        path = dump(url, args.directory)
        manifest = json.loads(manifest_path(path).read_text())
        print(
            f"{path} ({path.stat().st_size / 1e6:.1f} MB): {len(manifest['tables'])} tables, "
            f"{sum(manifest['tables'].values())} rows, {len(manifest['audit_sha256'])} audit "
            f"tables hashed; manifest {manifest_path(path)}"
        )
        return 0
    name = args.name or f"{database_name(url)}_restore_{datetime.now(UTC):%Y%m%d%H%M%S}"
    try:
        restored = restore(args.file, name, url)
    except psycopg.errors.DuplicateDatabase:
        sys.exit(f"Database {name} exists: a restore goes into a fresh database; name another.")
    print(
        f"restored {args.file} into {name} in {restored.seconds:.1f} s: {restored.tables} "
        f"tables, {restored.rows} rows, {restored.audit_tables} audit tables"
    )
    for line in restored.differences:
        print(f"DIFFERS {line}", file=sys.stderr)
    if restored.differences:
        return 1
    print("row counts of every table and SHA-256 of every audit table match the backup")
    return 0


if __name__ == "__main__":
    sys.exit(main())
