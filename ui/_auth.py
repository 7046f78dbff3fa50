"""Logins for ``qa serve --auth user:password`` and ``--auth-file PATH``."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import qa


class AuthError(qa.QAError):
    """A login given to ``qa serve`` cannot be used."""


def parse_login(value: str, *, where: str = "--auth") -> tuple[str, str]:
    """``user:password`` into a pair; the password may itself hold colons."""
    user, colon, password = value.partition(":")
    user = user.strip()
    if not colon or not user or not password:
        raise AuthError(f"{where}: give a login as user:password, both non-empty")
    return user, password


def read_logins(path: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """Logins from a file of ``user:password`` lines (blank lines and ``#`` comments skipped).

    Warns when the file can be read by other users of the machine.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
        mode = file.stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise AuthError(f"--auth-file {file}: cannot read it ({reason}); check the path") from None
    logins = [
        parse_login(line.strip(), where=f"--auth-file {file} line {number}")
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not logins:
        raise AuthError(f"--auth-file {file}: no user:password line in it; add one")
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        print(
            f"qa: warning: {file} can be read by other users; `chmod 600 {file}`",
            file=sys.stderr,
        )
    return logins


def logins(auth: str | None, auth_file: str | None) -> list[tuple[str, str]] | None:
    """The logins asked for on the command line, or None for an open server."""
    found: list[tuple[str, str]] = []
    if auth:
        found.append(parse_login(auth))
    if auth_file:
        found.extend(read_logins(auth_file))
    return found or None
