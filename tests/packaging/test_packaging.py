# tests/packaging/test_packaging.py: what a user of idiokit's released files gets.
#
# - Metadata: one classifier per supported Python, the same through both of
#   setup.py's paths (pyproject.toml on setuptools >= 61, setup.py's own on
#   Python 2.7's setuptools 44), and the versions the tools build and test.
# - A build whose system lacks the headers of libev, c-ares or llhttp stops
#   before compiling, with one line naming the Debian and Fedora packages;
#   one without a C compiler, with one line saying so.
#   The headers are hidden by a --sysroot (in CFLAGS, which setuptools and
#   setup.py's check both use) that holds /usr/include minus those headers.
# - The manylinux wheel that `make wheels` wrote for the running interpreter
#   (dist/, or $IDIOKIT_WHEELHOUSE) installs into a fresh virtual
#   environment whose PATH has no compiler; its extension needs no library
#   outside the wheel but the C library's (readelf, ldd without
#   LD_LIBRARY_PATH, and the running process's own mappings); every module
#   it installed imports; examples/demo.py runs on it; a socket round trip.
#   A plain run skips those tests (it builds no wheel, and one left in dist/
#   may be stale); `make test-wheels` builds the wheels, then runs this file
#   with IDIOKIT_REQUIRE_WHEEL=1, where a missing wheel is a failure.
from __future__ import absolute_import

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

from support.installed_check import installed_modules
from support.procs import ROOT_DIR as ROOT

SUPPORTED = ["2.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
# (hidden header, library, the words the one-line error must name)
MISSING_CASES = [
    ("ev.h", "libev", ["libev-dev", "libev-devel"]),
    ("ares.h", "c-ares", ["libc-ares-dev", "c-ares-devel"]),
    ("llhttp.h", "llhttp", ["node-llhttp", "libllhttp-dev", "llhttp-devel"]),
]
# Libraries a manylinux wheel may take from the system (glibc's and gcc's).
SYSTEM_LIBS = re.compile(r"^(libc|libm|libpthread|libdl|librt|libutil|libgcc_s|ld-linux[-\w]*)\.so[.\d]*$")
PIP_QUIET = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_PYTHON_VERSION_WARNING": "1",
             "PIP_NO_INPUT": "1"}


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return f.read()


def project_version():
    return re.search(r'^__version__ = "([^"]+)"$', read("idiokit", "__init__.py"), re.M).group(1)


