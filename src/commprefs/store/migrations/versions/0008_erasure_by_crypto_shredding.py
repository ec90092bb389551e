"""subscriber keys, encrypted personal fields and erasure (issue 16)

The cleartext ledger is replaced by a sealed one (the table keeps its name, "ledger"): each entry's
personal fields (the address, the legal basis explanation, and the consent context where revision
0007 recorded one) become one AES-256-GCM blob under a data key of that subscriber, and the chain
(commprefs-ledger-sealed-v1) covers that blob, so that erasure can destroy the key and leave every
entry in place and verifiable. Every existing entry is copied in seq order with its seq, times,
statuses, source, API, token and request id unchanged, and with its hash in the old chain
(``legacy_hash``): the old chain is anchored entry by entry in the new one, so anyone who kept an
old head (seq and hash, as ``ledger verify`` printed it) finds it as the legacy hash of that seq,
and ``ledger verify`` recomputes each old hash from the opened fields while the key exists. Before
copying, the old chain's links are checked and every old hash is recomputed under the rule of
revision 0007 (the v1 record, with the consent context as its JSON text when the entry has one):
a broken old chain stops the migration (nothing is copied or dropped). Then
the cleartext table (set aside as "ledger_cleartext") is dropped (on SQLite with secure_delete,
so its pages are zeroed). The database's triggers keep refusing UPDATE, DELETE and TRUNCATE.

Adds: portal_secrets (one random secret per portal), subscriber_keys (wrapped data keys,
mutable: erasure deletes them), erased_subscribers (suppressions by keyed hash).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 20:45:00
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_GENESIS = "0" * 64
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY = "the ledger is append-only"
_SQLITE_TRIGGERS = {"ledger_append_only_update": "UPDATE", "ledger_append_only_delete": "DELETE"}
_ASIDE = "ledger_cleartext"

# Frozen: the v1 record (domain/chain.py FIELDS of 2026-11-27, with revision 0007's consent
# context, domain/chain.py entry_hash of 2026-12-06) and the sealed record, key derivation and
# blob format (domain/chain.py SEALED_FIELDS, domain/sealing.py of 2026-12-06).
_V1_FIELDS = (
    "portal_id",
    "seq",
    "subscriber",
    "channel",
    "subscription_id",
    "wide_type",
    "business_unit_id",
    "old_status",
    "new_status",
    "legal_basis",
    "legal_basis_explanation",
    "source",
    "api",
    "token_id",
    "request_id",
    "created_at",
    "occurred_at",
)
_SEALED_FIELDS = (
    "portal_id",
    "seq",
    "kind",
    "key_id",
    "subject_hash",
    "channel",
    "subscription_id",
    "wide_type",
    "business_unit_id",
    "old_status",
    "new_status",
    "legal_basis",
    "source",
    "api",
    "token_id",
    "request_id",
    "created_at",
    "occurred_at",
    "sealed",
    "legacy_hash",
)
# domain/sealing.py PERSONAL_FIELDS: the address, the explanation and the consent context.
_PERSONAL = ("subscriber", "legal_basis_explanation", "context")
_CLEAR = [n for n in _V1_FIELDS if n not in _PERSONAL]
_BATCH = 1000


def _v1_hash(prev_hash: str, row: Mapping[str, Any] | sa.RowMapping) -> str:
    """Revision 0007's rule: the consent context (its stored JSON text) is in the record only
    when the entry has one, so an entry of before 0007 hashes as it always did."""
    fields = {n: row[n] for n in _V1_FIELDS}
    if row.get("context") is not None:
        fields["context"] = row["context"]
    record = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(
        b"commprefs-ledger-v1\n" + prev_hash.encode() + b"\n" + record
    ).hexdigest()


def _sealed_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    fields = {n: row[n] for n in _SEALED_FIELDS}
    if fields["sealed"] is not None:
        fields["sealed"] = bytes(fields["sealed"]).hex()
    record = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    prefix = b"commprefs-ledger-sealed-v1\n"
    return hashlib.sha256(prefix + prev_hash.encode() + b"\n" + record).hexdigest()


def _derived(secret: bytes, purpose: bytes) -> bytes:
    return hmac.new(secret, b"commprefs-" + purpose, hashlib.sha256).digest()


def _subject(secret: bytes, subscriber: str) -> str:
    return hmac.new(
        _derived(secret, b"subject-hash"), subscriber.encode(), hashlib.sha256
    ).hexdigest()


def _wrap(secret: bytes, portal_id: int, subject: str, data_key: bytes) -> bytes:
    nonce = os.urandom(12)
    aad = f"commprefs\n{portal_id}\n{subject}".encode()
    return nonce + AESGCM(_derived(secret, b"key-wrap")).encrypt(nonce, data_key, aad)


def _unwrap(secret: bytes, portal_id: int, subject: str, wrapped: bytes) -> bytes:
    aad = f"commprefs\n{portal_id}\n{subject}".encode()
    return AESGCM(_derived(secret, b"key-wrap")).decrypt(wrapped[:12], wrapped[12:], aad)


def _seal(data_key: bytes, portal_id: int, key_id: int, personal: Mapping[str, Any]) -> bytes:
    nonce = os.urandom(12)
    aad = f"commprefs\n{portal_id}\nkey {key_id}".encode()
    return b"\x01" + nonce + AESGCM(data_key).encrypt(nonce, orjson.dumps(dict(personal)), aad)


def _unseal(data_key: bytes, portal_id: int, key_id: int, sealed: bytes) -> dict[str, Any]:
    aad = f"commprefs\n{portal_id}\nkey {key_id}".encode()
    opened: dict[str, Any] = orjson.loads(AESGCM(data_key).decrypt(sealed[1:13], sealed[13:], aad))
    return opened


def _tables() -> tuple[sa.Table, sa.Table, sa.Table]:
    meta = sa.MetaData()
    secrets = sa.Table(
        "portal_secrets", meta, sa.Column("portal_id"), sa.Column("secret"), sa.Column("created_at")
    )
    keys = sa.Table(
        "subscriber_keys",
        meta,
        *(sa.Column(n) for n in ("id", "portal_id", "subject", "wrapped_key", "created_at")),
    )
    sealed = sa.Table(
        "ledger", meta, *(sa.Column(n) for n in (*_SEALED_FIELDS, "prev_hash", "hash"))
    )
    return secrets, keys, sealed


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        # Freed pages (the dropped cleartext table) are overwritten with zeros.
        op.execute("PRAGMA secure_delete = ON")
    names = (*_V1_FIELDS, "context", "prev_hash", "hash")  # revision 0007's table
    # Checked where it stands, before anything is changed.
    _check_old_chains(bind, sa.table("ledger", *map(sa.column, names)))
    old = sa.table(_ASIDE, *map(sa.column, names))
    _set_aside(
        sqlite, {"pk_ledger", "uq_ledger_portal_id_seq"}, "ix_ledger_portal_id_subscriber_id"
    )
    _create_tables()
    secrets_table, keys_table, sealed_table = _tables()
    now = int(time.time() * 1000)
    portal_secrets: dict[int, bytes] = {}
    # Every portal, and any whose entries outlived it.
    known = "SELECT id FROM portals UNION SELECT portal_id FROM ledger_cleartext ORDER BY 1"
    for (portal_id,) in bind.execute(sa.text(known)):
        portal_secrets[portal_id] = os.urandom(32)
        bind.execute(
            sa.insert(secrets_table),
            [{"portal_id": portal_id, "secret": portal_secrets[portal_id], "created_at": now}],
        )
    data_keys: dict[tuple[int, str], tuple[int, bytes]] = {}
    previous: dict[int, str] = {}
    batch: list[dict[str, Any]] = []
    rows = bind.execute(sa.select(old).order_by(old.c.portal_id, old.c.seq)).mappings().all()
    for found in rows:
        row = dict(found)
        portal_id = row["portal_id"]
        secret = portal_secrets[portal_id]
        ident = (portal_id, row["subscriber"])
        if ident not in data_keys:
            subject = _subject(secret, row["subscriber"])
            data_key = os.urandom(32)
            wrapped = _wrap(secret, portal_id, subject, data_key)
            key_id = bind.execute(
                sa.insert(keys_table)
                .values(portal_id=portal_id, subject=subject, wrapped_key=wrapped, created_at=now)
                .returning(keys_table.c.id)
            ).scalar_one()
            data_keys[ident] = (int(key_id), data_key)
        key_id, data_key = data_keys[ident]
        entry = {n: row[n] for n in _CLEAR}
        entry.update(
            kind=None,
            key_id=key_id,
            subject_hash=None,
            sealed=_seal(data_key, portal_id, key_id, _personal(row)),
            legacy_hash=row["hash"],
            prev_hash=previous.get(portal_id, _GENESIS),
        )
        entry["hash"] = previous[portal_id] = _sealed_hash(entry["prev_hash"], entry)
        batch.append(entry)
        if len(batch) >= _BATCH:
            bind.execute(sa.insert(sealed_table), batch)
            batch = []
    if batch:
        bind.execute(sa.insert(sealed_table), batch)
    op.drop_table(_ASIDE)
    _make_append_only(sqlite)


def _personal(row: Mapping[str, Any]) -> dict[str, Any]:
    """The fields to seal; revision 0007's consent context (JSON text) as the object it holds."""
    fields = {n: row[n] for n in _PERSONAL}
    if isinstance(fields.get("context"), str | bytes):
        fields["context"] = orjson.loads(fields["context"])
    return fields


