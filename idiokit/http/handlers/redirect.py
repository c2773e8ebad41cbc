"""redirect(where): a handler answering 302 to the same path under `where`."""
from __future__ import absolute_import

from ... import idiokit
from .utils import normpath, urlsplit


def redirect(where):
    """A handler that redirects (302 Found) every request to `where` plus
    the request's path."""
    @idiokit.stream
    def _redirect(addr, request, response):
        location = normpath(urlsplit(request.uri).path, root_path=where.rstrip("/"))
        yield response.write_status(302)
        yield response.write_headers({"location": location, "content-length": 0})
        yield response.finish()
    return _redirect