def run(cmd, cwd=None, env=None, timeout=300):
    """(returncode, stdout and stderr together, as text)."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.PIPE)
    out = proc.communicate(b"")[0]
    return proc.returncode, out.decode("utf-8", "replace")


@pytest.fixture
def tmpdir_path():
    path = tempfile.mkdtemp(prefix="idiokit-packaging-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# ---- metadata ---------------------------------------------------------------------

def python_classifiers(classifiers):
    prefix = "Programming Language :: Python :: "
    return sorted(c[len(prefix):] for c in classifiers
                  if c.startswith(prefix) and re.match(r"^\d+\.\d+$", c[len(prefix):]))


def test_classifiers_name_every_supported_python_on_this_setuptools():
    code, out = run([sys.executable, "setup.py", "--classifiers"], cwd=ROOT, timeout=120)
    assert code == 0, out
    classifiers = [line.strip() for line in out.splitlines() if "::" in line]
    assert python_classifiers(classifiers) == sorted(SUPPORTED)
    assert "Operating System :: POSIX :: Linux" in classifiers


def test_tools_build_and_test_the_classified_pythons():
    for script, pattern in (("test_all.sh", r'^versions=\$\{PYTHONS:-"([^"]+)"\}$'),
                            ("pythons.sh", r'^SUPPORTED_PYTHONS="([^"]+)"$')):
        match = re.search(pattern, read("tools", script), re.M)
        assert match, script
        assert sorted(match.group(1).split()) == sorted(SUPPORTED), script
    assert 'requires-python = ">=2.7"' in read("pyproject.toml")


def test_index_metadata_fields():
    code, out = run([sys.executable, "setup.py", "--license", "--description"],
                    cwd=ROOT, timeout=120)
    assert code == 0, out
    text = read("pyproject.toml")
    description = re.search(r'^description = "([^"]+)"$', text, re.M).group(1)
    assert out.splitlines()[-2:] == ["MIT", description], out
    assert 'readme = "README.rst"' in text
    assert re.search(r'^\[project\.urls\]\n"[^"]+" = "https://', text, re.M)
    assert "include README.rst LICENSE" in read("MANIFEST.in")


# ---- a build without the -dev headers ---------------------------------------------

def make_sysroot(base, hidden):
    """A directory usable as gcc --sysroot: usr/include holds links to every
    entry of /usr/include except `hidden` (no usr/local/include at all)."""
    include = os.path.join(base, "usr", "include")
    os.makedirs(include)
    for name in os.listdir("/usr/include"):
        if name != hidden:
            os.symlink(os.path.join("/usr/include", name), os.path.join(include, name))
    return base


def source_tree(dest):
    """The tree a user builds: the sdist of `make wheels` when there is one
    for this version, else the checkout's exported sources."""
    sdist = os.path.join(wheelhouse(), "idiokit-%s.tar.gz" % project_version())
    if wheel_mode() and os.path.exists(sdist):
        os.makedirs(dest)
        code, out = run(["tar", "-xzf", sdist, "-C", dest, "--strip-components=1"])
        assert code == 0, out
    else:
        code, out = run([os.path.join(ROOT, "tools", "export_tree.sh"), dest])
        assert code == 0, out
    return dest


@pytest.mark.parametrize("header,library,packages", MISSING_CASES,
                         ids=[case[1] for case in MISSING_CASES])
def test_build_without_headers_fails_with_one_line(tmpdir_path, header, library, packages):
    tree = source_tree(os.path.join(tmpdir_path, "src"))
    env = dict(os.environ)
    env["CFLAGS"] = "--sysroot=" + make_sysroot(os.path.join(tmpdir_path, "root"), header)
    if library == "llhttp":
        # Not Debian's sources (an empty directory): the shared libllhttp and
        # its llhttp.h, which the sysroot lacks.  The check runs only for an
        # extension with the HTTP binding; its content is never compiled.
        env["IDIOKIT_LLHTTP_DIR"] = os.path.join(tmpdir_path, "no-llhttp")
        os.makedirs(env["IDIOKIT_LLHTTP_DIR"])
        binding = os.path.join(tree, "src", "http_parser.c")
        if not os.path.exists(binding):
            with open(binding, "w") as f:
                f.write("#error the header check should have stopped the build\n")
    for name in ("IDIOKIT_DEBUG", "IDIOKIT_ASAN", "CC", "CPATH", "C_INCLUDE_PATH"):
        env.pop(name, None)
    code, out = run([sys.executable, "setup.py", "build_ext", "--inplace"], cwd=tree, env=env)
    assert code != 0, out
    errors = [line for line in out.splitlines() if "not found" in line]
    assert len(errors) == 1, out
    assert errors[0].startswith("error: <%s> not found" % header), out
    for package in packages:
        assert package in errors[0], (package, errors[0])
    assert "Debian" in errors[0] and "Fedora" in errors[0]
    # Nothing was compiled: no compiler command line, no compiler error.
    assert not re.search(r"\s-c\s+\S+\.c\b", out), out
    assert "fatal error" not in out and "#include" not in out, out
    assert not glob.glob(os.path.join(tree, "build", "temp*", "src", "*.o"))


