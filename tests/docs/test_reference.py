"""The API reference is complete: every public name of every public module
has a docstring and is named on a page of docs/reference/.

Public modules: ``idiokit`` and each submodule whose dotted name has no part
starting with an underscore.  Public names of a module: its ``__all__``;
without one, the names without a leading underscore that the module binds at
its top level (def, class, assignment; found in its source) or whose
``__module__`` is the module.  Upper-case constants copied from the standard
library (idiokit.socket's and idiokit.ssl's AF_*, PROTOCOL_* ...) are named
on their pages as a group, not one by one.

A name needs a docstring when it is a class or a routine of idiokit's; a
class's public methods and properties need one too (or one to inherit), for
each class of its MRO that idiokit defines (so a C base's methods count);
__slots__ entries are named in their class's docstring instead.  A name is on the pages when an
``auto*``/``py:*`` directive of docs/reference/*.rst documents it, or
documents the same object under a package above the module (idiokit.stream
stands for idiokit.idiokit.stream).  A class with public methods or
properties must be shown by an autodoc directive with ``:members:`` (once:
a re-export elsewhere, such as pycos's Lock, may be a plain ``py:class``
entry pointing there).
"""
from __future__ import absolute_import

import ast
import importlib
import inspect
import io
import os
import pkgutil
import re
import sys
import types

import idiokit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERENCE = os.path.join(ROOT, "docs", "reference")

# Modules whose upper-case names copied from a stdlib module are named as a
# group on their page: {module: stdlib module name}.
STDLIB_CONSTANTS = {"idiokit.socket": "socket", "idiokit.ssl": "ssl"}


def public_modules():
    names = ["idiokit"]
    for info in pkgutil.walk_packages(idiokit.__path__, "idiokit."):
        name = info[1]      # (finder, name, ispkg); Python 2's is a plain tuple
        if not any(part.startswith("_") for part in name.split(".")):
            names.append(name)
    return sorted(names)


def top_level_bindings(module):
    path = getattr(module, "__file__", "") or ""
    if path.endswith((".pyc", ".pyo")):
        path = path[:-1]
    if not path.endswith(".py"):
        return set()
    with io.open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    found = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.add(target.id)
    return found


def public_names(module):
    declared = getattr(module, "__all__", None)
    if declared is not None:
        return list(declared)
    bound = top_level_bindings(module)
    names = []
    for name, value in vars(module).items():
        if name.startswith("_") or isinstance(value, types.ModuleType):
            continue
        if name in bound or getattr(value, "__module__", None) == module.__name__:
            names.append(name)
    return sorted(names)


def is_stdlib_constant(modname, name, value):
    stdname = STDLIB_CONSTANTS.get(modname)
    if stdname is None or not name.isupper():
        return False
    std = importlib.import_module(stdname)
    return getattr(std, name, object()) is value


def ours(cls):
    return (getattr(cls, "__module__", "") or "").split(".")[0] == "idiokit"


def needs_doc(value):
    """Our classes and routines; a stdlib object re-exported (xmlcore's
    ExpatError) is described on its page instead."""
    if inspect.isclass(value):
        return ours(value)
    return inspect.isroutine(value) and \
        (getattr(value, "__module__", None) or "idiokit").split(".")[0] == "idiokit"


def public_members(cls):
    """(name, attribute) of cls's public methods and properties, from each
    idiokit class of its MRO."""
    seen = set()
    for klass in inspect.getmro(cls):
        if not ours(klass):
            continue
        for name, attr in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            if isinstance(attr, (staticmethod, classmethod)):
                attr = attr.__func__
            if inspect.ismemberdescriptor(attr):
                continue    # a __slots__ entry: the class docstring names it
            if inspect.isroutine(attr) or isinstance(attr, property) or \
                    inspect.isdatadescriptor(attr) or inspect.ismethoddescriptor(attr):
                yield name, attr


def has_doc(obj):
    doc = getattr(obj, "__doc__", None)
    return bool(doc and doc.strip())


def inherited_doc(cls, name):
    """A docstring of `name` further up cls's MRO (autodoc shows it for an
    override without one)."""
    return any(has_doc(vars(klass).get(name)) for klass in inspect.getmro(cls)[1:])


