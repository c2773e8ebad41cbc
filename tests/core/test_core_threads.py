# tests/core/test_core_threads.py: scenario 18 of section 5.3 of the behaviour
# reference: idiokit.thread returns values, raises the function's exception
# with its traceback, runs jobs in parallel on reused threads, and does not
# block the loop.
from __future__ import absolute_import, print_function

import threading
import traceback

import pytest

import idiokit

from support.util import run


class Boom(Exception):
    pass


def traceback_names(tb):
    return [entry[2] for entry in traceback.extract_tb(tb)]


# --- scenario 18: idiokit.thread ----------------------------------------------

def test_thread_returns_the_value():
    assert run(idiokit.thread(lambda a, b=0: a * 10 + b, 4, b=2)) == 42


def test_thread_result_is_not_peeled_twice():
    assert run(idiokit.thread(lambda: (1, 2))) == (1, 2)
    assert run(idiokit.thread(lambda: None)) is None


def test_thread_raises_the_function_exception_with_its_traceback():
    def function_in_thread():
        raise Boom("in thread")

    with pytest.raises(Boom) as excinfo:
        run(idiokit.thread(function_in_thread))
    assert excinfo.value.args == ("in thread",)
    assert "function_in_thread" in traceback_names(excinfo.tb)


def test_thread_runs_in_another_thread():
    main_ident = threading.current_thread().ident
    ident = run(idiokit.thread(lambda: threading.current_thread().ident))
    assert ident != main_ident


def test_threads_run_in_parallel():
    first = threading.Event()
    second = threading.Event()

    def meet(mine, theirs):
        mine.set()
        return theirs.wait(10)

    @idiokit.stream
    def main():
        a = idiokit.thread(meet, first, second)
        b = idiokit.thread(meet, second, first)
        result_a = yield a
        result_b = yield b
        idiokit.stop(result_a, result_b)

    assert run(main()) == (True, True)


def test_loop_keeps_running_while_a_thread_blocks():
    ticks = []
    release = threading.Event()

    @idiokit.stream
    def ticker():
        for i in range(5):
            yield idiokit.sleep(0.01)
            ticks.append(i)
        release.set()

    @idiokit.stream
    def main():
        t = ticker()
        value = yield idiokit.thread(release.wait, 10)
        yield t
        idiokit.stop(value)

    assert run(main()) is True
    assert ticks == [0, 1, 2, 3, 4]


def test_thread_pool_reuses_threads_for_sequential_calls():
    idents = []

    @idiokit.stream
    def main():
        for _ in range(10):
            ident = yield idiokit.thread(lambda: threading.current_thread().ident)
            idents.append(ident)

    run(main())
    assert len(set(idents)) < len(idents)


def test_thread_pool_runs_many_jobs_correctly():
    count = 200

    @idiokit.stream
    def main():
        jobs = [idiokit.thread(lambda i=i: i * i) for i in range(count)]
        results = []
        for job in jobs:
            results.append((yield job))
        idiokit.stop(results)

    assert run(main()) == [i * i for i in range(count)]


def test_throw_into_thread_wait_abandons_it():
    release = threading.Event()

    @idiokit.stream
    def main():
        job = idiokit.thread(release.wait, 10)
        yield idiokit.sleep(0.01)
        job.throw(Boom("abandon"))
        try:
            yield job
        except Boom as boom:
            result = boom.args
        release.set()
        idiokit.stop(result)

    assert run(main()) == ("abandon",)


# --- the bounded pool (idiokit.threadpool.ThreadPool(max_threads, idle_time)) --------

def test_pool_never_runs_more_than_max_threads_at_once():
    from idiokit.threadpool import ThreadPool
    pool = ThreadPool(max_threads=2, idle_time=0.05)
    lock = threading.Lock()
    state = {"running": 0, "peak": 0}
    idents = set()

    def job(i):
        with lock:
            state["running"] += 1
            state["peak"] = max(state["peak"], state["running"])
            idents.add(threading.current_thread().ident)
        threading.Event().wait(0.05)
        with lock:
            state["running"] -= 1
        return i

    @idiokit.stream
    def main():
        jobs = [pool.run(job, i) for i in range(8)]
        results = []
        for j in jobs:
            results.append((yield j))
        idiokit.stop(results)

    assert run(main()) == list(range(8))
    assert state["peak"] == 2
    assert len(idents) == 2
    assert pool.threads <= 2


def test_pool_of_one_thread_runs_jobs_in_order():
    from idiokit.threadpool import ThreadPool
    pool = ThreadPool(max_threads=1, idle_time=0.05)
    order = []

    @idiokit.stream
    def main():
        jobs = [pool.run(order.append, i) for i in range(20)]
        for j in jobs:
            yield j

    run(main())
    assert order == list(range(20))


def test_pool_idle_workers_exit():
    from idiokit.threadpool import ThreadPool
    pool = ThreadPool(max_threads=4, idle_time=0.05)
    assert run(pool.run(lambda: "done")) == "done"
    deadline = threading.Event()
    for _ in range(100):
        if pool.threads == 0:
            break
        deadline.wait(0.05)
    assert pool.threads == 0
    assert run(pool.run(lambda: "again")) == "again"


def test_pool_rejects_a_size_below_one():
    from idiokit.threadpool import ThreadPool
    with pytest.raises(ValueError):
        ThreadPool(max_threads=0)


def test_two_jobs_submitted_at_once_to_one_idle_worker_still_run_in_parallel():
    # Regression: with one idle worker, a second job submitted before that
    # worker woke up was left waiting for the first job to finish.
    from idiokit.threadpool import ThreadPool
    pool = ThreadPool(max_threads=4, idle_time=5.0)
    assert run(pool.run(lambda: "warm")) == "warm"
    first = threading.Event()
    second = threading.Event()

    def meet(mine, theirs):
        mine.set()
        return theirs.wait(10)

    @idiokit.stream
    def main():
        a = pool.run(meet, first, second)
        b = pool.run(meet, second, first)
        result_a = yield a
        result_b = yield b
        idiokit.stop(result_a, result_b)

    assert run(main()) == (True, True)
