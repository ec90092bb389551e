"""The administration part of the repository interface (issue 17), kept beside
store/interface.py, whose ``Repository`` includes it: the admin API's audit records and import
jobs, and the console's users, sessions and overview figures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from commprefs.domain.admin import AdminActor, AuditRecord, ImportJob
from commprefs.domain.operators import (
    ConsoleSession,
    ConsoleUser,
    LoginFailures,
    RecentChange,
    Role,
)
from commprefs.domain.preferences import Channel, Definition, Portal


class Administration(Protocol):
    """The admin API's (issue 17): what the CLI never needed to list or change, audit records,
    import jobs (store/admin_queries.py)."""

    async def list_portals(self) -> list[Portal]: ...

    async def rename_business_unit(self, portal_id: int, unit_id: int, name: str) -> bool:
        """False when the unit does not exist."""

    async def update_definition(
        self, portal_id: int, definition_id: int, values: dict[str, Any]
    ) -> Definition | None:
        """None when the new name is taken in the type's business unit."""

    async def append_audit(
        self, actor: AdminActor, action: str, target: str, detail: dict[str, Any], now: int
    ) -> None: ...

    async def audit_records(
        self, portal_id: int | None, after: int, limit: int
    ) -> list[AuditRecord]: ...

    async def create_import_job(
        self, portal_id: int, token_id: int | None, fmt: str, request_id: str, now: int
    ) -> ImportJob: ...

    async def update_import_job(self, job_id: int, values: dict[str, Any]) -> None: ...

    async def import_job(self, portal_id: int, job_id: int) -> ImportJob | None: ...

    async def import_jobs(self, portal_id: int, limit: int) -> list[ImportJob]: ...

    async def append_import_rejects(
        self, job_id: int, first: int, rows: Sequence[dict[str, Any]]
    ) -> None: ...

    def import_reject_rows(self, job_id: int) -> AsyncIterator[dict[str, Any]]:
        """The job's rejected rows in file order, streamed."""

    async def count_import_jobs_running(self) -> int: ...


# -- the console (issue 17) ----------------------------------------------------------------------


class Operators(Protocol):
    """The console's users, their sessions and failed logins."""

    async def create_user(
        self, portal_id: int, email: str, password_hash: str, role: Role, now: int
    ) -> ConsoleUser | None:
        """None when the address is taken."""

    async def user_by_email(self, email: str) -> ConsoleUser | None: ...

    async def list_users(self, portal_id: int | None = None) -> list[ConsoleUser]: ...

    async def disable_user(self, user_id: int, now: int) -> bool:
        """Disable the user and end its sessions; False when no such active user."""

    async def set_password_hash(self, user_id: int, password_hash: str) -> None: ...

    async def create_session(
        self, secret_sha256: str, user_id: int, csrf: str, now: int
    ) -> None: ...

    async def session_by_digest(self, secret_sha256: str) -> ConsoleSession | None: ...

    async def touch_session(self, secret_sha256: str, now: int) -> None: ...

    async def delete_session(self, secret_sha256: str) -> None: ...

    async def login_failures(self, email: str) -> LoginFailures | None: ...

    async def count_login_failure(
        self, email: str, now: int, window_ms: int, max_failures: int, lockout_ms: int
    ) -> None:
        """One more failed login, counted atomically; locks the address at ``max_failures``."""

    async def clear_login_failures(self, email: str) -> None: ...

    async def recent_changes(self, portal_id: int, limit: int) -> list[RecentChange]:
        """The portal's newest audit records first, with their console users' addresses."""


class Dashboard(Protocol):
    """The console's overview figures and subscriber search."""

    async def count_addresses(self, portal_id: int, channel: Channel) -> int: ...

    async def stored_counts(self, portal_id: int, channel: Channel) -> dict[tuple[int, str], int]:
        """Stored choices per (type, state)."""

    async def covered_counts(
        self, portal_id: int, channel: Channel
    ) -> dict[tuple[int, str | None], int]:
        """Per (type, stored state or None): addresses an active opt-out of all email covers."""

    async def changes_since(
        self, portal_id: int, since: int
    ) -> list[tuple[int, str, str, Any, int]]:
        """Type changes per (day number, new state, source, legal basis) since ``since``."""

    async def rolled_up_through(self, portal_id: int) -> int | None: ...

    async def roll_up(self, portal_id: int, first_day: int, last_day: int) -> None:
        """Count the changes of days that are over into the overview's day counts, once."""

    async def day_counts(
        self, portal_id: int, first_day: int, last_day: int
    ) -> list[tuple[int, str, str, Any, int]]:
        """The counted changes of past days, as ``changes_since`` gives them."""

    async def opt_outs_by_scope(self, portal_id: int, channel: Channel) -> dict[int, int]: ...

    async def entry_time(self, portal_id: int, seq: int) -> int | None: ...

    async def last_verification(self, portal_id: int) -> tuple[int, int, str, bool] | None: ...

    async def record_verification(
        self, portal_id: int, now: int, head_seq: int, head_hash: str, intact: bool
    ) -> None: ...

    async def subscribers_with_prefix(
        self, portal_id: int, prefix: str, limit: int
    ) -> list[str]: ...
