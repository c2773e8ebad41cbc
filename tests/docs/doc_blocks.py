"""tests/docs/doc_blocks.py: finds the code examples of a reStructuredText
page and runs them in a fresh interpreter (the runner of
test_doc_examples.py, kept apart so that its own tests can feed it pages).

Owns the rules of runnable documentation (tests/README.md, "Runnable docs",
restates them for writers):

- ``.. code-block:: python`` blocks of a page run in order, in ONE fresh
  interpreter per page, sharing one namespace (like doctest's per-file
  globals); ``from __future__`` imports carry over to later blocks, as in an
  interactive session.  PYTHONPATH is the implementation under test; the
  working directory is an empty temporary directory.
- ``.. code-block:: pycon`` blocks (``>>>`` sessions) run as doctests in the
  same interpreter and namespace, at their place in the page's order.
- ``:class: py3`` on a block: Python 3 only (skipped on 2.7, and said so).  An
  RST comment ``.. doc-examples: py3`` anywhere in a page makes the whole
  page Python 3 only.
- ``:class: peer`` on a block: another library's code (asyncio, gevent, trio,
  asyncoro, pycos, the original idiokit).  Each such block runs alone, in its
  own interpreter WITHOUT this checkout on the path, and only when every
  module it imports imports there; otherwise it is skipped with the reason.
  A peer block that imports idiokit is the original idiokit's (Python 2)
  code: on Python 2.7 it runs WITH this checkout, unchanged, as the porting
  guide promises (test_doc_examples.py).
- A failure names the page, the line of the block and the interpreter's
  output; tracebacks point at lines of the .rst file itself.
"""
from __future__ import absolute_import

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

PYTHON_LANGUAGES = ("python", "python3", "py", "py3")
DOCTEST_LANGUAGES = ("pycon",)
PAGE_PY3_MARK = re.compile(r"^\.\.\s+doc-examples:\s*py3\s*$", re.M)
_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+(?:code-block|code|sourcecode)::\s*(\S*)\s*$")
_OPTION = re.compile(r"^\s*:([\w-]+):\s*(.*?)\s*$")
_IMPORT = re.compile(r"^\s*(?:import\s+([\w.]+(?:\s*,\s*[\w.]+)*)|from\s+([\w.]+)\s+import\s)", re.M)


class Block(object):
    """One code block: its language, its classes, the 1-based line of its
    first line of code in the page, and its dedented text."""

    def __init__(self, language, classes, lineno, text):
        self.language = language
        self.classes = classes
        self.lineno = lineno
        self.text = text

    @property
    def kind(self):
        if self.language in PYTHON_LANGUAGES:
            return "exec"
        if self.language in DOCTEST_LANGUAGES:
            return "doctest"
        return None

    @property
    def peer(self):
        return "peer" in self.classes

    @property
    def py3_only(self):
        return "py3" in self.classes or self.language in ("python3", "py3")

    def __repr__(self):
        return "<%s block at line %d>" % (self.language, self.lineno)


def _indent(line):
    return len(line) - len(line.lstrip())


def parse_blocks(text):
    """Every ``code-block`` of the reStructuredText `text`, in order."""
    lines = text.splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        match = _DIRECTIVE.match(lines[i])
        i += 1
        if not match:
            continue
        base = len(match.group(1))
        language = match.group(2).lower()
        classes = []
        while i < len(lines) and lines[i].strip() and _indent(lines[i]) > base:
            option = _OPTION.match(lines[i])
            if not option:
                break
            if option.group(1) == "class":
                classes.extend(option.group(2).split())
            i += 1
        body = []
        first = None
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > base):
            if lines[i].strip() and first is None:
                first = i
            if first is not None:
                body.append(lines[i])
            i += 1
        while body and not body[-1].strip():
            body.pop()
        if first is None:
            continue
        margin = min(_indent(line) for line in body if line.strip())
        code = "\n".join(line[margin:] for line in body) + "\n"
        blocks.append(Block(language, classes, first + 1, code))
    return blocks


def page_is_py3_only(text):
    return PAGE_PY3_MARK.search(text) is not None


def imported_modules(code):
    """The dotted module names `code` imports at any indentation (relative
    imports and __future__ left out)."""
    names = []
    for match in _IMPORT.finditer(code):
        if match.group(1):
            parts = [part.strip().split(" as ")[0].strip() for part in match.group(1).split(",")]
        else:
            parts = [match.group(2)]
        for name in parts:
            if name and not name.startswith(".") and name != "__future__" and name not in names:
                names.append(name)
    return names


