"""The one exception of dcm_host: a call that failed, with a code of dcm's
error catalog (docs/errors.md)."""
from __future__ import annotations

from typing import Any, Optional, Tuple


class FragmentError(Exception):
    """A failed call or a dist that cannot be used.

    ``code`` is one of docs/errors.md: ``DCM_FRAGMENT_ERROR`` (the function
    returned an error), ``DCM_FRAGMENT_PANIC`` (it panicked or trapped),
    ``DCM_BAD_ARGUMENTS``, ``DCM_NOT_CALLABLE``, ``DCM_UNKNOWN_FRAGMENT``,
    ``DCM_NO_MODULE_FOR_SIDE``, ``DCM_MANIFEST_INVALID``,
    ``DCM_MANIFEST_UNSAFE_PATH``, ``DCM_MODULE_MISSING``, ``DCM_MODULE_CORRUPT``.
    """

    def __init__(self, code: str, message: str, fragment: Optional[str] = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fragment = fragment

    def __reduce__(self) -> Tuple[Any, ...]:
        # Picklable (multiprocessing, concurrent.futures) with its code and message.
        return (FragmentError, (self.code, self.message, self.fragment))


def bad_arguments(message: str, fragment: Optional[str] = None) -> FragmentError:
    return FragmentError("DCM_BAD_ARGUMENTS", message, fragment)