def all_public():
    """(module name, name, value) for every public name of every public module."""
    for modname in public_modules():
        module = importlib.import_module(modname)
        for name in public_names(module):
            value = getattr(module, name)
            if isinstance(value, types.ModuleType) or is_stdlib_constant(modname, name, value):
                continue
            yield modname, name, value


# Imported at collection, before the leak guard's baseline: some modules
# make objects of the core when imported (idiokit.http's finished Event).
_IMPORTED = [importlib.import_module(name) for name in public_modules()]

DIRECTIVE = re.compile(r"^\s*\.\.\s+(?:py:|auto)(\w+)::\s*(\S+)")
MODULE = re.compile(r"^\s*\.\.\s+(?:py:)?(?:module|currentmodule|automodule)::\s*(\S+)")
OPTION = re.compile(r"^\s+:(\w[\w-]*):")


def documented():
    """{full name: set of options} for every object documented on the pages
    ("auto" among them for an autodoc directive)."""
    found = {}
    for filename in sorted(os.listdir(REFERENCE)):
        if not filename.endswith(".rst"):
            continue
        current = None
        last = None
        with io.open(os.path.join(REFERENCE, filename), encoding="utf-8") as f:
            for line in f:
                match = MODULE.match(line)
                if match:
                    current = match.group(1)
                    last = None
                    continue
                match = DIRECTIVE.match(line)
                if match:
                    kind, name = match.groups()
                    if kind in ("module", "currentmodule"):
                        continue
                    if current and not name.startswith(current + ".") and kind not in ("method", "attribute"):
                        name = current + "." + name
                    last = found.setdefault(name, set())
                    if line.lstrip().startswith(".. auto"):
                        last.add("auto")
                    continue
                match = OPTION.match(line)
                if match and last is not None:
                    last.add(match.group(1))
                elif line.strip() and not line.startswith((" ", "\t")):
                    last = None
    return found


def documented_as(modname, name, value, pages):
    """The full name under which (modname, name) is documented, or None."""
    if modname + "." + name in pages:
        return modname + "." + name
    parts = modname.split(".")
    for i in range(len(parts) - 1, 0, -1):
        parent = ".".join(parts[:i])
        if parent + "." + name in pages and getattr(sys.modules[parent], name, None) is value:
            return parent + "." + name
    return None


def test_every_public_name_and_member_has_a_docstring():
    missing = []
    for modname, name, value in all_public():
        if needs_doc(value) and not has_doc(value):
            missing.append("%s.%s" % (modname, name))
        if inspect.isclass(value) and ours(value):
            for member, attr in public_members(value):
                if not has_doc(attr) and not inherited_doc(value, member):
                    missing.append("%s.%s.%s" % (modname, name, member))
    assert not missing, "no docstring: " + ", ".join(sorted(set(missing)))


def resolve(full):
    """The object a documented full name stands for (None if it does not import)."""
    modname, _, name = full.rpartition(".")
    module = sys.modules.get(modname)
    return getattr(module, name, None) if module is not None else None


def test_every_public_name_is_on_a_reference_page():
    pages = documented()
    # Classes shown with their members by an autodoc directive; a hand-written
    # entry (pycos's Lock is asyncoro's) must point at one of these.
    shown = set(id(resolve(full)) for full, options in pages.items()
                if "auto" in options and "members" in options)
    missing = []
    no_members = []
    for modname, name, value in all_public():
        full = documented_as(modname, name, value, pages)
        if full is None:
            missing.append("%s.%s" % (modname, name))
        elif inspect.isclass(value) and ours(value) and id(value) not in shown \
                and any(True for _ in public_members(value)):
            no_members.append(full)
    assert not missing, "not in docs/reference/: " + ", ".join(sorted(set(missing)))
    assert not no_members, "classes never shown with :members:: " + ", ".join(sorted(set(no_members)))


def test_every_public_module_has_its_page():
    pages = documented()
    modules = set()
    for filename in os.listdir(REFERENCE):
        if filename.endswith(".rst"):
            with io.open(os.path.join(REFERENCE, filename), encoding="utf-8") as f:
                modules.update(re.findall(r"^\.\.\s+(?:py:)?(?:module|automodule)::\s*(\S+)", f.read(), re.M))
    missing = [name for name in public_modules() if name not in modules]
    assert not missing, "no page declares these modules: " + ", ".join(missing)
    assert pages, "docs/reference/ documents nothing"
