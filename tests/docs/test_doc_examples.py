"""tests/docs/test_doc_examples.py: every code example of the docs runs.

One test per page (docs/**/*.rst and README.rst) runs the page's
``.. code-block:: python`` and ``pycon`` blocks in order in one fresh
interpreter; one test per ``:class: peer`` block runs that block alone where
its library imports (skipped, with the reason, where it does not).  The rules
live in doc_blocks.py; tests/README.md states them for writers.
The runner's own behaviour (a failure names its line, a peer that does not
import is skipped, a wrong doctest fails) is checked on pages written here.
"""
from __future__ import absolute_import

import io
import os
import sys

import pytest

import doc_blocks

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The implementation the examples import: the checkout's in-place build, or
# the directory IDIOKIT_TEST_IMPL names (as for the rest of the suite).
IMPL = os.environ.get("IDIOKIT_TEST_IMPL") or CHECKOUT
TIMEOUT = 60.0 * float(os.environ.get("IDIOKIT_TIMEOUT_FACTOR") or 1.0)
# The interpreter for ``:class: peer`` blocks: by default the one running the
# tests (whose environment rarely has gevent, trio or pycos: their blocks are
# then skipped); IDIOKIT_DOCS_PEER_PYTHON names another, such as
# bench/.venv/bin/python, which has the benchmarks' peers.
PEER_PYTHON = os.environ.get("IDIOKIT_DOCS_PEER_PYTHON") or sys.executable


def doc_pages():
    pages = ["README.rst"]
    docs = os.path.join(CHECKOUT, "docs")
    for directory, subdirs, files in os.walk(docs):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(("_", ".")))
        for name in sorted(files):
            if name.endswith(".rst"):
                pages.append(os.path.relpath(os.path.join(directory, name), CHECKOUT))
    return pages


def read_page(page):
    with io.open(os.path.join(CHECKOUT, page), encoding="utf-8") as f:
        return f.read()


def pages_with_examples():
    """The pages with at least one block this runner runs in the page's
    interpreter (a page without any gets no test rather than a skip)."""
    return [page for page in doc_pages()
            if any(b.kind and not b.peer for b in doc_blocks.parse_blocks(read_page(page)))]


def peer_blocks():
    found = []
    for page in doc_pages():
        for block in doc_blocks.parse_blocks(read_page(page)):
            if block.kind and block.peer:
                found.append(pytest.param(page, block, id="%s:%d" % (page, block.lineno)))
    return found


def explain(page, result):
    where = "%s, block at line %s" % (page, result.lineno) if result.lineno else page
    reason = (": " + result.reason) if result.reason else ""
    return "%s failed%s\n%s" % (where, reason, result.output)


@pytest.mark.timeout(TIMEOUT + 30)
@pytest.mark.parametrize("page", pages_with_examples())
def test_page_examples_run(page):
    text = read_page(page)
    blocks = [b for b in doc_blocks.parse_blocks(text) if b.kind and not b.peer]
    if sys.version_info[0] < 3:
        if doc_blocks.page_is_py3_only(text):
            pytest.skip("%s is marked '.. doc-examples: py3'" % page)
        left_out = [b for b in blocks if b.py3_only]
        blocks = [b for b in blocks if not b.py3_only]
        if not blocks:
            pytest.skip("%s: every example is marked py3 (%d)" % (page, len(left_out)))
    result = doc_blocks.run_job(page, blocks, IMPL, timeout=TIMEOUT)
    if result.status != "ok":
        pytest.fail(explain(page, result), pytrace=False)


@pytest.mark.timeout(TIMEOUT + 30)
@pytest.mark.parametrize("page, block", peer_blocks())
def test_peer_example_runs_where_its_library_imports(page, block):
    if block.py3_only and sys.version_info[0] < 3 and PEER_PYTHON == sys.executable:
        pytest.skip("marked py3")
    modules = doc_blocks.imported_modules(block.text)
    if "idiokit" in modules:
        # The original idiokit's (2.8.2, Python 2) code: it must run unchanged
        # on this idiokit, which is what the porting guide promises.
        if sys.version_info[0] >= 3:
            pytest.skip("the original idiokit's code is Python 2 code; it runs on "
                        "this idiokit under Python 2.7")
        result = doc_blocks.run_job(page, [block], IMPL, timeout=TIMEOUT, warnings="default")
    else:
        result = doc_blocks.run_job(page, [block], None, probe=modules or None,
                                    timeout=TIMEOUT, python=PEER_PYTHON, warnings="default")
    if result.status == "skipped":
        pytest.skip(result.reason)
    if result.status != "ok":
        pytest.fail(explain(page, result), pytrace=False)


# --- the runner itself ---------------------------------------------------------

