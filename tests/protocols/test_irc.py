"""idiokit.irc: the line parser and formatting, and the client against a
real IRC server (ngircd, started by the tests on 127.0.0.1): registration,
nick in use, join, messages between two clients, PING both ways, a server
that closes the connection."""
from __future__ import absolute_import

import pytest

import idiokit
from idiokit import irc, timer

from support.ngircd import Ngircd
from support.util import finish, run


# ---- the parser and the formatter ---------------------------------------------

def parse(data, parser=None):
    return list((parser or irc.IRCParser()).feed(data))


def test_parser_prefix_command_params():
    assert parse(b":nick!u@h PRIVMSG #chan :hello there\r\n") == [
        ("nick!u@h", "PRIVMSG", ["#chan", "hello there"])]
    assert parse(b"PING :irc.test\n") == [(None, "PING", ["irc.test"])]
    assert parse(b":irc.test 001 me :Welcome\r\n:irc.test MODE me +i\r\n") == [
        ("irc.test", "001", ["me", "Welcome"]), ("irc.test", "MODE", ["me", "+i"])]
    assert parse(b"QUIT\r\n") == [(None, "QUIT", [])]
    assert parse(b"CMD a  b :\r\n") == [(None, "CMD", ["a", "b", ""])]


def test_parser_keeps_partial_lines():
    parser = irc.IRCParser()
    assert parse(b":a PRIV", parser) == []
    assert parse(b"MSG x :y", parser) == []
    assert parse(b"z\r\n\r\n", parser) == [("a", "PRIVMSG", ["x", "yz"])]


def test_parser_keeps_lines_an_early_stop_left():
    parser = irc.IRCParser()
    for message in parser.feed(b"A 1\r\nB 2\r\nC 3\r\n"):
        break
    assert parse(b"D 4\r\n", parser) == [(None, "B", ["2"]), (None, "C", ["3"]), (None, "D", ["4"])]


def test_parser_refuses_nul_and_long_lines():
    with pytest.raises(irc.IRCError):
        parse(b"PRIVMSG x :a\x00b\r\n")
    with pytest.raises(irc.IRCError):
        parse(b"PRIVMSG x :" + b"a" * 600 + b"\r\n")
    parser = irc.IRCParser()
    with pytest.raises(irc.IRCError):
        for _ in range(100):     # a line that never ends stays bounded
            parse(b"a" * 100, parser)


def test_format_message():
    assert irc.format_message("PRIVMSG", "#chan", "hi there") == "PRIVMSG #chan :hi there\r\n"
    assert irc.format_message("QUIT") == "QUIT :\r\n"
    for bad in (("PRIVMSG", "#c", "a\r\nQUIT"), ("PRIVMSG", "a b", "x"), ("NICK\n", "x")):
        with pytest.raises(ValueError):
            irc.format_message(*bad)


def test_mutations():
    nicks = irc.mutations("longnickname")
    assert [next(nicks) for _ in range(6)] == [
        "longnickname", "longnick_", "longnick-", "longnick~", "longnick^", "longnick0"]


# ---- against ngircd ---------------------------------------------------------------

@pytest.fixture(scope="module")
def server():
    server = Ngircd()
    server.ping_timeout = 2
    try:
        yield server.start()
    finally:
        server.close()


@idiokit.stream
def wait_for(client, command, params_start=(), limit=10.0):
    """The first (prefix, command, params) from client with this command
    whose params start with params_start."""
    @idiokit.stream
    def find():
        while True:
            prefix, got, params = yield idiokit.next()
            if got == command and tuple(params[:len(params_start)]) == tuple(params_start):
                idiokit.stop(prefix, got, params)
    result = yield timer.timeout(limit, client.fork() | find())
    idiokit.stop(result)


def test_connect_registers(server):
    @idiokit.stream
    def main():
        client = yield irc.connect("127.0.0.1", server.port, "alice")
        assert isinstance(client, irc.IRC) and client.nick == "alice"
        yield client.send("WHOIS", "alice")
        prefix, command, params = yield wait_for(client, "311")
        assert params[1] == "alice"
        yield finish(client)
    run(main())


def test_messages_after_the_welcome_are_kept(server):
    @idiokit.stream
    def main():
        client = yield irc.connect("127.0.0.1", server.port, "henry")
        prefix, command, params = yield wait_for(client, "376")     # end of MOTD
        assert params[0] == "henry"
        yield finish(client)
    run(main())


