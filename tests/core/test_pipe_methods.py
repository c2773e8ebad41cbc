# tests/core/test_pipe_methods.py: the methods every Stream has and the helpers
# built on pipes: Stream.send (scenario 14 of section 5.3 of the behaviour
# reference), Stream.fork (22, 23), Stream.next (23), idiokit.map (24),
# idiokit.consume, idiokit.Proxy and idiokit.select.select (section 2.11).
from __future__ import absolute_import, print_function

import os
import socket
import threading

import pytest

import idiokit
from idiokit import select, timer

from support.util import run, produce, collect_into, read_n


class Boom(Exception):
    pass


# --- scenario 14: Stream.send ---------------------------------------------------

def test_stream_send_returns_none_then_broken_pipe_after_the_reader_finished():
    @idiokit.stream
    def main():
        reader = read_n(2, result=("reader", "done"))
        first = yield reader.send(1)
        second = yield reader.send("two", 2)
        items = yield reader
        try:
            yield reader.send(3)
        except idiokit.BrokenPipe as error:
            idiokit.stop(first, second, items, error.args)

    reader_result = ([1, ("two", 2)], "reader", "done")
    assert run(main()) == (None, None, reader_result, reader_result)


def test_stream_send_to_a_failed_reader_raises_its_exception():
    boom = Boom("reader failed")

    @idiokit.stream
    def reader():
        yield idiokit.sleep(0)
        raise boom

    @idiokit.stream
    def main():
        r = reader()
        try:
            yield r
        except Boom:
            pass
        try:
            yield r.send(1)
        except Boom as error:
            idiokit.stop(error is boom)

    assert run(main()) is True


def test_stream_send_waits_for_the_reader():
    log = []

    @idiokit.stream
    def slow_reader():
        yield idiokit.sleep(0.05)
        log.append("reader reads")
        item = yield idiokit.next()
        log.append(("got", item))

    @idiokit.stream
    def main():
        r = slow_reader()
        yield r.send("m")
        log.append("send returned")
        yield r

    run(main())
    assert log[0] == "reader reads"
    assert sorted(log[1:], key=repr) == sorted([("got", "m"), "send returned"], key=repr)


# --- Stream.fork ------------------------------------------------------------------

def test_fork_of_crashed_pipe_leaves_the_stream_running():
    # scenario 22
    first = []
    rest = []

    @idiokit.stream
    def crashing():
        item = yield idiokit.next()
        first.append(item)
        raise Boom("crash")

    @idiokit.stream
    def main():
        p = produce([1, 2, 3, 4], result=("p", 1))
        try:
            yield p.fork() | crashing()
        except Boom:
            pass
        else:
            raise AssertionError("the fork pipe did not raise")
        result = yield p | collect_into(rest)
        idiokit.stop(result)

    assert run(main()) == ("p", 1)
    assert first == [1]
    assert rest == [2, 3, 4]


def test_next_twice_then_fork_gives_the_result():
    # scenario 23
    @idiokit.stream
    def main():
        p = produce(["a", "b"], result=("end",))
        x = yield p.next()
        y = yield p.next()
        result = yield p.fork()
        idiokit.stop(x, y, result)

    assert run(main()) == ("a", "b", "end")


def test_fork_result_is_the_stream_failure():
    @idiokit.stream
    def failing():
        yield idiokit.sleep(0.01)
        raise Boom("original")

    @idiokit.stream
    def main():
        s = failing()
        try:
            yield s.fork()
        except Boom as error:
            idiokit.stop(error.args)

    assert run(main()) == ("original",)


def test_throw_into_a_fork_closes_only_the_fork():
    @idiokit.stream
    def worker():
        yield idiokit.sleep(0.05)
        idiokit.stop("worker finished")

    @idiokit.stream
    def main():
        w = worker()
        f = w.fork()
        f.throw(Boom("fork only"))
        try:
            yield f
        except Boom as error:
            fork_error = error.args
        result = yield w
        idiokit.stop(fork_error, result)

    assert run(main()) == (("fork only",), "worker finished")


def test_timeout_on_a_fork_does_not_cancel_the_stream():
    @idiokit.stream
    def worker():
        yield idiokit.sleep(0.1)
        idiokit.stop("survived")

    @idiokit.stream
    def main():
        w = worker()
        try:
            yield timer.timeout(0.01, w.fork())
        except timer.Timeout:
            pass
        result = yield w
        idiokit.stop(result)

    assert run(main()) == "survived"


