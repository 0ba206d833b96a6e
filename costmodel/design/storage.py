"""Optuna storages for searches whose trials are expensive or spread over machines (--storage).

An RDB URL (postgresql://, sqlite:///) is opened through Optuna's `RDBStorage`; a server that
cannot be reached, a missing driver or a bad URL is one line and exit 2, never a traceback.
"""

from __future__ import annotations

from typing import Any

from costmodel.design.engines import import_optuna
from costmodel.errors import CostModelError, ErrorCode


def _redacted(url: str) -> str:
    """The URL without its password (it is printed in an error)."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        return f"{scheme}{sep}{credentials.split(':')[0]}:***@{host}"
    return url


def open_storage(url: str) -> Any:
    """An Optuna storage at `url`, checked by connecting once."""
    optuna = import_optuna()
    try:
        storage = optuna.storages.RDBStorage(
            url, engine_kwargs={"pool_pre_ping": True}, skip_table_creation=False
        )
        storage.get_all_studies()
    except ImportError as exc:
        raise CostModelError(
            ErrorCode.OPTION, f"--storage {_redacted(url)}: missing database driver ({exc})"
        ) from None
    except Exception as exc:  # noqa: BLE001 - sqlalchemy's errors: unreachable server, bad URL
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CostModelError(
            ErrorCode.OPTION, f"--storage {_redacted(url)}: cannot open the study storage ({first})"
        ) from None
    return storage