def test_nick_in_use_tries_variations(server):
    @idiokit.stream
    def main():
        first = yield irc.connect("127.0.0.1", server.port, "bob")
        second = yield irc.connect("127.0.0.1", server.port, "bob")
        third = yield irc.connect("127.0.0.1", server.port, "bob")
        assert (first.nick, second.nick, third.nick) == ("bob", "bob_", "bob-")
        yield finish(first, second, third)
    run(main())


def test_nick_already_in_use_when_the_variations_run_out(server, monkeypatch):
    monkeypatch.setattr(irc, "mutations", lambda nick: iter([nick, nick + "_"]))

    @idiokit.stream
    def main():
        first = yield irc.connect("127.0.0.1", server.port, "ivan")
        second = yield irc.connect("127.0.0.1", server.port, "ivan")
        try:
            yield irc.connect("127.0.0.1", server.port, "ivan")
        except irc.NickAlreadyInUse as error:
            idiokit.stop(first, second, str(error))
        finally:
            yield finish(first, second)
    assert "in use" in run(main())[2].lower()


def test_erroneous_nick_is_an_error(server):
    with pytest.raises(irc.IRCError):
        run(irc.connect("127.0.0.1", server.port, "#badnick"))


def test_join_and_talk_between_two_clients(server):
    @idiokit.stream
    def main():
        carol = yield irc.connect("127.0.0.1", server.port, "carol")
        dave = yield irc.connect("127.0.0.1", server.port, "dave")
        joined = wait_for(carol, "JOIN", ["#room"])
        yield carol.join("#room")
        yield joined
        joined = wait_for(dave, "366", ["dave", "#room"])
        yield dave.join("#room")
        yield joined
        heard = wait_for(dave, "PRIVMSG", ["#room"])
        yield carol.send("PRIVMSG", "#room", "hello, dave \xe4")
        prefix, command, params = yield heard
        assert prefix.startswith("carol!") and params[1] == "hello, dave \xe4"
        renamed = wait_for(dave, "NICK")
        yield carol.set_nick("carol2")
        prefix, _, params = yield renamed
        assert prefix.startswith("carol!") and params == ["carol2"]
        yield finish(carol, dave)
    run(main())


def test_server_ping_is_answered(server):
    @idiokit.stream
    def main():
        client = yield irc.connect("127.0.0.1", server.port, "erin")
        yield wait_for(client, "PING")          # ngircd pings after 2 s idle
        yield timer.sleep(3.0)                  # past its 2 s PONG timeout
        yield client.send("WHOIS", "erin")
        yield wait_for(client, "311")           # still connected
        yield finish(client)
    run(main())


def test_client_pings_a_quiet_server(server, monkeypatch):
    monkeypatch.setattr(irc, "PING_INTERVAL", 0.3)

    @idiokit.stream
    def main():
        client = yield irc.connect("127.0.0.1", server.port, "frank")
        prefix, command, params = yield wait_for(client, "PONG")
        assert params[-1] == "keepalive"
        yield finish(client)
    run(main())


def test_quit_closes_and_the_stream_ends_with_connection_lost(server):
    @idiokit.stream
    def main():
        client = yield irc.connect("127.0.0.1", server.port, "gina")
        yield client.quit("bye")
        yield client | idiokit.consume()
    with pytest.raises(irc.IRCError) as info:
        run(main())
    assert "connection lost" in str(info.value)


def test_connection_refused_is_a_socket_error():
    from idiokit.socket import SocketError
    from support.servers import free_port
    with pytest.raises(SocketError):
        run(irc.connect("127.0.0.1", free_port(), "nobody", timeout=5.0))


def test_tls_connect_verifies_the_server(server):
    @idiokit.stream
    def main():
        client = yield irc.connect("127.0.0.1", server.tls_port, "tlsuser", ssl=True,
                                   ssl_ca_certs=server.ca)
        yield client.send("WHOIS", "tlsuser")
        prefix, command, params = yield wait_for(client, "311")
        assert params[1] == "tlsuser"
        yield finish(client)
    run(main())


def test_tls_with_an_unknown_ca_is_refused(server, tmp_path):
    from idiokit import ssl
    from support.servers import make_certs
    other_ca, _, _ = make_certs(str(tmp_path))
    with pytest.raises(ssl.SSLError):
        run(irc.connect("127.0.0.1", server.tls_port, "tlsuser2", ssl=True, ssl_ca_certs=other_ca))
