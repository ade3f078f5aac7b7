"""Accounts: the roles, adding users, checking passwords (argon2id).

Why argon2id: memory-hard, so a stolen users table is expensive to brute-force; ``argon2-cffi``'s defaults
follow RFC 9106's recommendation. A sign-in with an unknown email still runs one hash, so the response time
does not tell an attacker which emails have accounts.
"""

from __future__ import annotations

from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadData, URLSafeTimedSerializer
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


def _audit(session: Session, actor: str, actor_role: str, action: str, user: User, **details: object) -> None:
    AuditLog(session.get_bind()).append(actor, actor_role, action, f"user:{user.id}", details,
                                        connection=session.connection())


def set_active(factory: sessionmaker[Session], user_id: int, active: bool, *, actor: str, actor_role: str) -> User:
    """Deactivate (or reactivate) an account; a deactivated account's sessions end at its next request.

    The row stays (its decisions and audit entries still name it); only ``active`` changes, and the
    session version is bumped so that a reactivated account must sign in again."""
    if actor == f"user:{user_id}" and not active:
        raise AccountError("you cannot deactivate your own account")
    with factory() as session, session.begin():
        user = session.get(User, user_id)
        if user is None:
            raise AccountError("there is no such account")
        if user.active != active:
            user.active = active
            user.session_version = (user.session_version or 0) + 1
            _audit(session, actor, actor_role, "account.activate" if active else "account.deactivate", user)
    return user


def set_password(factory: sessionmaker[Session], user_id: int, new_password: str, *, current_password: str | None,
                 actor: str, actor_role: str) -> User:
    """Change a password: the account's own (``current_password`` checked) or, by an admin, a reset.

    Either way every other session of the account ends (the session version is bumped) and the change is
    audited; the caller re-signs the current session with the new version."""
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the new password must have at least {MIN_PASSWORD_LENGTH} characters")
    with factory() as session, session.begin():
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise AccountError("there is no such active account")
        if current_password is not None:
            try:
                _hasher.verify(user.password_hash, current_password)
            except (VerificationError, InvalidHashError):
                raise AccountError("your current password is wrong") from None
        user.password_hash = _hasher.hash(new_password)
        user.session_version = (user.session_version or 0) + 1
        action = "account.password_change" if current_password is not None else "account.password_reset"
        _audit(session, actor, actor_role, action, user)
    return user


RESET_LINK_MAX_AGE_S = 24 * 3600
_RESET_SALT = "clearsight-password-reset"


def reset_token(factory: sessionmaker[Session], secret_key: str, user_id: int, *, actor: str,
                actor_role: str) -> str:
    """A signed link token, valid for a day, with which the account's holder sets a new password (audited).

    Single use without a table: it carries the account's session version, which setting the password bumps,
    so a used (or any older) link no longer matches. The admin never learns the new password."""
    with factory() as session, session.begin():
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise AccountError("there is no such active account")
        _audit(session, actor, actor_role, "account.reset_link", user)
        version = user.session_version
    return URLSafeTimedSerializer(secret_key, salt=_RESET_SALT).dumps({"user": user_id, "version": version})


def account_for_reset(factory: sessionmaker[Session], secret_key: str, token: str) -> User | None:
    """The active account a reset token is for, or None when it is forged, expired or already used."""
    try:
        claims = URLSafeTimedSerializer(secret_key, salt=_RESET_SALT).loads(token, max_age=RESET_LINK_MAX_AGE_S)
    except BadData:
        return None
    with factory() as session:
        user = session.get(User, claims.get("user")) if isinstance(claims, dict) else None
    if user is None or not user.active or user.session_version != claims.get("version"):
        return None
    return user
