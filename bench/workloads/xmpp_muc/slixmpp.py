"""xmpp_muc / slixmpp: the same exchange with slixmpp (asyncio): two
ClientXMPP (STARTTLS verified against the test CA, SASL) join the room
with xep_0045's join_muc_wait; alice send_message()s N groupchat messages,
bob's groupchat_message handler counts those from alice and checks their
order.  Timed from the first post to bob's Nth message."""
from __future__ import print_function

import asyncio
import logging

from benchutil import clock, load_sibling, params

_server = load_sibling(__file__, "_server.py")
P = params(n=5000, server_cpu=0, server="tuned")

import slixmpp  # noqa: E402


async def connected(user, server):
    client = slixmpp.ClientXMPP("%s@localhost/bench" % user, _server["USERS"][user])
    client.register_plugin("xep_0045")
    client.ca_certs = server.ca
    started = asyncio.get_running_loop().create_future()
    client.add_event_handler("session_start", lambda _: started.done() or started.set_result(True))
    client.add_event_handler("failed_auth", lambda _: started.done() or started.set_exception(
        RuntimeError("authentication failed")))
    client.connect(host="127.0.0.1", port=server.port)
    await asyncio.wait_for(started, 30)
    client.send_presence()
    await client.plugin["xep_0045"].join_muc_wait(slixmpp.JID(_server["ROOM"]), user, maxstanzas=0)
    return client


async def main(server, count):
    alice = await connected("alice", server)
    # The room is new: accept its default configuration (an instant room),
    # as idiokit's join does, so that others may enter.
    await alice.plugin["xep_0045"].set_room_config(_server["ROOM"], alice.plugin["xep_0004"].make_form())
    bob = await connected("bob", server)
    done = asyncio.get_running_loop().create_future()
    state = {"expected": 0}

    def on_message(message):
        if message["mucnick"] != "alice" or done.done():
            return
        if message["body"] != str(state["expected"]):
            done.set_exception(ValueError("message %r out of order" % message["body"]))
            return
        state["expected"] += 1
        if state["expected"] == count:
            done.set_result(count)
    bob.add_event_handler("groupchat_message", on_message)

    before = _server["usage"](server)
    start = clock()
    for number in range(count):
        alice.send_message(mto=_server["ROOM"], mbody=str(number), mtype="groupchat")
    got = await asyncio.wait_for(done, 300)
    seconds = clock() - start
    after = _server["usage"](server)
    for client in (alice, bob):
        client.disconnect()
    return got, seconds, before, after


def run():
    logging.disable(logging.CRITICAL)
    _server["run_cell"](P, lambda server, n: asyncio.run(main(server, n)))


run()
