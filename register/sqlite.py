"""Import ``sqlite_utils`` without dragging pandas onto the clerk's path.

sqlite-utils imports pandas and numpy at import time whenever they are installed, only to add
their scalar types to a column-type table. The register never hands it pandas or numpy values, and
that import costs a clerk's old laptop about a third of a second on every command. So when neither
is loaded yet, we hide them while sqlite-utils is imported; they import normally afterwards.
"""

from __future__ import annotations

import sys
from types import ModuleType


def _import_sqlite_utils() -> ModuleType:
    if "sqlite_utils" in sys.modules:
        return sys.modules["sqlite_utils"]
    hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail fast
    try:
        import sqlite_utils as module
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]
    return module


sqlite_utils = _import_sqlite_utils()
