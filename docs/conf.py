# docs/conf.py: Sphinx configuration for idiokit's documentation.
# Build with `make docs` (into docs/_build/html); `make test` does not need Sphinx.
import inspect
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)    # autodoc imports the in-place build of idiokit


def read_version():
    with open(os.path.join(ROOT, "idiokit", "__init__.py")) as f:
        return re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", f.read(), re.M).group(1)


project = "idiokit"
author = "the idiokit authors"
copyright = "the idiokit authors, MIT licence"
release = read_version()
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]
autodoc_member_order = "bysource"
# Signatures show defaults as written (timeout=_DEFAULT, not <object object>).
autodoc_preserve_defaults = True
# Every cross-reference must resolve (docs/reference/ documents each public
# name; tests/docs/test_reference.py checks that none is left out).
nitpicky = True

# Docstrings are plain text written for help() as much as for this site:
# "*args" is not emphasis, and a C function's first line
# "name(args) -> what it gives" (or "name(args): what it does") is its
# signature followed by prose, not a return type.
_SIGNATURE_PROSE = {}


def _split_prose(app, what, name, obj, options, signature, return_annotation):
    prose = None
    if signature and ") -> " in signature:
        signature, _, return_annotation = signature.partition(") -> ")
        signature += ")"
    if return_annotation:   # the code has no type annotations: this is prose
        prose = "Returns: " + return_annotation.strip()
        return_annotation = None
    if signature and "):" in signature:
        signature, _, rest = signature.partition("):")
        signature, rest = signature + ")", rest.strip()
        prose = rest[:1].upper() + rest[1:]
    if what in ("class", "exception") and signature == "(*args, **kwargs)":
        # a __new__ taking anything (idiokit.socket.Socket's): __init__ tells more
        try:
            init = inspect.signature(obj.__init__)
            signature = str(init.replace(parameters=list(init.parameters.values())[1:]))
        except (TypeError, ValueError):
            pass
    if signature:
        signature = signature.replace("=_DEFAULT", "=<default>")
    if prose:
        _SIGNATURE_PROSE[name] = prose
    return signature, return_annotation


_STAR = re.compile(r"(?<![\\`*])(\*\*?)(?=[\w(])")


def _escape_text(app, what, name, obj, options, lines):
    prose = _SIGNATURE_PROSE.pop(name, None)
    if prose:
        lines[:0] = [prose, ""]
    literal = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if literal and stripped and not line.startswith((" ", "\t")):
            literal = False
        if stripped.startswith(">>>") or literal:
            continue
        if stripped.endswith("::"):
            literal = True
        parts = line.split("``")
        for j in range(0, len(parts), 2):     # outside ``literals``
            parts[j] = _STAR.sub(lambda m: "\\" + "\\".join(m.group(1)), parts[j])
        lines[i] = "``".join(parts)


def setup(app):
    app.connect("autodoc-process-signature", _split_prose)
    app.connect("autodoc-process-docstring", _escape_text)

master_doc = "index"
exclude_patterns = ["_build"]
pygments_style = "sphinx"
html_theme = "alabaster"