def _context_text(context: Any) -> str | None:
    """A sealed consent context as revision 0007 stored it: JSON, keys sorted, no whitespace."""
    if context is None:
        return None
    return orjson.dumps(context, option=orjson.OPT_SORT_KEYS).decode()


def _check_old_chains(bind: sa.Connection, old: sa.TableClause) -> None:
    """Refuse to copy a chain that is already broken: the copy would vouch for it."""
    expected: dict[int, tuple[int, str]] = {}
    for found in bind.execute(sa.select(old).order_by(old.c.portal_id, old.c.seq)).mappings():
        seq, previous = expected.get(found["portal_id"], (1, _GENESIS))
        intact = found["seq"] == seq and found["prev_hash"] == previous
        intact = intact and _v1_hash(previous, found) == found["hash"]
        if not intact:
            raise RuntimeError(
                f"Revision 0008 stops: the ledger of portal {found['portal_id']} is broken at "
                f"entry {found['seq']} (run `commprefs ledger verify` on the previous release); "
                "nothing was changed."
            )
        expected[found["portal_id"]] = (seq + 1, found["hash"])


def _create_tables() -> None:
    op.create_table(
        "portal_secrets",
        sa.Column("portal_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("portal_id", name=op.f("pk_portal_secrets")),
    )
    op.create_table(
        "subscriber_keys",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("portal_id", sa.BigInteger(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriber_keys")),
        sa.UniqueConstraint(
            "portal_id", "subject", name=op.f("uq_subscriber_keys_portal_id_subject")
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "erased_subscribers",
        sa.Column("portal_id", sa.BigInteger(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("portal_id", "subject", name=op.f("pk_erased_subscribers")),
    )
    op.create_table(
        "ledger",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("portal_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("key_id", sa.BigInteger(), nullable=True),
        sa.Column("subject_hash", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("subscription_id", sa.BigInteger(), nullable=True),
        sa.Column("wide_type", sa.String(length=24), nullable=True),
        sa.Column("business_unit_id", sa.BigInteger(), nullable=True),
        sa.Column("old_status", sa.String(length=16), nullable=True),
        sa.Column("new_status", sa.String(length=16), nullable=True),
        sa.Column("legal_basis", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("api", sa.String(length=32), nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", sa.BigInteger(), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("legacy_hash", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger")),
        sa.UniqueConstraint("portal_id", "seq", name=op.f("uq_ledger_portal_id_seq")),
    )
    op.create_index(
        op.f("ix_ledger_portal_id_key_id_seq"),
        "ledger",
        ["portal_id", "key_id", "seq"],
        unique=False,
    )


def _drop_append_only(sqlite: bool) -> None:
    if sqlite:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    op.execute("DROP TRIGGER IF EXISTS ledger_no_truncate ON ledger")
    op.execute("DROP TRIGGER IF EXISTS ledger_append_only ON ledger")


def _set_aside(sqlite: bool, constraints: set[str], index: str) -> None:
    """Rename the ledger as it is to _ASIDE, with its triggers and index gone and (PostgreSQL,
    where their names are the schema's) its constraints and id sequence renamed, so that the new
    ledger can be made with the names of store/models.py."""
    _drop_append_only(sqlite)
    op.drop_index(index, table_name="ledger")
    op.rename_table("ledger", _ASIDE)
    if sqlite:
        return
    for name in sorted(constraints):
        aside = name.replace("ledger", _ASIDE, 1)
        op.execute(f"ALTER TABLE {_ASIDE} RENAME CONSTRAINT {name} TO {aside}")
    op.execute(f"ALTER SEQUENCE IF EXISTS ledger_id_seq RENAME TO {_ASIDE}_id_seq")


def _make_append_only(sqlite: bool) -> None:
    if not sqlite:
        # The function of revision 0004 refuses any change.
        op.execute(
            "CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger "
            "FOR EACH ROW EXECUTE FUNCTION commprefs_ledger_append_only()"
        )
        op.execute(
            "CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger "
            "FOR EACH STATEMENT EXECUTE FUNCTION commprefs_ledger_append_only()"
        )
        return
    for name, operation in _SQLITE_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {operation} ON ledger "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}: {operation} is refused'); END"
        )


def _opened_entries(bind: sa.Connection) -> Iterator[dict[str, Any]]:
    """Every sealed entry with its personal fields opened, for going back; an entry that cannot
    be opened (erased) cannot go back into a cleartext ledger."""
    secrets_table, keys_table, sealed_table = _tables()
    secrets = {r.portal_id: bytes(r.secret) for r in bind.execute(sa.select(secrets_table))}
    keys = {
        r.id: _unwrap(secrets[r.portal_id], r.portal_id, r.subject, bytes(r.wrapped_key))
        for r in bind.execute(sa.select(keys_table))
    }
    query = sa.select(sealed_table).order_by(sealed_table.c.portal_id, sealed_table.c.seq)
    for found in bind.execute(query).mappings():
        if found["kind"] is not None or found["key_id"] not in keys:
            raise RuntimeError(
                "Revision 0008 cannot be undone: the ledger holds erasures, and a cleartext "
                "ledger cannot keep an erased entry."
            )
        row = dict(found)
        row.update(_unseal(keys[row["key_id"]], row["portal_id"], row["key_id"], row["sealed"]))
        yield row


def downgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA secure_delete = ON")
    entries = list(_opened_entries(bind))
    _set_aside(sqlite, {"pk_ledger", "uq_ledger_portal_id_seq"}, "ix_ledger_portal_id_key_id_seq")
    op.create_table(
        "ledger",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("portal_id", sa.BigInteger(), nullable=False),
        sa.Column("subscriber", sa.String(length=320), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("subscription_id", sa.BigInteger(), nullable=True),
        sa.Column("wide_type", sa.String(length=24), nullable=True),
        sa.Column("business_unit_id", sa.BigInteger(), nullable=True),
        sa.Column("old_status", sa.String(length=16), nullable=False),
        sa.Column("new_status", sa.String(length=16), nullable=False),
        sa.Column("legal_basis", sa.String(length=40), nullable=True),
        sa.Column("legal_basis_explanation", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("api", sa.String(length=32), nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", sa.BigInteger(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("context", sa.Text(), nullable=True),  # revision 0007's, added last
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger")),
        sa.UniqueConstraint("portal_id", "seq", name=op.f("uq_ledger_portal_id_seq")),
    )
    op.create_index(
        op.f("ix_ledger_portal_id_subscriber_id"),
        "ledger",
        ["portal_id", "subscriber", "id"],
        unique=False,
    )
    old = sa.table("ledger", *(sa.column(n) for n in (*_V1_FIELDS, "context", "prev_hash", "hash")))
    previous: dict[int, str] = {}
    rows = []
    for entry in entries:
        row = {n: entry[n] for n in _V1_FIELDS}
        row["context"] = _context_text(entry.get("context"))
        row["prev_hash"] = previous.get(row["portal_id"], _GENESIS)
        row["hash"] = previous[row["portal_id"]] = _v1_hash(row["prev_hash"], row)
        rows.append(row)
    if rows:
        bind.execute(sa.insert(old), rows)
    op.drop_table(_ASIDE)
    op.drop_table("erased_subscribers")
    op.drop_table("subscriber_keys")
    op.drop_table("portal_secrets")
    _make_append_only(sqlite)
