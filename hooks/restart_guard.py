"""MkDocs hook: fail loudly when hooks/ changed under a running `mkdocs serve`.

MkDocs imports hook modules once per process and keeps them, so a rebuild after an edit
in hooks/ would silently run the old code. (Edits in snippets/ need no restart: the
figure hook re-imports that package on every build.)
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from mkdocs.exceptions import PluginError

_HOOKS = Path(__file__).parent


def _digests() -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(_HOOKS.glob("*.py"))
    }


_AT_START = _digests()


def on_config(config):
    now = _digests()
    changed = sorted(
        name for name in _AT_START.keys() | now.keys() if _AT_START.get(name) != now.get(name)
    )
    if changed:
        raise PluginError(
            f"hooks/{', hooks/'.join(changed)} changed since this process loaded the hooks; "
            "MkDocs does not reload hooks. Restart `make serve`."
        )
    return config
