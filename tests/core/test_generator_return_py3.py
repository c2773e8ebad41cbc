# tests/core/test_generator_return_py3.py: Python 3 only (ignored on Python 2 by
# conftest.py): generator streams may `return value`, and PEP 479 does not
# turn idiokit.stop() or an uncaught end of input into RuntimeError.
import pytest

import idiokit

from support.util import run, produce


def test_return_value_is_the_result():
    @idiokit.stream
    def child():
        yield idiokit.sleep(0)
        return "returned"

    assert run(child()) == "returned"


def test_return_tuple_is_one_value():
    @idiokit.stream
    def child():
        yield idiokit.sleep(0)
        return (1, 2)

    @idiokit.stream
    def parent():
        value = yield child()
        return ("got", value)

    assert run(parent()) == ("got", (1, 2))


def test_bare_return_gives_none():
    @idiokit.stream
    def child():
        yield idiokit.sleep(0)
        return

    assert run(child()) is None


def test_return_after_catching_end_of_input():
    @idiokit.stream
    def counter():
        count = 0
        while True:
            try:
                yield idiokit.next()
            except StopIteration:
                return count
            count += 1

    assert run(produce(range(5)) | counter()) == 5


def test_stop_does_not_become_runtime_error():
    @idiokit.stream
    def child():
        yield idiokit.sleep(0)
        idiokit.stop("stopped")

    assert run(child()) == "stopped"


def test_stop_iteration_chained_under_another_exception_is_not_swallowed():
    # A RuntimeError whose __cause__ is not a StopIteration is a real error.
    @idiokit.stream
    def child():
        yield idiokit.sleep(0)
        try:
            raise KeyError("k")
        except KeyError as error:
            raise RuntimeError("wrapped") from error

    with pytest.raises(RuntimeError) as excinfo:
        run(child())
    assert excinfo.value.args == ("wrapped",)
    assert isinstance(excinfo.value.__cause__, KeyError)