def test_build_without_a_compiler_fails_with_one_line(tmpdir_path):
    tree = source_tree(os.path.join(tmpdir_path, "src"))
    env = dict(os.environ, CC=os.path.join(tmpdir_path, "no-such-cc"))
    for name in ("IDIOKIT_DEBUG", "IDIOKIT_ASAN", "CFLAGS"):
        env.pop(name, None)
    code, out = run([sys.executable, "setup.py", "build_ext", "--inplace"], cwd=tree, env=env)
    assert code != 0, out
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert errors == ["error: cannot run the C compiler %r: install gcc (Debian, Ubuntu, "
                      "Fedora), or install a wheel of idiokit, which needs none" % env["CC"]], out
    assert not re.search(r"\s-c\s+\S+\.c\b", out), out


# ---- the wheel, installed ---------------------------------------------------------

def wheelhouse():
    return os.environ.get("IDIOKIT_WHEELHOUSE") or os.path.join(ROOT, "dist")


def wheel_mode():
    """True under `make test-wheels` (or with IDIOKIT_WHEELHOUSE set): a
    plain run must not test whatever stale wheel an older `make wheels` left."""
    return os.environ.get("IDIOKIT_REQUIRE_WHEEL") == "1" or "IDIOKIT_WHEELHOUSE" in os.environ


def find_wheel():
    if not wheel_mode():
        pytest.skip("the installed-wheel tests run under `make test-wheels`, "
                    "against the wheels `make wheels` has just built")
    pattern = "idiokit-%s-cp%d%d-*manylinux*_x86_64.whl" % (
        (project_version(),) + tuple(sys.version_info[:2]))
    found = sorted(glob.glob(os.path.join(wheelhouse(), pattern)))
    if not found:
        message = "no %s in %s: `make wheels` builds it" % (pattern, wheelhouse())
        if os.environ.get("IDIOKIT_REQUIRE_WHEEL") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found[-1]


def make_venv(path):
    if sys.version_info[0] >= 3:
        cmd = [sys.executable, "-m", "venv", path]
    else:
        # Python 2.7 has no venv module: virtualenv 20.21, which
        # tools/make_venv.sh installs into .venv-tools for the 2.7 test venv.
        tools = os.path.join(ROOT, ".venv-tools", "bin", "python")
        if not os.path.exists(tools):
            pytest.fail("%s missing: tools/make_venv.sh makes it for Python 2.7" % tools,
                        pytrace=False)
        cmd = [tools, "-m", "virtualenv", "-q", "--no-periodic-update", "-p", sys.executable, path]
    code, out = run(cmd)
    assert code == 0, out
    return os.path.join(path, "bin", "python")


def bare_env(venv):
    """The environment of a user without a compiler: PATH is only the
    venv's bin/, and nothing points at build or library directories."""
    env = dict((k, v) for k, v in os.environ.items()
               if not k.startswith(("PYTHON", "PIP_", "LD_", "IDIOKIT_", "VIRTUAL_ENV"))
               and k not in ("CC", "CFLAGS", "LDFLAGS", "CPATH", "C_INCLUDE_PATH", "LIBRARY_PATH"))
    env.update(PIP_QUIET)
    env["PATH"] = os.path.join(venv, "bin")
    return env


def on_path(name, path):
    return any(os.access(os.path.join(d, name), os.X_OK) for d in path.split(os.pathsep) if d)


def package_files(top, endings):
    """Paths relative to `top` of the files under it whose names end so."""
    found = []
    for dirpath, _, filenames in os.walk(top):
        found += [os.path.relpath(os.path.join(dirpath, name), top)
                  for name in filenames if name.endswith(endings)]
    return found


