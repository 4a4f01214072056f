"""The clerk's script: ``register`` (or ``python -m register``).

A thin shell over the ``register`` API, one module per area; importing this package gives the
complete application :data:`app` (every command registered):

* :mod:`.app` - the typer application, error handling, prompts and output helpers;
* :mod:`.admin` - init, check, passphrase, backup, restore, verify-backup;
* :mod:`.entry` - add-departure, add-return, add-referral, add-agency, add-broker;
* :mod:`.browse` - lookup, list, show, search;
* :mod:`.edit` - correct;
* :mod:`.files` - template, import, export;
* :mod:`.formats` - xlsform, codebook;
* :mod:`.merging` - merge;
* :mod:`.report` - report, followup (the council's monthly report and follow-up list);
* :mod:`.research` - synth, demo (need the analysis extra);
* :mod:`.web` - open (the form in the browser).
"""

from __future__ import annotations

from . import (  # noqa: F401  (each module adds its commands)
    admin,
    browse,
    edit,
    entry,
    files,
    formats,
    merging,
    report,
    research,
    web,
)
from .app import app, main

__all__ = ["app", "main"]
