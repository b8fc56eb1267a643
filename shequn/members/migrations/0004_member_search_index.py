"""Search members by name, phone or email through an index instead of a table scan.

- SQLite: an FTS5 table with the trigram tokenizer (SQLite ≥ 3.34), external content on
  members_member, kept in sync by triggers; substring queries of three or more characters use it.
- PostgreSQL: the pg_trgm extension and GIN trigram indexes on UPPER(column), the expression
  Django's `icontains` compares, so `display_name__icontains` and friends use them.
Other databases get nothing (the search falls back to a scan). shequn.members.search recreates
the SQLite triggers after any later migration that rebuilds members_member.
"""

from django.db import migrations

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS members_member_search USING fts5("
    "display_name, phone, email, content='members_member', content_rowid='id', "
    "tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS members_member_search_ai AFTER INSERT ON members_member BEGIN "
    "INSERT INTO members_member_search(rowid, display_name, phone, email) "
    "VALUES (new.id, new.display_name, new.phone, new.email); END",
    "CREATE TRIGGER IF NOT EXISTS members_member_search_ad AFTER DELETE ON members_member BEGIN "
    "INSERT INTO members_member_search(members_member_search, rowid, display_name, phone, email) "
    "VALUES ('delete', old.id, old.display_name, old.phone, old.email); END",
    "CREATE TRIGGER IF NOT EXISTS members_member_search_au "
    "AFTER UPDATE OF display_name, phone, email ON members_member BEGIN "
    "INSERT INTO members_member_search(members_member_search, rowid, display_name, phone, email) "
    "VALUES ('delete', old.id, old.display_name, old.phone, old.email); "
    "INSERT INTO members_member_search(rowid, display_name, phone, email) "
    "VALUES (new.id, new.display_name, new.phone, new.email); END",
    "INSERT INTO members_member_search(members_member_search) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS members_member_search_ai",
    "DROP TRIGGER IF EXISTS members_member_search_ad",
    "DROP TRIGGER IF EXISTS members_member_search_au",
    "DROP TABLE IF EXISTS members_member_search",
]
POSTGRES_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS member_name_trgm ON members_member "
    "USING gin (UPPER(display_name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS member_phone_trgm ON members_member "
    "USING gin (UPPER(phone) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS member_email_trgm ON members_member "
    "USING gin (UPPER(email) gin_trgm_ops)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS member_name_trgm",
    "DROP INDEX IF EXISTS member_phone_trgm",
    "DROP INDEX IF EXISTS member_email_trgm",
]


def _run(schema_editor, statements):
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_CREATE)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_CREATE)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [("members", "0003_fill_counters_sort_keys")]

    operations = [migrations.RunPython(create, drop)]
