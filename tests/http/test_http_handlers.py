# tests/http/test_http_handlers.py: idiokit.http.handlers served for real and asked
# with raw requests: Router (longest prefix, the prefix cut from the uri, 404,
# 400), redirect, filehandler over a directory and over a BakedFileSystem,
# and path traversal (dot segments, encoded dots, symbolic links) refused.
from __future__ import absolute_import

import os

import idiokit
from idiokit.http.handlers import Router, redirect, filehandler, FileSystem, BakedFileSystem
from idiokit.http.handlers.utils import normpath
from support.httpserver import run_server, exchange


def get(port, path):
    data = exchange(port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n"), body


@idiokit.stream
def show_uri(addr, request, response):
    yield response.write_headers({"content-length": len(request.uri)})
    yield response.write(request.uri)


def test_router_picks_the_longest_prefix_and_cuts_it():
    router = Router({"/a": show_uri, "/a/b": redirect("/elsewhere"), "/": show_uri})

    def client(port):
        return [get(port, p) for p in (b"/a/x?q=1", b"/a/b/c", b"/zzz", b"/../up")]
    (a, a_body), (ab, _), (root, root_body), (up, _) = run_server(router, client)
    assert a[0] == b"HTTP/1.1 200 OK" and a_body == b"/x?q=1"
    assert ab[0] == b"HTTP/1.1 302 Found" and b"location: /elsewhere/c" in ab
    assert root_body == b"/zzz"
    assert up[0] == b"HTTP/1.1 400 Bad Request"


def test_router_without_a_match_is_404():
    def client(port):
        return get(port, b"/nothing")[0][0]
    assert run_server(Router({"/only": show_uri}), client) == b"HTTP/1.1 404 Not Found"


def test_filehandler_serves_files_and_refuses_traversal(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "index.html").write_bytes(b"<p>index</p>")
    (root / "data.txt").write_bytes(b"some data")
    (tmp_path / "secret.txt").write_bytes(b"secret")
    os.symlink(str(tmp_path / "secret.txt"), str(root / "link.txt"))
    handler = filehandler(FileSystem(str(root)), index="index.html")

    def client(port):
        paths = [b"/data.txt", b"/", b"/../secret.txt", b"/%2e%2e/secret.txt",
                 b"/x/../../secret.txt", b"/link.txt", b"/missing", b"/..%2fsecret.txt"]
        return [get(port, p) for p in paths]
    answers = run_server(handler, client)
    data, index = answers[0], answers[1]
    assert data[0][0] == b"HTTP/1.1 200 OK" and data[1] == b"some data"
    assert b"content-type: text/plain" in data[0]
    assert index[1] == b"<p>index</p>"
    for head, body in answers[2:]:
        assert head[0] == b"HTTP/1.1 404 Not Found"
        assert b"secret" not in body


def test_baked_filesystem():
    files = {"a.txt": b"baked", "dir": {"b.json": b"{}"}}
    handler = filehandler(BakedFileSystem(files))

    def client(port):
        return [get(port, p) for p in (b"/a.txt", b"/dir/b.json", b"/dir", b"/../a.txt")]
    a, b, d, up = run_server(handler, client)
    assert a[1] == b"baked"
    assert b"content-type: application/json" in b[0]
    assert d[0][0] == b"HTTP/1.1 404 Not Found"
    assert up[0][0] == b"HTTP/1.1 404 Not Found"


def test_normpath():
    assert normpath("a/../b") == "/b"
    assert normpath(".") == "/"
    assert normpath("x", root_path="/r") == "/r/x"
    for bad in ("a/../../b", "..", "%2e%2e"):
        try:
            normpath(bad)
        except ValueError:
            continue
        raise AssertionError("no ValueError for %r" % bad)
