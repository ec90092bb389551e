"""The statements of the request path, written once as SQL and run without building SQLAlchemy
constructs per call.

Building, caching and compiling a Core statement costs SQLAlchemy 30-60 µs of CPU each time, more
than SQLite takes to run it (bench/results/profile-W2-sqlite.txt); these few statements run on
every request, so they are plain SQL, rendered for each dialect once at import. The schema
itself is still only Alembic's (store/models.py is what the migrations are checked against).

Templates use ``?`` for parameters and ``= ANY(?)`` for "one of a list": PostgreSQL takes that as
is (with ``$n`` numbering and an array parameter); SQLite gets ``IN (SELECT value FROM
json_each(?))`` with the list as a JSON array, so a list of any length is one cached statement.
Both dialects support ``INSERT … ON CONFLICT … DO UPDATE`` with ``excluded``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from commprefs.domain.chain import SEALED_FIELDS

_PLACEHOLDER = re.compile(r"\?")


@dataclass(frozen=True)
class Sql:
    sqlite: str
    postgresql: str


def sql(template: str) -> Sql:
    numbered = iter(range(1, template.count("?") + 1))
    postgresql = _PLACEHOLDER.sub(lambda _: f"${next(numbered)}", template)
    sqlite = template.replace("= ANY(?)", "IN (SELECT value FROM json_each(?))")
    return Sql(sqlite=" ".join(sqlite.split()), postgresql=" ".join(postgresql.split()))


# The table's own column order: Core rows of ``select(tokens)`` are read by the same code.
TOKEN_COLUMNS = "id, portal_id, name, secret_sha256, hint, scopes, created_at, revoked_at"
TOKEN_BY_DIGEST = sql(f"SELECT {TOKEN_COLUMNS} FROM tokens WHERE secret_sha256 = ?")

PORTAL = sql("SELECT id, name, gdpr FROM portals WHERE id = ?")
BUSINESS_UNIT = sql("SELECT portal_id, id, name FROM business_units WHERE portal_id = ? AND id = ?")

# The table's own column order, as for tokens.
DEFINITION_COLUMNS = (
    "id, portal_id, business_unit_id, name, description, purpose, communication_method, "
    "is_active, is_default, is_internal, created_at, updated_at"
)


def _definitions(by_unit: bool, active_only: bool) -> Sql:
    where = "portal_id = ?" + (" AND business_unit_id = ?" if by_unit else "")
    if active_only:
        where += " AND is_active"
    return sql(
        f"SELECT {DEFINITION_COLUMNS} FROM subscription_definitions WHERE {where} ORDER BY id"
    )


# (filtered by business unit, active only) -> statement
DEFINITIONS = {
    (by_unit, active_only): _definitions(by_unit, active_only)
    for by_unit in (False, True)
    for active_only in (False, True)
}

STORED_STATUSES = sql(
    """SELECT subscriber, subscription_id, status, source, legal_basis, legal_basis_explanation,
    updated_at FROM subscription_statuses
    WHERE portal_id = ? AND channel = ? AND subscriber = ANY(?)"""
)

WIDE_STATUSES = sql(
    """SELECT subscriber, channel, wide_type, business_unit_id, status, source, updated_at
    FROM wide_statuses WHERE portal_id = ? AND channel = ? AND subscriber = ANY(?)
    ORDER BY wide_type DESC, business_unit_id"""
)

PUT_STATUS = sql(
    """INSERT INTO subscription_statuses (portal_id, subscriber, channel, subscription_id, status,
    source, legal_basis, legal_basis_explanation, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (portal_id, subscriber, channel, subscription_id) DO UPDATE SET
    status = excluded.status, source = excluded.source, legal_basis = excluded.legal_basis,
    legal_basis_explanation = excluded.legal_basis_explanation, updated_at = excluded.updated_at"""
)

PUT_WIDE_STATUS = sql(
    """INSERT INTO wide_statuses (portal_id, subscriber, channel, wide_type, business_unit_id,
    status, source, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (portal_id, subscriber, channel, wide_type, business_unit_id) DO UPDATE SET
    status = excluded.status, source = excluded.source, updated_at = excluded.updated_at"""
)

# PostgreSQL only: advisory locks held until the transaction ends (SQLite writers are serialised).
LOCK_SUBSCRIBER = sql("SELECT pg_advisory_xact_lock(?)")
# Several keys in one round trip, still taken in the order given.
LOCK_SUBSCRIBERS = sql(
    """SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT k FROM
    unnest(CAST(? AS bigint[])) WITH ORDINALITY AS t(k, n) ORDER BY n) s"""
)
LOCK_CHAIN = sql("SELECT pg_advisory_xact_lock(?, ?)")

CHAIN_HEAD = sql("SELECT seq, hash FROM ledger WHERE portal_id = ? ORDER BY seq DESC LIMIT 1")

# The chained record's fields (domain/chain.py) and the chain itself.
LEDGER_COLUMNS = (*SEALED_FIELDS, "prev_hash", "hash")
INSERT_LEDGER = sql(
    f"INSERT INTO ledger ({', '.join(LEDGER_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in LEDGER_COLUMNS)})"
)

# Erasure (issue 16): the portal's secret, subscribers' data keys and suppressions by keyed hash.
PORTAL_SECRET = sql("SELECT secret FROM portal_secrets WHERE portal_id = ?")
SUBSCRIBER_KEYS = sql(
    "SELECT subject, id, wrapped_key FROM subscriber_keys WHERE portal_id = ? AND subject = ANY(?)"
)
_ADD_KEY = """INSERT INTO subscriber_keys (portal_id, subject, wrapped_key, created_at)
    VALUES (?, ?, ?, ?) ON CONFLICT (portal_id, subject) DO NOTHING"""
ADD_SUBSCRIBER_KEYS = sql(_ADD_KEY)
# One new key, its id back (nothing when another writer made it first).
ADD_SUBSCRIBER_KEY = sql(_ADD_KEY + " RETURNING id")
ERASED_SUBJECTS = sql(
    "SELECT subject, erased_at FROM erased_subscribers WHERE portal_id = ? AND subject = ANY(?)"
)
