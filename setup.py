# setup.py: builds the C extension idiokit._core from src/*.c against the
# system's libev (-lev) and c-ares (-lcares), never against a bundled copy, and
# against the system's llhttp once src/http_parser.c exists.  It also carries
# the package metadata for setuptools releases that do not read the [project]
# table of pyproject.toml (Python 2.7's setuptools 44).
#
# Environment knobs:
#   IDIOKIT_DEBUG=1       -O0 -g3 -DIDK_DEBUG -UNDEBUG (C assert() on)
#   IDIOKIT_ASAN=1        AddressSanitizer + UndefinedBehaviorSanitizer, compile and link
#   IDIOKIT_BUILD_JOBS=N  compile N C files at once (default: the number of CPUs)
#   IDIOKIT_LLHTTP_DIR=D  llhttp's C sources and llhttp.h are in D (default: Debian's)
#   CFLAGS (setuptools')  also used by the header check, e.g. --sysroot=DIR
# A change of these flags rebuilds everything (see BuildExt.flags_changed).
import os
import re
import subprocess
import sys
from glob import glob
from multiprocessing import cpu_count
from multiprocessing.pool import ThreadPool

import setuptools
from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

# (header, library, Debian/Ubuntu package, Fedora package): named in the
# one-line error that stops a build whose system lacks the header.
REQUIRED_HEADERS = [
    ("ev.h", "libev", "libev-dev", "libev-devel"),
    ("ares.h", "c-ares", "libc-ares-dev", "c-ares-devel"),
]
LLHTTP_HEADER = ("llhttp.h", "llhttp", "node-llhttp (or libllhttp-dev)", "llhttp-devel")

# llhttp: Debian 12's node-llhttp ships the generated C sources and the header;
# newer systems ship a shared libllhttp with llhttp.h on the default path.
# IDIOKIT_LLHTTP_DIR names another directory holding llhttp.c, api.c, http.c
# and llhttp.h (a directory without them means: link the shared libllhttp).
LLHTTP_DIR = os.environ.get("IDIOKIT_LLHTTP_DIR") or "/usr/share/llhttp"
LLHTTP_SOURCES = [os.path.join(LLHTTP_DIR, name) for name in ("llhttp.c", "api.c", "http.c")]
LLHTTP_INCLUDE = LLHTTP_DIR if "IDIOKIT_LLHTTP_DIR" in os.environ else "/usr/share/include/llhttp"
# llhttp's generated callbacks ignore their (p, endp) arguments: only those
# system sources get this one exception to -Wextra.
LLHTTP_EXTRA_FLAGS = ["-Wno-unused-parameter"]

# The same flags on every interpreter.  Python 2.7's and 3.8-3.13's headers
# were checked to compile without a warning under them (gcc 12), so no
# interpreter needs a -Wno-... exception.
WARNINGS = ["-Wall", "-Wextra", "-Werror=implicit-function-declaration"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]
# Link-time optimisation: the per-message path crosses task.c, socket.c,
# stream.c and loop.c, and their small functions inline across files.
LTO = ["-flto", "-flto-partition=one"]


def env_flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "yes", "true", "on")


def read_version():
    """__version__ from idiokit/__init__.py, read as text: importing the
    package would need the extension that is about to be built."""
    path = os.path.join("idiokit", "__init__.py")
    with open(path) as f:
        match = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", f.read(), re.M)
    if not match:
        sys.exit("error: no __version__ = \"...\" line in " + path)
    return match.group(1)


def compile_flags():
    # Hidden by default: calls between our own files are direct and inlinable
    # instead of going through the PLT (compat.h exports the init function).
    flags = ["-std=gnu99", "-fvisibility=hidden"] + WARNINGS
    if env_flag("IDIOKIT_DEBUG"):
        flags += ["-O0", "-g3", "-DIDK_DEBUG", "-UNDEBUG"]
    if env_flag("IDIOKIT_ASAN"):
        flags += ["-O1", "-g"] + SANITIZE
    return flags + LTO if optimized_build() else flags


