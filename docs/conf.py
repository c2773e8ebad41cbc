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
# Every cross-reference to idiokit must resolve (docs/reference/ documents
# each public name; tests/docs/test_reference.py checks that none is left
# out).  Names of other projects (asyncio.gather, trio.open_nursery) have no
# target here, as there is no intersphinx: those alone may stay unresolved.
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", r"(?!idiokit\.)[A-Za-z_]\w*\.[\w.]+")]
master_doc = "index"
exclude_patterns = ["_build"]
pygments_style = "sphinx"
html_theme = "alabaster"

# Docstrings are plain text written for help() as much as for this site:
# "*args" is not emphasis, and a first line "name(args): what it does" (or
# "name(args) -> what it gives") is the signature, for C functions the only
# one there is, followed by prose.  autodoc's own reading of such lines
# would take the prose for a return type.
autodoc_docstring_signature = False
# Sphinx 9's new autodoc fails on a signature set by the hook below for an
# object it found none for (a C function); its class-based one does not.
autodoc_use_legacy_class_based = True
_SIGNATURE_PREFIX = {}


def _first_paragraph(doc):
    paragraph = []
    for line in inspect.cleandoc(doc or "").splitlines():
        if not line.strip():
            break
        paragraph.append(line.strip())
    return " ".join(paragraph)


def _doc_signature(short, doc):
    """(signature, prefix) when the docstring starts with short(...)
    followed by ":", "->" or nothing; else None."""
    text = _first_paragraph(doc)
    if not text.startswith(short + "("):
        return None
    depth = 0
    for i in range(len(short), len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            break
    else:
        return None
    rest = text[i + 1:]
    if not re.match(r"^(\s*:|\s*->|\s*$)", rest):
        return None
    return text[len(short):i + 1], text[:i + 1]


def _signature_from_doc(app, what, name, obj, options, signature, return_annotation):
    if what not in ("function", "method", "class", "exception", "decorator"):
        return None
    found = _doc_signature(name.rsplit(".", 1)[-1], getattr(obj, "__doc__", None))
    if found is None:
        # a __new__ taking anything (idiokit.socket.Socket's): __init__ tells more
        if what == "class" and signature == "(*args, **kwargs)":
            try:
                init = inspect.signature(obj.__init__)
                params = list(init.parameters.values())[1:]
                return str(init.replace(parameters=params)), return_annotation
            except (TypeError, ValueError):
                pass
        if signature and "=_DEFAULT" in signature:
            return signature.replace("=_DEFAULT", "=<default>"), return_annotation
        return None
    _SIGNATURE_PREFIX[name] = found[1]
    return found[0].replace("=_DEFAULT", "=<default>"), None


def _drop_signature_line(lines, prefix):
    end = 0
    while end < len(lines) and lines[end].strip():
        end += 1
    text = " ".join(line.strip() for line in lines[:end])
    if not text.startswith(prefix):
        return
    rest = text[len(prefix):].strip()
    if rest.startswith("->"):
        rest = rest[2:].strip()
        rest = ("a " if rest.startswith("stream") else "gives ") + rest
    rest = rest.lstrip(":").strip()
    if rest:
        lines[:end] = [rest[0].upper() + rest[1:]]
    else:
        del lines[:end + 1]


_STAR = re.compile(r"(?<![\\`*])(\*\*?)(?=[\w(])")


def _escape_text(app, what, name, obj, options, lines):
    prefix = _SIGNATURE_PREFIX.pop(name, None)
    if prefix:
        _drop_signature_line(lines, prefix)
    type_doc = getattr(type(obj), "__doc__", None)
    if what in ("data", "attribute") and lines and isinstance(type_doc, str) and \
            " ".join(lines).split() == type_doc.split():
        del lines[:]     # the value's type's docstring says nothing about it
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
    app.connect("autodoc-process-signature", _signature_from_doc)
    app.connect("autodoc-process-docstring", _escape_text)
