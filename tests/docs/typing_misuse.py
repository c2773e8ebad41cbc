"""Calls the stubs must reject: `make typecheck` runs mypy on this file and
requires an error on each line marked `# rejected`, and on no other line
(so a stub that degrades to Any is noticed).  Never run."""
from __future__ import absolute_import

import idiokit
from idiokit import dns, socket

idiokit.sleep("soon")  # rejected
idiokit.Event().succeed(1).fail()  # rejected
socket.Socket().recv("4096")  # rejected
dns.a(53)  # rejected
idiokit.main_loop(lambda: None)  # rejected
idiokit.pipe(idiokit.Event(), "not a stream")  # rejected
idiokit.pipe(idiokit.Event(), idiokit.Event()).fork().throw(ValueError())