def link_flags():
    if env_flag("IDIOKIT_ASAN"):
        return list(SANITIZE)
    return list(LTO) if optimized_build() else []


def optimized_build():
    return not (env_flag("IDIOKIT_DEBUG") or env_flag("IDIOKIT_ASAN"))


def build_jobs():
    try:
        return max(1, int(os.environ.get("IDIOKIT_BUILD_JOBS") or cpu_count()))
    except (ValueError, NotImplementedError):
        return 1


def llhttp_plan():
    """None while src/http_parser.c does not exist; else (system C sources to
    compile in, include dirs, libraries to link)."""
    if not os.path.exists(os.path.join("src", "http_parser.c")):
        return None
    if all(os.path.exists(p) for p in LLHTTP_SOURCES + [os.path.join(LLHTTP_INCLUDE, "llhttp.h")]):
        return (list(LLHTTP_SOURCES), [LLHTTP_INCLUDE], [])
    return ([], [], ["llhttp"])


def compile_in_parallel(compiler, jobs, sources, output_dir=None, macros=None,
                        include_dirs=None, debug=0, extra_preargs=None,
                        extra_postargs=None, depends=None):
    """CCompiler.compile with the files compiled `jobs` at a time, and the
    llhttp system sources given LLHTTP_EXTRA_FLAGS.  Same signature and
    result as CCompiler.compile (distutils 2.7 through setuptools 8x)."""
    macros, objects, postargs, pp_opts, todo = compiler._setup_compile(
        output_dir, macros, include_dirs, sources, depends, extra_postargs)
    cc_args = compiler._get_cc_args(pp_opts, debug, extra_preargs)

    def compile_one(obj):
        if obj not in todo:
            return
        src, ext = todo[obj]
        args = postargs + LLHTTP_EXTRA_FLAGS if src in LLHTTP_SOURCES else postargs
        compiler._compile(obj, src, ext, cc_args, args, pp_opts)

    if jobs > 1 and len(objects) > 1:
        pool = ThreadPool(min(jobs, len(objects)))
        try:
            pool.map(compile_one, objects)
        finally:
            pool.close()
            pool.join()
    else:
        for obj in objects:
            compile_one(obj)
    return objects


class BuildExt(build_ext):
    """build_ext that checks the system headers first, adds the system llhttp
    sources, compiles in parallel and rebuilds when the flags change."""

    def build_extensions(self):
        compiler = self.compiler
        jobs = build_jobs()
        compiler.compile = lambda sources, **kw: compile_in_parallel(compiler, jobs, sources, **kw)
        for ext in self.extensions:
            plan = getattr(ext, "llhttp_plan", None)
            self.check_headers(ext, plan)
            if plan:
                ext.sources = ext.sources + [s for s in plan[0] if s not in ext.sources]
            if self.flags_changed(ext):
                self.force = True
        build_ext.build_extensions(self)

    def check_headers(self, ext, plan):
        """Stop the build, before anything is compiled, with one line naming
        the package that provides a missing header (not a compiler error)."""
        needed = list(REQUIRED_HEADERS)
        if plan and plan[2]:
            needed.append(LLHTTP_HEADER)
        if self.header_found("stddef.h", []) is None:
            sys.exit("error: cannot run the C compiler %r: install gcc (Debian, Ubuntu, "
                     "Fedora), or install a wheel of idiokit, which needs none"
                     % self.compiler.compiler_so[0])
        for header, lib, debian, fedora in needed:
            if not self.header_found(header, ext.include_dirs):
                sys.exit("error: <%s> not found: idiokit builds against the system's %s; "
                         "install %s (Debian, Ubuntu) or %s (Fedora)"
                         % (header, lib, debian, fedora))

    def header_found(self, header, include_dirs):
        """True/False from the preprocessor; None if the compiler cannot be run."""
        cmd = list(self.compiler.compiler_so) + ["-E", "-x", "c", "-o", os.devnull, "-"]
        cmd += ["-I" + d for d in include_dirs]
        devnull = open(os.devnull, "w")
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=devnull, stderr=devnull)
            proc.communicate(("#include <%s>\n" % header).encode("ascii"))
        except OSError:
            return None
        finally:
            devnull.close()
        return proc.returncode == 0

    def flags_changed(self, ext):
        """Record this build's flags next to its objects; True if they differ
        from the previous build's (so a debug build never passes for a normal one)."""
        stamp = os.path.join(self.build_temp, "idiokit-flags.txt")
        flags = repr((ext.extra_compile_args, ext.extra_link_args, ext.sources))
        try:
            with open(stamp) as f:
                same = f.read() == flags
        except (IOError, OSError):
            same = False
        if not same:
            if not os.path.isdir(self.build_temp):
                os.makedirs(self.build_temp)
            with open(stamp, "w") as f:
                f.write(flags)
        return not same