def test_messages_sent_into_a_fork_go_into_the_stream():
    @idiokit.stream
    def main():
        r = read_n(2, result=("r",))
        f = r.fork()
        yield f.send(1)
        yield f.send(2)
        fork_result = yield f
        stream_result = yield r
        idiokit.stop(fork_result, stream_result)

    assert run(main()) == (([1, 2], "r"), ([1, 2], "r"))


def test_fork_output_is_the_stream_output():
    got = []

    @idiokit.stream
    def main():
        p = produce([1, 2, 3], result=("p",))
        result = yield p.fork() | collect_into(got)
        idiokit.stop(result)

    assert run(main()) == "p"
    assert got == [1, 2, 3]


# --- Stream.next ----------------------------------------------------------------

def test_stream_next_takes_outputs_one_at_a_time():
    @idiokit.stream
    def main():
        p = produce([1, (2, 3), None], result=("p",))
        items = []
        for _ in range(3):
            items.append((yield p.next()))
        result = yield p
        idiokit.stop(items, result)

    assert run(main()) == ([1, (2, 3), None], "p")


def test_stream_next_on_a_finished_stream_raises_stop_iteration():
    @idiokit.stream
    def main():
        p = produce([], result=("gone",))
        yield p
        try:
            yield p.next()
        except StopIteration as stop:
            idiokit.stop(stop.args)

    assert run(main()) == ("gone",)


# --- scenario 24: idiokit.map and idiokit.consume -----------------------------------

def test_map_is_a_flat_map_and_filter():
    got = []

    def expand_odd(x):
        if x % 2:
            return [x] * x
        return None

    result = run(produce([1, 2, 3, 4], result=("up",)) | idiokit.map(expand_odd) |
                 collect_into(got))
    assert got == [1, 3, 3, 3]
    assert result == "up"


def test_map_with_one_tuple_is_the_identity():
    got = []
    run(produce(["a", ("b", "c"), None]) | idiokit.map(lambda x: (x,)) | collect_into(got))
    assert got == ["a", ("b", "c"), None]


def test_map_passes_extra_args_and_keywords():
    got = []

    def scale(x, factor, offset=0):
        return [x * factor + offset]

    run(produce([1, 2]) | idiokit.map(scale, 10, offset=1) | collect_into(got))
    assert got == [11, 21]


def test_map_accepts_any_iterable():
    got = []

    def chars(word):
        return (c for c in word)

    run(produce(["ab", "", "c"]) | idiokit.map(chars) | collect_into(got))
    assert got == ["a", "b", "c"]


def test_map_function_exception_fails_the_pipe():
    def explode(x):
        if x == 2:
            raise Boom("map")
        return [x]

    got = []
    with pytest.raises(Boom) as excinfo:
        run(produce([1, 2, 3]) | idiokit.map(explode) | collect_into(got))
    assert excinfo.value.args == ("map",)
    assert got == [1]


def test_map_result_is_the_upstream_result():
    assert run(produce([1], result=("r", 2)) | idiokit.map(lambda x: None)) == ("r", 2)


def test_consume_swallows_input_and_returns_upstream_result():
    seen = []

    @idiokit.stream
    def producer():
        for i in range(5):
            yield idiokit.send(i)
            seen.append(i)
        idiokit.stop("produced")

    assert run(producer() | idiokit.consume()) == "produced"
    assert seen == [0, 1, 2, 3, 4]


def test_consume_passes_upstream_exception():
    @idiokit.stream
    def producer():
        yield idiokit.send(1)
        raise Boom("up")

    with pytest.raises(Boom):
        run(producer() | idiokit.consume())


# --- idiokit.Proxy --------------------------------------------------------------

class Counter(idiokit.Proxy):
    def __init__(self):
        self.items = []
        idiokit.Proxy.__init__(self, self._run())

    @idiokit.stream
    def _run(self):
        while True:
            try:
                item = yield idiokit.next()
            except StopIteration as stop:
                idiokit.stop(len(self.items), *stop.args)
            self.items.append(item)
            yield idiokit.send(item * 2)

    def total(self):
        return sum(self.items)


def test_proxy_forwards_input_output_and_result():
    got = []
    counter = Counter()
    result = run(produce([1, 2, 3], result=("p",)) | counter | collect_into(got))
    assert got == [2, 4, 6]
    assert result == (3, "p")
    assert counter.total() == 6
    assert run(counter) == (3, "p")


def test_proxy_forwards_throw():
    @idiokit.stream
    def main():
        counter = Counter()
        yield idiokit.sleep(0.01)
        counter.throw(Boom("proxy"))
        try:
            yield counter
        except Boom as error:
            idiokit.stop(error.args)

    assert run(main()) == ("proxy",)


