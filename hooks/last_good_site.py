"""MkDocs hook: under `mkdocs serve`, a failed rebuild keeps the last good site on screen.

Plain MkDocs empties the site folder at the start of every build and, when a rebuild fails,
holds every request until the next good one ("the server will appear stuck"). Here the
server's builder is wrapped: after each good build the site is kept aside (hard links, so
it costs almost nothing); when a build fails, its one error line stays in the terminal,
the kept site is put back and served, and the next good save takes over again.
`mkdocs build` is untouched: a failing build still fails.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.last_good_site")


def _replace_tree(source: Path, target: Path, link: bool) -> None:
    shutil.rmtree(target, ignore_errors=True)
    # MkDocs deletes and rewrites every file on a build, so hard links are never written through.
    shutil.copytree(source, target, copy_function=os.link if link else shutil.copy2)


def on_serve(server, config, builder):
    site = Path(config.site_dir)
    kept = site.parent / f"{site.name}-last-good"
    build = server.builder

    def keep_last_good_site():
        try:
            build()
        except BaseException as exc:  # strict mode aborts with SystemExit
            if isinstance(exc, KeyboardInterrupt):
                raise
            if not kept.is_dir():
                raise
            _replace_tree(kept, site, link=False)
            # An error in on_config (the restart guard's, say) reaches here unlogged: name it.
            log.error(f"{exc} Still serving the last good site; fix the error and save again.")
            return
        _replace_tree(site, kept, link=True)

    _replace_tree(site, kept, link=True)  # the first build has just succeeded
    server.builder = keep_last_good_site
    return server
