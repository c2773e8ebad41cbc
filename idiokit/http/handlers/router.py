"""Router: dispatch requests to handlers by the longest matching path prefix."""
from __future__ import absolute_import

from ... import idiokit
from ..server import Server, ServerRequest, as_server
from .utils import normpath, unquote, urlsplit, urlunsplit


class _InvalidPath(Exception):
    pass


class _RouteNotFound(Exception):
    pass


def _split_path(path):
    pieces = []
    for index, piece in enumerate(path.split("/")):
        if index > 0:
            pieces.append("/")
        pieces.append(piece)
    if pieces and pieces[-1] == "":
        pieces.pop()
    return tuple(pieces)


class Router(Server):
    """Router(routes, **more): a server dispatching by path prefix.  routes
    maps prefixes to handlers ({"/prefix": handler, ...}, any form dict()
    takes).  The handler of the longest matching prefix gets the request,
    with the prefix cut from its uri; no match is 404, a path leaving the
    root 400."""

    def __init__(self, *args, **keys):
        Server.__init__(self)
        routes = []
        for route, handler in dict(*args, **keys).items():
            path = _split_path(normpath(route, unquote=False))
            routes.append((path, as_server(handler)))
        routes.sort(key=lambda item: len(item[0]), reverse=True)
        self._routes = routes

    def _find(self, request):
        parts = list(urlsplit(request.uri))
        try:
            path = _split_path(normpath(unquote(parts[2])))
        except ValueError:
            raise _InvalidPath()
        for prefix, handler in self._routes:
            if path[:len(prefix)] == prefix:
                parts[2] = normpath("".join(path[len(prefix):]))
                return handler, ServerRequest(request.method, urlunsplit(parts),
                                              request.http_version, request.headers, request)
        raise _RouteNotFound()

    @idiokit.stream
    def main(self):
        handlers = set(handler for _, handler in self._routes)
        yield Server.main(self) | idiokit.pipe(*[handler.main() for handler in handlers])

    def request_continue(self, addr, request, response):
        return self._dispatch("request_continue", addr, request, response)

    def request(self, addr, request, response):
        return self._dispatch("request", addr, request, response)

    @idiokit.stream
    def _dispatch(self, name, addr, request, response):
        try:
            handler, request = self._find(request)
        except _InvalidPath:
            yield response.write_status(400)
        except _RouteNotFound:
            yield response.write_status(404)
        else:
            yield getattr(handler, name)(addr, request, response)
