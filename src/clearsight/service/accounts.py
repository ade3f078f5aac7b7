"""Accounts: the roles, adding users, checking passwords (argon2id).

Why argon2id: memory-hard, so a stolen users table is expensive to brute-force; ``argon2-cffi``'s defaults
follow RFC 9106's recommendation. A sign-in with an unknown email still runs one hash, so the response time
does not tell an attacker which emails have accounts.
"""

from __future__ import annotations

from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clearsight.audit_log import AuditLog
from clearsight.service.models import User
from clearsight.service.routing import councils


class Role(StrEnum):
    """The service's roles, exactly as the issue names them."""

    admin = "admin"
    national_auditor = "national_auditor"
    force_analyst = "force_analyst"
    council_analyst = "council_analyst"
    inquiry_panel = "inquiry_panel"
    mandated_reporter = "mandated_reporter"
    public = "public"


ANONYMOUS = "anonymous"
"""The pseudo-role of a request with no signed-in account."""

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("clearsight-timing-equaliser")


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Swap the argon2 parameters (tests use cheap ones to stay fast; production keeps the defaults)."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash("clearsight-timing-equaliser")
MIN_PASSWORD_LENGTH = 12


class AccountError(ValueError):
    """A bad account request (unknown role, missing or wrong scope, weak password, duplicate email)."""


def _forces() -> set[str]:
    return {force for _, force in councils().values()}


def check_scope(role: str, scope: str | None) -> str | None:
    """Force analysts need a force code, council analysts a council code; no other role has a scope."""
    if role == Role.force_analyst:
        if scope not in _forces():
            raise AccountError(f"a force analyst needs --scope with a police force code, not {scope!r}")
        return scope
    if role == Role.council_analyst:
        if scope not in councils():
            raise AccountError(f"a council analyst needs --scope with a council code, not {scope!r}")
        return scope
    if scope:
        raise AccountError(f"role {role} takes no scope")
    return None


def add_user(factory: sessionmaker[Session], email: str, password: str, role: str, scope: str | None = None, *,
             actor: str, actor_role: str) -> User:
    """Create an account and write the change to the audit log in the same transaction."""
    if role not in Role.__members__:
        raise AccountError(f"unknown role {role!r}; roles: {', '.join(Role)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    email = email.strip().lower()
    if "@" not in email:
        raise AccountError(f"{email!r} is not an email address")
    scope = check_scope(role, scope)
    with factory() as session, session.begin():
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            raise AccountError(f"an account for {email} already exists")
        user = User(email=email, password_hash=_hasher.hash(password), role=role, scope=scope, active=True)
        session.add(user)
        session.flush()
        AuditLog(session.get_bind()).append(actor, actor_role, "account.create", f"user:{user.id}",
                                            {"role": role, "scope": scope or ""}, connection=session.connection())
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active account with this email and password, or None (in constant-ish time)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower(), User.active.is_(True)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return user
