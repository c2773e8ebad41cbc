# tests/support: helpers shared by the test files (subprocess runner, guards,
# small stream utilities). Nothing here is collected as a test.
from __future__ import absolute_import

from .procs import run_py  # noqa: F401