# The program each interpreter runs: reads the JSON job named by argv[1].
# Kept to the subset of Python that 2.7 and 3.8-3.13 share.
DRIVER = r'''
import __future__, doctest, json, sys, traceback, types

def future_flags(code):
    flags = 0
    for name in __future__.all_feature_names:
        flag = getattr(__future__, name).compiler_flag
        if code.co_flags & flag:
            flags |= flag
    return flags

def imported_future_flags(namespace):
    flags = 0
    for name in __future__.all_feature_names:
        if namespace.get(name) is getattr(__future__, name):
            flags |= getattr(__future__, name).compiler_flag
    return flags

def run_doctest(page, block, namespace, flags):
    """Run a pycon block's examples one by one in the page's namespace, so
    that a `from __future__` import counts from the next example on (as at
    the interactive prompt).  Returns the future flags in force after it."""
    parser = doctest.DocTestParser()
    name = "%s:%d" % (page, block["lineno"])
    test = parser.get_doctest(block["text"], {}, name, page, block["lineno"] - 1)
    runner = doctest.DocTestRunner(verbose=False)
    for example in test.examples:
        flags |= imported_future_flags(namespace)
        one = doctest.DocTest([example], {}, name, page, block["lineno"] - 1, block["text"])
        one.globs = namespace       # DocTest copies its globs: share the page's own
        runner.run(one, compileflags=flags, clear_globs=False)
    if runner.failures:
        raise AssertionError("%d doctest example(s) failed" % runner.failures)
    return flags | imported_future_flags(namespace)

def probe(modules):
    for name in modules:
        try:
            module = __import__(name)
        except BaseException as error:
            return "%s does not import here (%s: %s)" % (name, type(error).__name__, error)
        if name.split(".")[0] == "idiokit" and hasattr(module, "_core"):
            return "the original idiokit is not installed (idiokit here is this checkout)"
    return None

def run(job):
    main = types.ModuleType("__main__")
    global driver_module
    driver_module = sys.modules["__main__"]     # Python 2 clears a freed module's dict
    sys.modules["__main__"] = main
    namespace = main.__dict__
    namespace["__builtins__"] = __builtins__
    flags = 0
    if job.get("probe"):
        reason = probe(job["probe"])
        if reason:
            sys.stdout.write("\nDOC-EXAMPLES-SKIP %s\n" % json.dumps(reason))
            return 0
    for block in job["blocks"]:
        sys.stdout.write("--- %s, block at line %d\n" % (job["page"], block["lineno"]))
        sys.stdout.flush()
        padded = "\n" * (block["lineno"] - 1) + block["text"]
        try:
            if block["kind"] == "exec":
                flags |= imported_future_flags(namespace)
                code = compile(padded, job["page"], "exec", flags, True)
                flags |= future_flags(code)
                exec(code, namespace)
            else:
                flags = run_doctest(job["page"], block, namespace, flags)
        except SystemExit as error:
            if error.code not in (None, 0):
                traceback.print_exc(file=sys.stdout)
                sys.stdout.write("\nDOC-EXAMPLES-FAILED %d\n" % block["lineno"])
                return 1
        except BaseException:
            traceback.print_exc(file=sys.stdout)
            sys.stdout.write("\nDOC-EXAMPLES-FAILED %d\n" % block["lineno"])
            return 1
        sys.stdout.flush()
    sys.stdout.write("\nDOC-EXAMPLES-OK\n")
    return 0

with open(sys.argv[1]) as job_file:
    job = json.load(job_file)
del job_file
sys.exit(run(job))
'''


class Result(object):
    """What one interpreter did: `status` is "ok", "failed", "skipped" or
    "timeout"; `lineno` the failing block's line; `output` stdout+stderr."""

    def __init__(self, status, output, lineno=None, reason=None):
        self.status = status
        self.output = output
        self.lineno = lineno
        self.reason = reason


def run_job(page, blocks, pythonpath, probe=None, timeout=60.0, python=None, warnings="error"):
    """Run `blocks` (Block objects, in order) of `page` (the name shown in
    tracebacks) in one fresh interpreter; return a Result."""
    workdir = tempfile.mkdtemp(prefix="idiokit-doc-")
    try:
        job_path = os.path.join(workdir, ".doc-job.json")
        job = {"page": page, "probe": probe,
               "blocks": [{"lineno": b.lineno, "kind": b.kind, "text": b.text} for b in blocks]}
        with io.open(job_path, "w", encoding="utf-8") as job_file:
            job_file.write(u"%s" % json.dumps(job))
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        elif "libasan" in env.get("LD_PRELOAD", ""):
            # Another library's code does not load idiokit's sanitized
            # extension (make test-asan): it runs without the preload.
            for name in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
                env.pop(name, None)
        env["PYTHONIOENCODING"] = "utf-8"
        env.pop("PYTHONWARNINGS", None)
        argv = [python or sys.executable, "-W", warnings, "-c", DRIVER, job_path]
        return _communicate(argv, env, workdir, timeout)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _communicate(argv, env, cwd, timeout):
    process = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               preexec_fn=os.setsid, close_fds=True)
    timed_out = []

    def kill():
        timed_out.append(True)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.daemon = True
    timer.start()
    try:
        output, _ = process.communicate(b"")
    finally:
        timer.cancel()
    # Whatever the example started in its process group goes with it.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass
    text = output.decode("utf-8", "replace")
    return _result(text, process.returncode, timed_out, timeout)


def _result(text, returncode, timed_out, timeout):
    failed = re.search(r"^DOC-EXAMPLES-FAILED (\d+)$", text, re.M)
    skipped = re.search(r"^DOC-EXAMPLES-SKIP (.*)$", text, re.M)
    if timed_out:
        started = re.findall(r"^--- .*, block at line (\d+)$", text, re.M)
        return Result("timeout", text, int(started[-1]) if started else None,
                      "no end after %g s" % timeout)
    if failed:
        return Result("failed", text, int(failed.group(1)))
    if skipped:
        return Result("skipped", text, reason=json.loads(skipped.group(1)))
    if returncode == 0 and re.search(r"^DOC-EXAMPLES-OK$", text, re.M):
        if re.search(r"^Exception ignored in", text, re.M):
            # An error Python could only print (a ResourceWarning of an
            # unclosed socket in a finalizer, an error at exit).
            return Result("failed", text, None, "an exception was ignored (see the output)")
        if re.search(r"^Traceback \(most recent call last\):|^No handlers could be found for logger",
                     text, re.M):
            # A logged error: an exception nobody retrieved, a coroutine
            # that failed on its own, a thread that died.  (Python 2's logging
            # has no last-resort handler: it says "No handlers could be found".)
            return Result("failed", text, None, "an error was logged or a traceback printed")
        return Result("ok", text)
    started = re.findall(r"^--- .*, block at line (\d+)$", text, re.M)
    return Result("failed", text, int(started[-1]) if started else None,
                  "the interpreter exited with status %r" % (returncode,))
