"""The tables, declared once with SQLAlchemy Core.

Alembic migrations create them (``store/migrations``); a test checks the two agree. ``portal_id``
leads every key so that the tables shard by tenant. Times are epoch milliseconds (UTC) in BIGINT
columns: the same on SQLite and PostgreSQL, and exact to the millisecond HubSpot shows.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a real 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")

EMAIL_LENGTH = 320  # RFC 3696 erratum: 64 local + @ + 255 domain

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

portals = Table(
    "portals",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("gdpr", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
)

business_units = Table(
    "business_units",
    metadata,
    Column("portal_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # Branding of the hosted preference pages; NULL means "use the default".
    Column("brand_name", String(200)),
    Column("brand_colour", String(7)),
    Column("brand_logo_url", String(2000)),
    ForeignKeyConstraint(["portal_id"], ["portals.id"]),
)

subscription_definitions = Table(
    "subscription_definitions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("portal_id", BigInteger, nullable=False),
    Column("business_unit_id", BigInteger, nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("purpose", String(100), nullable=False, default=""),
    Column("communication_method", String(100), nullable=False, default=""),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("is_internal", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    ForeignKeyConstraint(
        ["portal_id", "business_unit_id"], ["business_units.portal_id", "business_units.id"]
    ),
    UniqueConstraint("portal_id", "business_unit_id", "name"),
)

definition_translations = Table(
    "definition_translations",
    metadata,
    Column("definition_id", BigInteger, primary_key=True),
    Column("language_code", String(16), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    ForeignKeyConstraint(["definition_id"], ["subscription_definitions.id"]),
)

subscription_statuses = Table(
    "subscription_statuses",
    metadata,
    Column("portal_id", BigInteger, primary_key=True),
    Column("subscriber", String(EMAIL_LENGTH), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("subscription_id", BigInteger, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("source", String(200), nullable=False),
    Column("legal_basis", String(40)),
    Column("legal_basis_explanation", Text),
    Column("updated_at", BigInteger, nullable=False),
    ForeignKeyConstraint(["subscription_id"], ["subscription_definitions.id"]),
)

# One row per (subscriber, channel, scope). scope is PORTAL_WIDE (business_unit_id 0) or
# BUSINESS_UNIT_WIDE for one brand. A resubscribe keeps the row with status SUBSCRIBED so that
# batch reads can show when the opt-out was lifted.
wide_statuses = Table(
    "wide_statuses",
    metadata,
    Column("portal_id", BigInteger, primary_key=True),
    Column("subscriber", String(EMAIL_LENGTH), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("wide_type", String(24), primary_key=True),
    Column("business_unit_id", BigInteger, primary_key=True, autoincrement=False),
    Column("status", String(16), nullable=False),
    Column("source", String(200), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # The console's opt-outs per brand (migration 0009).
    Index(None, "portal_id", "status", "wide_type", "business_unit_id"),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # NULL for an instance token (migration 0009), which belongs to no portal.
    Column("portal_id", BigInteger),
    Column("name", String(200), nullable=False),
    # SHA-256 hex of the secret; the secret itself is never stored.
    Column("secret_sha256", String(64), nullable=False),
    Column("hint", String(16), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    ForeignKeyConstraint(["portal_id"], ["portals.id"]),
    UniqueConstraint("secret_sha256"),
)

# Append-only: rows are inserted, never updated or deleted (triggers refuse it). Revision 0008
# (erasure) replaced the cleartext table of that name with this one: the personal fields of an entry
# (domain/sealing.py PERSONAL_FIELDS) are one AES-256-GCM blob, ``sealed``, under the data key
# ``key_id`` of subscriber_keys; erasure deletes that key, and the entry stays, unreadable.
ledger = Table(
    "ledger",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("portal_id", BigInteger, nullable=False),
    # The hash chain (domain/chain.py SEALED_FIELDS): seq counts a portal's entries from 1, hash
    # covers this entry and prev_hash, the hash of the portal's previous entry.
    Column("seq", BigInteger, nullable=False),
    # NULL for a change of status; "subscriber.erased" for the record of an erasure.
    Column("kind", String(32)),
    # The subscriber's data key (subscriber_keys.id); NULL for an erasure record.
    Column("key_id", BigInteger),
    # The keyed hash of the erased address, on erasure records only.
    Column("subject_hash", String(64)),
    Column("channel", String(16), nullable=False),
    # Exactly one of: a subscription type, or a wide scope (wide_type + business_unit_id).
    Column("subscription_id", BigInteger),
    Column("wide_type", String(24)),
    Column("business_unit_id", BigInteger),
    Column("old_status", String(16)),
    Column("new_status", String(16)),
    Column("legal_basis", String(40)),
    Column("source", String(200), nullable=False),
    Column("api", String(32), nullable=False),
    Column("token_id", BigInteger),
    Column("request_id", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # When the change happened according to its source, where that differs from when it was
    # recorded (an import of older consent records); NULL means "when recorded".
    Column("occurred_at", BigInteger),
    # The personal fields (PERSONAL_FIELDS: address, legal basis explanation, consent context).
    Column("sealed", LargeBinary),
    # Entries written before revision 0008: their hash in the cleartext chain (commprefs-ledger-v1).
    Column("legacy_hash", String(64)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index(None, "portal_id", "key_id", "seq"),
    UniqueConstraint("portal_id", "seq"),
)

# Erasure (issue 16). Mutable, unlike the ledger: what erasure destroys or keeps by keyed hash.
# One random secret per portal (domain/sealing.py): the key of the subjects' keyed hashes and of
# the wrapping of their data keys. Lose it and every sealed field and suppression is lost too.
portal_secrets = Table(
    "portal_secrets",
    metadata,
    Column("portal_id", BigInteger, primary_key=True, autoincrement=False),
    Column("secret", LargeBinary, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# A living subscriber's data key, wrapped; erasure deletes the row (crypto-shredding). Ids are
# never reused (AUTOINCREMENT on SQLite), so a new key never opens an erased subject's entries.
subscriber_keys = Table(
    "subscriber_keys",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("portal_id", BigInteger, nullable=False),
    Column("subject", String(64), nullable=False),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("portal_id", "subject"),
    sqlite_autoincrement=True,
)

# The suppression of an erased address, by keyed hash: it reads as opted out of all until a new
# explicit SUBSCRIBED write (new consent) deletes the row.
erased_subscribers = Table(
    "erased_subscribers",
    metadata,
    Column("portal_id", BigInteger, primary_key=True),
    Column("subject", String(64), primary_key=True),
    Column("erased_at", BigInteger, nullable=False),
)

# A webhook's events are its portal's ledger entries, in seq order: written in the writes' own
# transactions and committed in seq order (the chain lock), so a delivery cursor (the last
# acknowledged seq) can never skip one; replays move it back.
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("portal_id", BigInteger, nullable=False),
    Column("url", Text, nullable=False),
    # The HMAC key must be usable to sign, so it is stored as given (unlike access tokens).
    Column("secret", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # Every event of the portal with seq <= delivered_seq has been acknowledged by the endpoint.
    Column("delivered_seq", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("last_attempt_at", BigInteger),
    Column("last_error", Text),
    # A worker's claim on the endpoint, so that several workers never deliver to it at once.
    Column("lease_owner", String(64)),
    Column("lease_until", BigInteger),
    ForeignKeyConstraint(["portal_id"], ["portals.id"]),
    Index(None, "portal_id"),
)

# Our extension: the Idempotency-Key of a write and the response it got, so a retry replays it.
# Inserted, completed and committed in the same transaction as the write itself.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("portal_id", BigInteger, primary_key=True),
    Column("idempotency_key", String(255), primary_key=True),
    # SHA-256 of method, path, query and body: the same key with another request is a conflict.
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer),
    Column("content_type", String(100)),
    Column("body", LargeBinary),
    Column("created_at", BigInteger, nullable=False),
    Index(None, "created_at"),
)

# Keys that sign preference-page links. The newest unretired key signs; a retired key still
# verifies links for the configured grace period after ``retired_at``. Secrets must be stored to
# verify; they never leave the service (not in logs, CLI output or error bodies).
link_signing_keys = Table(
    "link_signing_keys",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("secret", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("retired_at", BigInteger),
)

# OAuth (issue 14): apps of a portal, the codes they are given, and the access and refresh tokens
# they exchange them for. Every secret is stored only as its SHA-256.
oauth_apps = Table(
    "oauth_apps",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("portal_id", BigInteger, nullable=False),
    Column("name", String(200), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("client_secret_sha256", String(64), nullable=False),
    Column("redirect_uri", String(2000), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    ForeignKeyConstraint(["portal_id"], ["portals.id"]),
    UniqueConstraint("client_id"),
)

# A code is used once: ``used_at`` is set by the exchange that redeems it.
oauth_codes = Table(
    "oauth_codes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("app_id", BigInteger, nullable=False),
    Column("code_sha256", String(64), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("redirect_uri", String(2000), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger),
    ForeignKeyConstraint(["app_id"], ["oauth_apps.id"]),
    UniqueConstraint("code_sha256"),
)

# kind "access" (``ends_at``: when it expires) or "refresh" (``ends_at``: when a refresh rotated
# it out; null while current). ``token_id`` is the grant, a row of ``tokens``: its scopes and its
# revocation hold for every token of the grant.
oauth_tokens = Table(
    "oauth_tokens",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),
    Column("app_id", BigInteger, nullable=False),
    Column("token_id", BigInteger, nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("ends_at", BigInteger),
    ForeignKeyConstraint(["app_id"], ["oauth_apps.id"]),
    ForeignKeyConstraint(["token_id"], ["tokens.id"]),
    UniqueConstraint("secret_sha256"),
)

# -- the admin API (issue 17, migration 0009) ------------------------------------------------------

# Who changed what in a portal's administration (or the instance's: portal_id NULL), written in
# the change's own transaction: a token over the admin API, or a console user (user_id, also for
# each console login). Status changes are recorded in the ledger instead.
admin_audit = Table(
    "admin_audit",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("portal_id", BigInteger),
    Column("token_id", BigInteger),
    Column("user_id", BigInteger),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False),
    Column("detail", Text, nullable=False),  # JSON: what was set (never a secret)
    Column("request_id", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index(None, "portal_id", "id"),
)

# An import started over HTTP or in the console: its progress as each batch commits, in the
# database so that any server process can answer a poll. Its rejected rows are import_rejects,
# in file order.
import_jobs = Table(
    "import_jobs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("portal_id", BigInteger, nullable=False),
    Column("token_id", BigInteger),
    Column("format", String(8), nullable=False),
    Column("state", String(16), nullable=False),
    Column("rows", BigInteger, nullable=False),
    Column("imported", BigInteger, nullable=False),
    Column("rejected", BigInteger, nullable=False),
    Column("header", Text, nullable=False),  # JSON list: the file's columns, for the rejects
    Column("error", Text),
    Column("request_id", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger),
    ForeignKeyConstraint(["portal_id"], ["portals.id"]),
    Index(None, "portal_id"),
)

import_rejects = Table(
    "import_rejects",
    metadata,
    Column("job_id", BigInteger, primary_key=True),
    Column("n", BigInteger, primary_key=True, autoincrement=False),
    Column("row", Text, nullable=False),  # JSON object: the record's fields, _line, _field, _error
    ForeignKeyConstraint(["job_id"], ["import_jobs.id"]),
)

# Double opt-in (issue 16): a subscriber's pending consent to some types of one business unit,
# confirmed (or left to expire) through the signed link its mail carries. ``public_id`` is what
# the link names; ``request_context`` who asked (domain/consent.py).
confirmations = Table(
    "confirmations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("public_id", String(36), nullable=False),
    Column("portal_id", BigInteger, nullable=False),
    Column("subscriber", String(EMAIL_LENGTH), nullable=False),
    Column("business_unit_id", BigInteger, nullable=False),
    Column("subscription_ids", Text, nullable=False),  # a JSON array of ids
    Column("language", String(16)),
    Column("legal_basis_explanation", Text),
    Column("requested_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("request_context", Text),
    Column("confirmed_at", BigInteger),
    ForeignKeyConstraint(["portal_id"], ["portals.id"]),
    UniqueConstraint("public_id"),
    Index(None, "portal_id", "subscriber"),
)

# The outbox of confirmation mails: written in the request's transaction, sent by the mail worker
# (confirmations/worker.py) after it commits, retried with backoff until sent. ``next_attempt_at``
# is NULL once nothing more is to be tried (sent, or its confirmation expired or confirmed).
confirmation_mails = Table(
    "confirmation_mails",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("confirmation_id", BigInteger, nullable=False),
    Column("requested_at", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger),
    Column("last_attempt_at", BigInteger),
    Column("last_error", Text),
    Column("lease_owner", String(64)),
    Column("lease_until", BigInteger),
    Column("sent_at", BigInteger),
    Column("message_id", String(255)),
    ForeignKeyConstraint(["confirmation_id"], ["confirmations.id"]),
    Index(None, "next_attempt_at"),
    Index(None, "confirmation_id"),
)

# -- the console (issue 17, migration 0009) ------------------------------------------------------

# Operators of the web console: each belongs to one portal, as "admin" or "viewer". The password
# is kept as an argon2id hash only; a disabled user can no longer log in.
console_users = Table(
    "console_users",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("portal_id", BigInteger, nullable=False),
    Column("email", String(EMAIL_LENGTH), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("disabled_at", BigInteger),
    ForeignKeyConstraint(["portal_id"], ["portals.id"]),
    UniqueConstraint("email"),
)

# A logged-in browser: the SHA-256 of its cookie's secret (the secret is never stored), the
# session's CSRF token, and when it was last used (the idle timeout).
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("secret_sha256", String(64), primary_key=True),
    Column("user_id", BigInteger, nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("last_seen_at", BigInteger, nullable=False),
    ForeignKeyConstraint(["user_id"], ["console_users.id"]),
    Index(None, "user_id"),
)

# Failed logins per address (known or not), for throttling: after too many within the window
# the address is locked until ``locked_until``.
console_login_failures = Table(
    "console_login_failures",
    metadata,
    Column("email", String(EMAIL_LENGTH), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_failure_at", BigInteger, nullable=False),
    Column("locked_until", BigInteger),
)

# The last verification of each portal's ledger chain (the console's overview shows it).
ledger_verifications = Table(
    "ledger_verifications",
    metadata,
    Column("portal_id", BigInteger, primary_key=True),
    Column("verified_at", BigInteger, nullable=False),
    Column("head_seq", BigInteger, nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("intact", Boolean, nullable=False),
    ForeignKeyConstraint(["portal_id"], ["portals.id"]),
)

# The console overview's changes per day, for days that are over (an entry is recorded when it is
# written, so a past day's counts never change): counted once from the ledger, then read here.
# legal_basis '' stands for none (it is part of the key).
console_day_counts = Table(
    "console_day_counts",
    metadata,
    Column("portal_id", BigInteger, primary_key=True),
    Column("day", BigInteger, primary_key=True, autoincrement=False),  # days since 1970-01-01 UTC
    Column("new_status", String(16), primary_key=True),
    Column("source", String(200), primary_key=True),
    Column("legal_basis", String(40), primary_key=True),
    Column("changes", BigInteger, nullable=False),
)

# Up to which day a portal's changes are counted in console_day_counts.
console_rollups = Table(
    "console_rollups",
    metadata,
    Column("portal_id", BigInteger, primary_key=True, autoincrement=False),
    Column("through_day", BigInteger, nullable=False),
)
