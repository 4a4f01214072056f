"""The synthetic generator's named errors.

They derive from :class:`register.errors.RegisterError` because the generator is run through the
``register synth`` and ``register demo`` commands, which turn register errors into messages.
"""

from __future__ import annotations

from register.errors import RegisterError


class SyntheticError(RegisterError):
    """Base class of every error the synthetic generator raises on purpose."""