def make_extension():
    plan = llhttp_plan()
    ext = Extension(
        "idiokit._core",
        sources=sorted(glob(os.path.join("src", "*.c"))),
        include_dirs=["src"] + (plan[1] if plan else []),
        libraries=["ev", "cares"] + (plan[2] if plan else []),
        depends=sorted(glob(os.path.join("src", "*.h"))),
        extra_compile_args=compile_flags(),
        extra_link_args=link_flags(),
    )
    ext.llhttp_plan = plan
    return ext


def pyproject_lists():
    """classifiers, keywords and urls of pyproject.toml's [project] table,
    read with a regular expression (Python 2.7 has no TOML parser) so that
    the list is written once."""
    with open("pyproject.toml") as f:
        text = f.read()
    found = {}
    for key in ("classifiers", "keywords"):
        match = re.search(r"^%s = \[(.*?)\]" % key, text, re.M | re.S)
        found[key] = re.findall(r'"([^"]+)"', match.group(1)) if match else []
    table = re.search(r"^\[project\.urls\]\n(.*?)(?:^\[|\Z)", text, re.M | re.S)
    found["urls"] = dict(re.findall(r'^"([^"]+)" = "([^"]+)"$', table.group(1), re.M)) if table else {}
    return found


def legacy_metadata():
    """Metadata that setuptools >= 61 takes from pyproject.toml's [project]
    table.  Passing it there as well would make setuptools warn that the
    setup.py values are ignored, so only older setuptools (Python 2.7's 44,
    or the 56/58 that Python 3.8/3.9 venvs start with) get it here.
    Keep in step with pyproject.toml."""
    if int(setuptools.__version__.split(".")[0]) >= 61:
        return {}
    with open("README.rst") as f:
        readme = f.read()
    project = pyproject_lists()
    return dict(
        name="idiokit",
        description="Streams for Python 2.7 and 3: idiokit's API on a libev core written in C",
        long_description=readme,
        long_description_content_type="text/x-rst",
        python_requires=">=2.7",
        classifiers=project["classifiers"],
        keywords=project["keywords"],
        project_urls=project["urls"],
        extras_require={
            "test": [
                'pytest==4.6.11; python_version < "3"',
                'pytest; python_version >= "3"',
                'pytest-timeout==1.4.2; python_version < "3"',
                'pytest-timeout; python_version >= "3"',
            ],
            "bench": [
                'uvloop; python_version >= "3.8"',
                "gevent",
                'trio; python_version >= "3.8"',
                "pycos",
            ],
        },
    )


setup(
    version=read_version(),
    # The licence is the one [project] field left to setup.py: PEP 639's
    # `license = "MIT"` needs setuptools 77+, which Python 3.8 cannot run, and
    # the older table form is deprecated by setuptools 77+.
    license="MIT",
    license_files=["LICENSE"],
    # Every package under idiokit/ (a directory with an __init__.py), and
    # nothing else of the checkout (tests, bench, docs, examples);
    # tests/packaging/test_packaging.py checks that the wheel holds every idiokit/**/*.py.
    packages=find_packages(include=["idiokit", "idiokit.*"]),
    # Type stubs and the PEP 561 marker, in whichever package has them.
    package_data={"": ["py.typed", "*.pyi"]},
    ext_modules=[make_extension()],
    cmdclass={"build_ext": BuildExt},
    zip_safe=False,
    **legacy_metadata()
)
