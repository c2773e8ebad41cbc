"""A bot that joins an XMPP chat room, says hello and prints what is said
there (docs/protocols.rst shows this file; tests/protocols/test_xmpp.py runs
it against the prosody the tests start).

    python examples/xmpp_bot.py bot@example.com password lobby
"""
from __future__ import print_function

import sys

import idiokit
from idiokit import xmpp
from idiokit.xmlcore import Element


@idiokit.stream
def print_messages():
    """Print the sender and the body of each message the room outputs (the
    room's output is batches of elements)."""
    while True:
        elements = yield idiokit.next()
        for message in elements.named("message"):
            for body in message.children("body"):
                print(message.get_attr("from"), body.text)
                sys.stdout.flush()


@idiokit.stream
def bot(conn, room_name, nick="bot"):
    """Join room_name on the XMPP connection conn, say hello, print."""
    room = yield conn.muc.join(room_name, nick)
    yield room.send(Element("body", "hello"))
    yield room | print_messages()


@idiokit.stream
def main(jid, password, room_name):
    conn = yield xmpp.connect(jid, password)
    yield bot(conn, room_name)


if __name__ == "__main__":
    jid, password, room_name = sys.argv[1:4]
    idiokit.main_loop(main(jid, password, room_name))
