"""A small typed program over idiokit's public API.

`make typecheck` runs `mypy --strict` on it, so the stubs (idiokit/*.pyi)
must type it; tests/docs/test_typing_usage.py runs it, so it must also work
(on Python 2.7 too: the annotations are type comments).  It ends by itself:
a pipe, an event, a thread, a task group, a cancel scope, a TCP round trip
on 127.0.0.1, a lookup that /etc/hosts answers, a subprocess and XML.
"""
from __future__ import absolute_import, print_function

import json

import idiokit
from idiokit import dns, process, socket, xmlcore
from idiokit.threadpool import thread

MYPY = False    # True for mypy; Python 2.7 may have no typing module
if MYPY:
    from typing import Any, Generator, List, Optional
    _Steps = Generator[idiokit.Stream, Any, None]


@idiokit.stream
def numbers(count):
    # type: (int) -> _Steps
    for number in range(count):
        yield idiokit.send(number)


@idiokit.stream
def total():
    # type: () -> _Steps
    result = 0
    while True:
        try:
            number = yield idiokit.next()
        except StopIteration:
            break
        result += int(number)
    idiokit.stop(result)


@idiokit.stream
def child(delay, results):
    # type: (float, List[float]) -> _Steps
    yield idiokit.sleep(delay)
    results.append(delay)


@idiokit.stream
def echo_once(server):
    # type: (socket.Socket) -> _Steps
    conn, _ = yield server.accept()
    data = yield conn.recv(4096)
    yield conn.sendall(data)
    yield conn.close()


@idiokit.stream
def main():
    # type: () -> _Steps
    piped = yield numbers(5) | total()
    event = idiokit.Event()
    event.succeed("done")
    said = yield event
    summed = yield thread(sum, [1, 2, 3])

    results = []  # type: List[float]
    with idiokit.TaskGroup() as group:
        group.start(child(0.01, results))
        group.start(child(0.0, results))
        yield group.wait()

    with idiokit.move_on_after(0.01) as scope:
        yield idiokit.sleep(10.0)
    assert scope.cancelled_caught

    server = socket.Socket(socket.AF_INET, socket.SOCK_STREAM)
    yield server.bind(("127.0.0.1", 0))
    yield server.listen(1)
    address = yield server.getsockname()
    serving = echo_once(server)
    client = socket.Socket()
    client.settimeout(10.0)
    timeout = client.gettimeout()  # type: Optional[float]
    yield client.connect(address)
    yield client.sendall(b"ping")
    reply = yield client.recv(4096)
    yield serving
    yield client.close()
    yield server.close()

    addresses = yield dns.host_lookup("localhost")

    code, out, _ = yield process.run(["echo", "hi"], stdout=process.PIPE)
    element = xmlcore.Element("greeting", to="world")
    element.text = out.decode("ascii").strip()
    parser = xmlcore.ElementParser()
    parsed = parser.feed(b"<stream><a x='1'/>")
    xml = element.serialize().decode("utf-8")
    attrs = [item.get_attr("x") for item in parsed.named("a")]
    idiokit.stop(piped, said, summed, sorted(results), reply, timeout, len(addresses) > 0,
                 code, xml, attrs)


if __name__ == "__main__":
    outcome = idiokit.main_loop(main())
    print(json.dumps([x.decode("ascii") if isinstance(x, bytes) else x for x in outcome]))