@pytest.fixture(scope="module")
def installed():
    """(venv python, environment, the installed idiokit directory)."""
    wheel = find_wheel()
    base = tempfile.mkdtemp(prefix="idiokit-wheel-")
    try:
        venv = os.path.join(base, "venv")
        python = make_venv(venv)
        env = bare_env(venv)
        for compiler in ("cc", "gcc", "c++", "g++", "clang", "x86_64-linux-gnu-gcc"):
            assert not on_path(compiler, env["PATH"]), compiler
        code, out = run([python, "-m", "pip", "install", "--no-index", "--no-deps",
                         "--only-binary", ":all:", wheel], cwd=base, env=env)
        assert code == 0, out
        code, out = run([python, "-c", "import idiokit, os; print(os.path.dirname(idiokit.__file__))"],
                        cwd=base, env=env)
        assert code == 0, out
        yield python, env, out.strip().splitlines()[-1], base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def extension_of(package_dir):
    found = glob.glob(os.path.join(package_dir, "_core*.so"))
    assert len(found) == 1, found
    return found[0]


@pytest.mark.timeout(600)
def test_wheel_extension_needs_only_its_own_libraries(installed):
    python, env, package_dir, base = installed
    libs_dir = os.path.join(os.path.dirname(package_dir), "idiokit.libs")
    core = extension_of(package_dir)
    code, dynamic = run(["readelf", "-d", core])
    assert code == 0, dynamic
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)
    bundled = [lib for lib in needed if not SYSTEM_LIBS.match(lib)]
    assert [lib for lib in bundled if lib.startswith("libev-")], needed
    assert [lib for lib in bundled if lib.startswith("libcares-")], needed
    assert sorted(bundled) == sorted(os.listdir(libs_dir)), (needed, os.listdir(libs_dir))
    assert "$ORIGIN/../idiokit.libs" in dynamic, dynamic
    # ldd with no LD_LIBRARY_PATH: each bundled name resolves into the wheel.
    code, out = run(["ldd", core], env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    assert code == 0, out
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", out, re.M))
    for lib in bundled:
        assert os.path.realpath(resolved.get(lib, "?")) == \
            os.path.realpath(os.path.join(libs_dir, lib)), out
    assert "not found" not in out, out


@pytest.mark.timeout(600)
def test_wheel_imports_every_module_and_round_trips(installed):
    python, env, package_dir, base = installed
    script = os.path.join(ROOT, "tests", "support", "installed_check.py")
    code, out = run([python, script], cwd=base, env=env, timeout=120)
    assert code == 0, out
    report = json.loads(out.strip().splitlines()[-1])
    prefix = os.path.realpath(report["prefix"])
    assert os.path.realpath(report["core"]).startswith(prefix + os.sep), report
    assert report["import_failures"] == {}, report["import_failures"]
    # Every module of the checkout was packaged (find_packages found every
    # subpackage), and nothing else.
    assert report["modules"] == installed_modules(os.path.join(ROOT, "idiokit"))
    for stub in package_files(os.path.join(ROOT, "idiokit"), (".pyi", "py.typed")):
        assert os.path.exists(os.path.join(package_dir, stub)), stub
    libs_dir = os.path.join(os.path.dirname(package_dir), "idiokit.libs")
    assert report["mapped"], report
    for path in report["mapped"]:
        assert os.path.dirname(os.path.realpath(path)) == os.path.realpath(libs_dir), report["mapped"]
    assert report["round_trip_ok"] and report["round_trip_bytes"] == 200000, report


@pytest.mark.timeout(600)
def test_wheel_runs_the_demo(installed):
    python, env, package_dir, base = installed
    demo = os.path.join(ROOT, "examples", "demo.py")
    code, out = run([python, "-c",
                     "import runpy, sys, idiokit\n"
                     "assert idiokit.__file__.startswith(sys.prefix), idiokit.__file__\n"
                     "runpy.run_path(sys.argv[1], run_name='__main__')\n", demo],
                    cwd=base, env=env, timeout=120)
    assert code == 0, out
    for step in ("the pipe's result is the last stage's: 14",
                 "timeout: could not count to 5 in 0.5 seconds",
                 "event: hello from another thread",
                 "thread:  ", "Done in "):
        assert step in out, (step, out)