PAGE = u"""\
A page
======

.. code-block:: python

    from __future__ import division
    x = 1 / 2

Text between.

.. code-block:: python
   :class: py3

    y = x * 4

.. code-block:: pycon

    >>> print(x)
    0.5

.. code-block:: console

    $ not python at all

.. code-block:: python
   :class: peer

    import no_such_library_for_doc_tests
"""


def test_the_parser_finds_each_block_with_its_line_language_and_classes():
    blocks = doc_blocks.parse_blocks(PAGE)
    assert [(b.language, b.lineno, b.classes) for b in blocks] == [
        ("python", 6, []), ("python", 14, ["py3"]), ("pycon", 18, []),
        ("console", 23, []), ("python", 28, ["peer"])]
    assert blocks[0].text == "from __future__ import division\nx = 1 / 2\n"
    assert [b.kind for b in blocks] == ["exec", "exec", "doctest", None, "exec"]
    assert doc_blocks.imported_modules(blocks[4].text) == ["no_such_library_for_doc_tests"]


def test_blocks_share_a_namespace_and_future_imports():
    result = run_own_blocks(PAGE)
    assert result.status == "ok", result.output


def test_names_and_future_imports_of_a_pycon_block_reach_the_next_blocks():
    page = u"""\
.. code-block:: pycon

    >>> from __future__ import print_function
    >>> print("a", 1)
    a 1
    >>> def double(n):
    ...     return 2 * n

.. code-block:: python

    assert double(3) == 6
    print("b", 2)

.. code-block:: pycon

    >>> print("c", double(1))
    c 2
"""
    result = run_own_blocks(page)
    assert result.status == "ok", result.output
    assert "\nb 2\n" in result.output


def run_own_blocks(page):
    """Run the blocks of the text `page` as test_page_examples_run would."""
    blocks = [b for b in doc_blocks.parse_blocks(page) if b.kind and not b.peer]
    return doc_blocks.run_job("page.rst", blocks, IMPL, timeout=TIMEOUT)


def test_a_failing_block_is_reported_at_its_line_of_the_page():
    result = run_own_blocks(PAGE.replace("y = x * 4", "y = x * 4\n    raise KeyError('boom')"))
    assert (result.status, result.lineno) == ("failed", 14)
    assert 'File "page.rst", line 15' in result.output
    assert "KeyError: 'boom'" in result.output


def test_a_wrong_doctest_output_fails():
    result = run_own_blocks(PAGE.replace("    0.5", "    0.25"))
    assert (result.status, result.lineno) == ("failed", 18)
    assert "0.25" in result.output


def test_an_example_that_does_not_end_is_stopped_and_reported():
    blocks = doc_blocks.parse_blocks(u".. code-block:: python\n\n    import time\n    time.sleep(60)\n")
    result = doc_blocks.run_job("page.rst", blocks, IMPL, timeout=1.0)
    assert (result.status, result.lineno) == ("timeout", 3)


def test_an_unclosed_file_is_a_failure_even_when_python_only_prints_it():
    blocks = doc_blocks.parse_blocks(u".. code-block:: python\n\n    f = open(%r)\n    del f\n" % __file__)
    result = doc_blocks.run_job("page.rst", blocks, IMPL, timeout=TIMEOUT)
    if sys.version_info[0] < 3:
        assert result.status == "ok", result.output     # 2.7 has no ResourceWarning
    else:
        assert result.status == "failed" and "ResourceWarning" in result.output, result.output


def test_a_logged_error_fails_the_page():
    result = run_own_blocks(u"""\
.. code-block:: python

    import idiokit

    @idiokit.stream
    def fails():
        yield idiokit.sleep(0.0)
        raise KeyError("nobody waits for me")

    @idiokit.stream
    def main():
        fails()
        yield idiokit.sleep(0.05)

    idiokit.main_loop(main())
    import gc
    gc.collect()
""")
    assert result.status == "failed", result.output
    if sys.version_info[0] >= 3:
        assert "nobody waits for me" in result.output, result.output


def test_a_peer_block_whose_library_does_not_import_is_skipped_not_passed():
    block = doc_blocks.parse_blocks(PAGE)[-1]
    result = doc_blocks.run_job("page.rst", [block], None,
                                probe=doc_blocks.imported_modules(block.text), timeout=TIMEOUT)
    assert result.status == "skipped"
    assert "no_such_library_for_doc_tests does not import" in result.reason


def test_a_peer_block_does_not_see_this_checkout():
    blocks = doc_blocks.parse_blocks(u".. code-block:: python\n\n    import idiokit\n")
    result = doc_blocks.run_job("page.rst", blocks, None, probe=["idiokit"], timeout=TIMEOUT)
    assert result.status == "skipped", result.output


def test_every_page_with_python_has_blocks_found():
    # README.rst shows Python: a parser that finds nothing would pass every page.
    assert [b for b in doc_blocks.parse_blocks(read_page("README.rst")) if b.kind == "exec"]
