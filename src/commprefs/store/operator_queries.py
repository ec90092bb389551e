"""SQL of the console's operators: users, sessions, failed logins, and the portal's recent audit
records with their users (store/interface.py's Operators)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from commprefs.domain.operators import (
    ConsoleSession,
    ConsoleUser,
    LoginFailures,
    RecentChange,
    Role,
)
from commprefs.store.admin_queries import audit_record
from commprefs.store.models import (
    admin_audit,
    console_login_failures,
    console_sessions,
    console_users,
)
from commprefs.store.queries import Queries


def _user(row: Any) -> ConsoleUser:
    return ConsoleUser(
        id=row.id,
        portal_id=row.portal_id,
        email=row.email,
        role=Role(row.role),
        created_at=row.created_at,
        disabled_at=row.disabled_at,
        password_hash=row.password_hash,
    )


class OperatorQueries(Queries):
    """store/interface.py's Operators."""

    async def create_user(
        self, portal_id: int, email: str, password_hash: str, role: Role, now: int
    ) -> ConsoleUser | None:
        """None when the address is taken (also by a concurrent create)."""
        try:
            async with self.conn.begin_nested():
                result = await self.conn.execute(
                    insert(console_users)
                    .values(
                        portal_id=portal_id,
                        email=email,
                        password_hash=password_hash,
                        role=role.value,
                        created_at=now,
                    )
                    .returning(console_users)
                )
                row = result.one()  # read before the savepoint is released (SQLite)
        except IntegrityError:
            return None
        return _user(row)

    async def user_by_email(self, email: str) -> ConsoleUser | None:
        row = (
            await self.conn.execute(select(console_users).where(console_users.c.email == email))
        ).first()
        return _user(row) if row else None

    async def list_users(self, portal_id: int | None = None) -> list[ConsoleUser]:
        query = select(console_users).order_by(console_users.c.id)
        if portal_id is not None:
            query = query.where(console_users.c.portal_id == portal_id)
        return [_user(row) for row in await self.conn.execute(query)]

    async def disable_user(self, user_id: int, now: int) -> bool:
        """Disable the user and end its sessions; False when no such active user."""
        result = await self.conn.execute(
            update(console_users)
            .where(console_users.c.id == user_id, console_users.c.disabled_at.is_(None))
            .values(disabled_at=now)
        )
        await self.conn.execute(
            delete(console_sessions).where(console_sessions.c.user_id == user_id)
        )
        return bool(result.rowcount)

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        await self.conn.execute(
            update(console_users)
            .where(console_users.c.id == user_id)
            .values(password_hash=password_hash)
        )

    async def create_session(self, secret_sha256: str, user_id: int, csrf: str, now: int) -> None:
        await self.conn.execute(
            insert(console_sessions).values(
                secret_sha256=secret_sha256,
                user_id=user_id,
                csrf=csrf,
                created_at=now,
                last_seen_at=now,
            )
        )

    async def session_by_digest(self, secret_sha256: str) -> ConsoleSession | None:
        row = (
            await self.conn.execute(
                select(
                    console_sessions.c.secret_sha256,
                    console_sessions.c.csrf,
                    console_sessions.c.created_at.label("session_created_at"),
                    console_sessions.c.last_seen_at,
                    console_users,
                )
                .join(console_users, console_users.c.id == console_sessions.c.user_id)
                .where(console_sessions.c.secret_sha256 == secret_sha256)
            )
        ).first()
        if row is None:
            return None
        return ConsoleSession(
            secret_sha256=row.secret_sha256,
            user=_user(row),
            csrf=row.csrf,
            created_at=row.session_created_at,
            last_seen_at=row.last_seen_at,
        )

    async def touch_session(self, secret_sha256: str, now: int) -> None:
        await self.conn.execute(
            update(console_sessions)
            .where(console_sessions.c.secret_sha256 == secret_sha256)
            .values(last_seen_at=now)
        )

    async def delete_session(self, secret_sha256: str) -> None:
        await self.conn.execute(
            delete(console_sessions).where(console_sessions.c.secret_sha256 == secret_sha256)
        )

    async def login_failures(self, email: str) -> LoginFailures | None:
        row = (
            await self.conn.execute(
                select(console_login_failures).where(console_login_failures.c.email == email)
            )
        ).first()
        if row is None:
            return None
        return LoginFailures(row.email, row.failures, row.first_failure_at, row.locked_until)

    async def count_login_failure(
        self, email: str, now: int, window_ms: int, max_failures: int, lockout_ms: int
    ) -> None:
        """One more failed login for ``email``, in one statement: concurrent failures all
        count (a read, then a write, would let parallel guesses overwrite each other's count).
        Counting starts again once the first failure is older than the window; at
        ``max_failures`` the address is locked until ``now + lockout_ms``."""
        f = console_login_failures.c
        stale = f.first_failure_at < now - window_ms
        failures = case((stale, 1), else_=f.failures + 1)
        statement = self._upsert(console_login_failures).values(
            email=email,
            failures=1,
            first_failure_at=now,
            locked_until=now + lockout_ms if max_failures <= 1 else None,
        )
        await self.conn.execute(
            statement.on_conflict_do_update(
                index_elements=[f.email],
                set_={
                    "failures": failures,
                    "first_failure_at": case((stale, now), else_=f.first_failure_at),
                    "locked_until": case(
                        (failures >= max_failures, now + lockout_ms), else_=f.locked_until
                    ),
                },
            )
        )

    async def clear_login_failures(self, email: str) -> None:
        await self.conn.execute(
            delete(console_login_failures).where(console_login_failures.c.email == email)
        )

    async def recent_changes(self, portal_id: int, limit: int) -> list[RecentChange]:
        """The portal's newest audit records, each with its console user's address (if any)."""
        a = admin_audit.c
        rows = await self.conn.execute(
            select(admin_audit, console_users.c.email.label("user_email"))
            .outerjoin(console_users, console_users.c.id == a.user_id)
            .where(a.portal_id == portal_id)
            .order_by(a.id.desc())
            .limit(limit)
        )
        return [RecentChange(audit_record(r), r.user_email) for r in rows]
