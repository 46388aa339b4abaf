"""Django's database sessions, each sign-in's written once.

Django's ``login()`` gives the session a new key by inserting an empty row at once, then writes
the session's data into it with an ``UPDATE`` when the response goes out, and looks every new key
up before inserting it. Here the new key and its data are inserted together when the response goes
out, and the insert itself refuses a key already taken (Django then draws another): one statement
in place of three, and on SQLite one write transaction in place of two.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils.crypto import get_random_string


class SessionStore(DatabaseSessionStore):
    def cycle_key(self) -> None:
        data = self._session
        old = self.session_key
        self._session_key = None  # save() creates the session under a new key, with its data
        self._session_cache = data
        self.modified = True
        if old:
            self.delete(old)

    def _get_new_session_key(self) -> str:
        # 32 characters of 36: a collision is the insert's IntegrityError, and create() retries.
        return get_random_string(32, VALID_KEY_CHARS)
