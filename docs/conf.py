# docs/conf.py: Sphinx configuration for idiokit's documentation.
# Build with `make docs` (into docs/_build/html); `make test` does not need Sphinx.
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

master_doc = "index"
exclude_patterns = ["_build"]
pygments_style = "sphinx"
html_theme = "alabaster"
