"""Settings for the test suite: the test instance, and PostgreSQL when HANSE_TEST_DATABASE_URL says so."""

import os
from pathlib import Path

os.environ.setdefault("HANSE_CONFIG", str(Path(__file__).with_name("instance.toml")))

from hanse.db import database_settings
from hanse.settings import *  # noqa: F403

# Each test process counts on its own (conftest clears the counts before each test).
HANSE_RATE_LIMIT_FILE = HANSE_INSTANCE.data_dir / f"ratelimit-{os.getpid()}.counters"  # noqa: F405

if os.environ.get("HANSE_TEST_DATABASE_URL"):
    DATABASES = {"default": database_settings(os.environ["HANSE_TEST_DATABASE_URL"])}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

else:
    # A file, not shared-cache memory: concurrency tests need SQLite's real locking (WAL, busy timeout).
    _data = HANSE_INSTANCE.data_dir  # noqa: F405
    _data.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(_data / f"test-{os.getpid()}.sqlite3")}

# Jobs go to the database queue, as in production; tests run a job's function themselves.
