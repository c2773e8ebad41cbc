# tests/support/installed_check.py: run by tests/test_packaging.py with the
# python of a fresh virtual environment into which a wheel was installed
# (never with the suite's own interpreter, never importing the checkout).
# It imports idiokit and every module the wheel installed, checks that they
# come from that environment and that the shared libraries the process mapped
# for the extension are the wheel's own copies (idiokit.libs/), then makes a
# TCP round trip with idiokit.socket over 127.0.0.1 (an ephemeral port).
# Prints one JSON report on stdout; the test asserts on it.
from __future__ import absolute_import, print_function

import json
import os
import sys

LIBRARY_WORDS = ("libev", "libcares", "llhttp")


def installed_modules(package_dir):
    """Dotted names of every .py module under the installed package."""
    root = os.path.dirname(package_dir)
    names = []
    for dirpath, _, filenames in os.walk(package_dir):
        for filename in sorted(filenames):
            if not filename.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, filename[:-3]), root)
            name = rel.replace(os.sep, ".")
            names.append(name[:-len(".__init__")] if name.endswith(".__init__") else name)
    return sorted(names)


def import_all(names):
    """{name: error text} for the modules that fail to import.  On Python 2
    a module in Python-3-only syntax is not an error (the project keeps
    those apart, as the suite's *_py3 files)."""
    failures = {}
    for name in names:
        try:
            __import__(name)
        except SyntaxError as error:
            if sys.version_info[0] >= 3:
                failures[name] = "SyntaxError: %s" % error
        except Exception as error:  # reported to the test, which fails
            failures[name] = "%s: %s" % (type(error).__name__, error)
    return failures


def mapped_libraries():
    """Paths of the mapped files whose names look like libev, c-ares or llhttp."""
    found = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            parts = line.split(None, 5)
            if len(parts) == 6:
                path = parts[5].strip()
                if any(word in os.path.basename(path) for word in LIBRARY_WORDS):
                    found.add(path)
    return sorted(found)


def round_trip(payload):
    """Echo `payload` through idiokit sockets: a listener and a client in
    the same loop; returns what came back."""
    import idiokit
    from idiokit import socket

    @idiokit.stream
    def recv_exactly(sock, count):
        data = b""
        while len(data) < count:
            chunk = yield sock.recv(count - len(data))
            if not chunk:
                break
            data += chunk
        idiokit.stop(data)

    @idiokit.stream
    def main():
        server = socket.Socket(socket.AF_INET, socket.SOCK_STREAM)
        client = socket.Socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            yield server.bind(("127.0.0.1", 0))
            yield server.listen(1)
            address = yield server.getsockname()
            yield client.connect(address)
            conn, _ = yield server.accept()
            try:
                sending = client.sendall(payload)
                received = yield recv_exactly(conn, len(payload))
                yield sending
                yield conn.sendall(received)
                echoed = yield recv_exactly(client, len(payload))
            finally:
                yield conn.close()
        finally:
            yield client.close()
            yield server.close()
        idiokit.stop(echoed)

    return idiokit.main_loop(main())


def main():
    import idiokit
    import idiokit._core
    package_dir = os.path.dirname(os.path.abspath(idiokit.__file__))
    modules = installed_modules(package_dir)
    failures = import_all(modules)
    payload = os.urandom(200000)
    echoed = round_trip(payload)
    report = {
        "prefix": sys.prefix,
        "idiokit": os.path.abspath(idiokit.__file__),
        "core": os.path.abspath(idiokit._core.__file__),
        "modules": modules,
        "import_failures": failures,
        "mapped": mapped_libraries(),
        "round_trip_ok": echoed == payload,
        "round_trip_bytes": len(echoed),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