def test_proxy_is_a_stream():
    proxy = idiokit.Proxy(produce([]))
    assert isinstance(proxy, idiokit.Stream)
    run(proxy | idiokit.consume())


# --- idiokit.select.select --------------------------------------------------------

@pytest.fixture
def os_pipe():
    rfd, wfd = os.pipe()
    yield rfd, wfd
    os.close(rfd)
    os.close(wfd)


def test_select_reports_a_readable_pipe(os_pipe):
    rfd, wfd = os_pipe
    os.write(wfd, b"x")
    r, w, x = run(select.select((rfd,), (), ()))
    assert (list(r), list(w), list(x)) == ([rfd], [], [])


def test_select_reports_a_writable_pipe(os_pipe):
    rfd, wfd = os_pipe
    r, w, x = run(select.select((rfd,), (wfd,), (), 5.0))
    assert (list(r), list(w), list(x)) == ([], [wfd], [])


def test_select_timeout_gives_empty_lists(os_pipe):
    rfd, _ = os_pipe
    r, w, x = run(select.select((rfd,), (), (), 0.05))
    assert (list(r), list(w), list(x)) == ([], [], [])


def test_select_waits_until_data_arrives(os_pipe):
    rfd, wfd = os_pipe
    writer = threading.Timer(0.05, os.write, (wfd, b"late"))
    writer.start()
    try:
        r, w, x = run(select.select((rfd,), (), (), 10.0))
    finally:
        writer.join()
    assert list(r) == [rfd]
    assert os.read(rfd, 10) == b"late"


def test_select_returns_the_objects_given_with_fileno():
    left, right = socket.socketpair()
    try:
        right.send(b"ping")
        r, w, x = run(select.select((left, right), (), (), 5.0))
        assert list(r) == [left]
        assert r[0] is left
    finally:
        left.close()
        right.close()


@pytest.fixture
def tcp_pair():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    listener.close()
    yield client, server
    client.close()
    server.close()


def test_select_reports_urgent_data_in_xlist(tcp_pair):
    # Exceptional conditions have no libev watcher: the wait goes through an
    # epoll fd of the select's own (src/io.c).  The urgent byte arrives while
    # select waits; the pipe given as well never has one.
    client, server = tcp_pair
    rfd, wfd = os.pipe()
    sender = threading.Timer(0.05, client.send, (b"!", socket.MSG_OOB))
    sender.start()
    try:
        r, w, x = run(select.select((), (), (rfd, server), 10.0))
    finally:
        sender.join()
        os.close(rfd)
        os.close(wfd)
    assert (list(r), list(w), list(x)) == ([], [], [server])
    assert x[0] is server
    assert server.recv(1, socket.MSG_OOB) == b"!"


def test_select_xlist_already_urgent_mixed_with_read_and_write(tcp_pair):
    client, server = tcp_pair
    client.send(b"data")
    client.send(b"!", socket.MSG_OOB)       # on loopback both are there on return
    r, w, x = run(select.select((server,), (client,), (server, client), 5.0))
    assert (list(r), list(w), list(x)) == ([server], [client], [server])


def test_select_xlist_times_out_empty_and_leaves_no_fd(tcp_pair):
    client, server = tcp_pair
    before = len(os.listdir("/proc/self/fd"))
    r, w, x = run(select.select((server,), (), (server, client), 0.05))
    assert (list(r), list(w), list(x)) == ([], [], [])
    assert len(os.listdir("/proc/self/fd")) == before


def test_select_does_not_block_other_streams(os_pipe):
    rfd, wfd = os_pipe
    log = []

    @idiokit.stream
    def waiter():
        yield select.select((rfd,), (), ())
        log.append("readable")

    @idiokit.stream
    def ticker():
        for i in range(3):
            yield idiokit.sleep(0.01)
            log.append(i)
        os.write(wfd, b"!")

    @idiokit.stream
    def main():
        w = waiter()
        yield ticker()
        yield w

    run(main())
    assert log == [0, 1, 2, "readable"]


def test_throw_into_select_cancels_the_wait(os_pipe):
    rfd, _ = os_pipe

    @idiokit.stream
    def main():
        s = select.select((rfd,), (), ())
        yield idiokit.sleep(0.01)
        s.throw(Boom("stop waiting"))
        try:
            yield s
        except Boom as error:
            idiokit.stop(error.args)

    assert run(main()) == ("stop waiting",)
