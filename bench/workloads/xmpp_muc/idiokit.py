"""xmpp_muc / idiokit: two idiokit.xmpp clients (alice and bob) join one
prosody MUC room; alice posts N groupchat messages (`produce | room.fork()`,
each a <body> with its number), bob's room stream counts those from alice
and checks their order.  Timed from the first post to bob's Nth message."""
from __future__ import print_function


import idiokit
from idiokit import timer, xmpp
from idiokit.xmlcore import Element

from benchutil import clock, load_sibling, params

_server = load_sibling(__file__, "_server.py")
P = params(n=5000, server_cpu=0, server="tuned")


@idiokit.stream
def produce(count):
    for number in range(count):
        yield idiokit.send(Element("body", str(number)))


@idiokit.stream
def collect(count):
    expected = 0
    while expected < count:
        element = yield idiokit.next()
        if element.name != "message" or not element.get_attr("from", "").endswith("/alice"):
            continue
        for body in element.children("body"):
            if body.text != str(expected):
                raise ValueError("message %r out of order, expected %d" % (body.text, expected))
            expected += 1
    idiokit.stop(expected)


@idiokit.stream
def main(server, count):
    keys = dict(host="127.0.0.1", port=server.port, ssl_ca_certs=server.ca)
    alice = yield xmpp.connect("alice@localhost/bench", _server["USERS"]["alice"], **keys)
    bob = yield xmpp.connect("bob@localhost/bench", _server["USERS"]["bob"], **keys)
    room_a = yield alice.muc.join(_server["ROOM"], "alice")
    room_b = yield bob.muc.join(_server["ROOM"], "bob")

    collector = room_b.fork() | collect(count)
    before = _server["usage"](server)
    start = clock()
    produce(count) | room_a.fork() | idiokit.consume()
    got = yield timer.timeout(300.0, collector)
    seconds = clock() - start
    after = _server["usage"](server)
    for stream in (room_a, room_b, alice, bob):
        stream.throw(idiokit.BrokenPipe())
    idiokit.stop(got, seconds, before, after)


def run():
    _server["run_cell"](P, lambda server, n: idiokit.main_loop(main(server, n)))


run()
