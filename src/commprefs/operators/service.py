"""Console users and their sessions: creating and disabling users, logging in (argon2id
passwords, throttled after repeated failures), sessions with an idle timeout, and the role rule
(viewers read, admins change).

A session's cookie carries a random secret; only its SHA-256 is stored, as for access tokens.
Each session has its own CSRF token, which every form of the console carries. A login is an
audit record (admin_audit, action ``login``), as every change a console user makes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from commprefs.config import Settings
from commprefs.domain.admin import AdminActor
from commprefs.domain.clock import Clock
from commprefs.domain.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from commprefs.domain.operators import (
    ConsoleSession,
    ConsoleUser,
    LoginThrottled,
    NotAllowed,
    Role,
)
from commprefs.domain.subscribers import subscriber_key
from commprefs.portals.checks import require_portal
from commprefs.store.interface import Repository, Transactions

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
TOUCH_EVERY_MS = 60_000  # a session's last use is written at most once a minute
_BAD_LOGIN = "The email address or password is not right."
_hasher = PasswordHasher()  # argon2id with the library's recommended costs
# Verified when the address is unknown, so that a login takes as long either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def session_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def require_admin(user: ConsoleUser) -> None:
    """The role rule: only admins change anything."""
    if not user.can_change:
        raise NotAllowed("Viewers can look but not change anything; ask an admin.")


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput.field("password", f"A password has at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD or "\x00" in password:
        raise InvalidInput.field("password", "That password cannot be used.")
    return password


def _role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise InvalidInput.field("role", "The role is admin or viewer.") from None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class OperatorService:
    def __init__(self, database: Transactions[Repository], clock: Clock, settings: Settings):
        self.database = database
        self.clock = clock
        self.idle_ms = settings.console_idle_minutes * 60_000
        self.lifetime_ms = settings.console_session_hours * 3_600_000
        self.max_failures = settings.console_login_max_failures
        self.lockout_ms = settings.console_login_lockout_seconds * 1000

    # -- users -----------------------------------------------------------------------------------

    async def create_user(
        self, portal_id: int, email: str, role: str, password: str
    ) -> ConsoleUser:
        key = subscriber_key(email, "email")
        wanted = _role(role)
        hashed = await asyncio.to_thread(_hasher.hash, check_password(password))
        async with self.database.write() as repo:
            await require_portal(repo, portal_id)
            user = await repo.create_user(portal_id, key, hashed, wanted, self.clock.now_ms())
        if user is None:
            raise Conflict(f"A console user with the address {key} exists already.")
        return user

    async def list_users(self, portal_id: int | None = None) -> list[ConsoleUser]:
        async with self.database.read() as repo:
            return await repo.list_users(portal_id)

    async def disable_user(self, user_id: int) -> None:
        """Disable a user; its sessions end at once."""
        async with self.database.write() as repo:
            if not await repo.disable_user(user_id, self.clock.now_ms()):
                raise NotFound(f"No active console user with id {user_id}.")

    # -- logging in and out ----------------------------------------------------------------------

    async def log_in(
        self, email: str, password: str, request_id: str = ""
    ) -> tuple[ConsoleSession, str]:
        """A new session and its cookie secret, or Unauthenticated; LoginThrottled while the
        address is locked out after too many failures (even with the right password)."""
        key = email.strip().lower()[:320]
        now = self.clock.now_ms()
        async with self.database.read() as repo:
            failures = await repo.login_failures(key)
            user = await repo.user_by_email(key)
        if failures and failures.locked_until and failures.locked_until > now:
            minutes = max(1, -(-(failures.locked_until - now) // 60_000))
            raise LoginThrottled(
                f"Too many failed logins for this address; try again in {minutes} minutes."
            )
        hashed = user.password_hash if user else _DUMMY_HASH
        right = await asyncio.to_thread(_verify, hashed, password[:MAX_PASSWORD])
        if user is None or not right or not user.active:
            await self._failed(key, now)
            raise Unauthenticated(_BAD_LOGIN)
        secret = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        async with self.database.write() as repo:
            await repo.clear_login_failures(key)
            if _hasher.check_needs_rehash(user.password_hash):
                await repo.set_password_hash(user.id, _hasher.hash(password))
            await repo.create_session(session_digest(secret), user.id, csrf, now)
            await repo.append_audit(
                AdminActor(user.portal_id, None, request_id, user.id),
                "login",
                f"console user {user.id}",
                {"role": user.role.value},
                now,
            )
        return ConsoleSession(session_digest(secret), user, csrf, now, now), secret

    async def _failed(self, key: str, now: int) -> None:
        async with self.database.write() as repo:
            await repo.count_login_failure(
                key, now, self.lockout_ms, self.max_failures, self.lockout_ms
            )

    async def session(self, secret: str | None) -> ConsoleSession | None:
        """The live session of a cookie's secret; None when there is none, it was idle too
        long or is too old, or its user is disabled (an ended session is removed)."""
        if not secret or len(secret) > 128:
            return None
        digest = session_digest(secret)
        now = self.clock.now_ms()
        async with self.database.read() as repo:
            found = await repo.session_by_digest(digest)
        if found is None or not hmac.compare_digest(found.secret_sha256, digest):
            return None
        expired = (
            now - found.last_seen_at > self.idle_ms or now - found.created_at > self.lifetime_ms
        )
        if expired or not found.user.active:
            await self.log_out(secret)
            return None
        if now - found.last_seen_at > TOUCH_EVERY_MS:
            async with self.database.write() as repo:
                await repo.touch_session(digest, now)
        return found

    async def log_out(self, secret: str) -> None:
        async with self.database.write() as repo:
            await repo.delete_session(session_digest(secret))

    @staticmethod
    def check_csrf(session: ConsoleSession, submitted: str | None) -> None:
        """A form's CSRF token must be its session's."""
        if not submitted or not hmac.compare_digest(submitted.encode(), session.csrf.encode()):
            raise NotAllowed("This form has expired or did not come from the console; reload it.")


def signed_in(session: ConsoleSession | None) -> ConsoleSession:
    if session is None:
        raise Unauthenticated("Please log in.")
    return session
