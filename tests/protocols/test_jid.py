# -*- coding: utf-8 -*-
"""idiokit.xmpp.jid: splitting, stringprep (nodeprep, resourceprep), IDNA
domains, equality, caching and errors."""
from __future__ import absolute_import, unicode_literals

import pickle

import pytest

from idiokit.xmpp.jid import JID, JIDError, nodeprep, resourceprep


def test_split_and_parts():
    jid = JID("user@example.com/res/with/slashes")
    assert (jid.node, jid.domain, jid.resource) == ("user", "example.com", "res/with/slashes")
    assert JID("example.com").node is None and JID("example.com").resource is None
    assert JID("user", "example.com", "r") == JID("user@example.com/r")
    assert JID("user@example.com/r").bare() == JID("user@example.com")
    assert JID(JID("a@b")) is JID("a@b")


def test_nodeprep_folds_case_and_maps():
    assert JID("UsEr@EXAMPLE.com").node == "user"
    assert JID("UsEr@EXAMPLE.com").domain == "example.com"
    assert nodeprep("Stra\u00dfe") == "strasse"          # B.2 case folding
    assert nodeprep("a\u00adb") == "ab"                  # B.1: mapped to nothing
    assert nodeprep("\uff21") == "a"                     # NFKC of fullwidth A


def test_resourceprep_keeps_case_and_spaces():
    assert JID("a@b/My Resource").resource == "My Resource"
    assert resourceprep("\u2163") == "IV"                # NFKC, no case folding


@pytest.mark.parametrize("bad", [
    "us\"er@example.com", "us&er@example.com", "us'er@example.com", "us:er@example.com",
    "us<er@example.com", "us>er@example.com", "us er@example.com",
    "a\u0000@b", "a@b/\u0007", "a@b/\ud7ff\ufdd0", "\u0627a\u0628@b",
    "@", "", "a@", "a@b..c", "a@/r",
])
def test_prohibited_and_malformed(bad):
    with pytest.raises(JIDError):
        JID(bad)


def test_bidi_rules():
    assert JID("\u0627\u0628@b").node == "\u0627\u0628"
    with pytest.raises(JIDError):
        nodeprep("\u0627x")


def test_idna_domain_and_length():
    assert JID("user@B\u00dcCHER.example").domain == "b\u00fccher.example"
    with pytest.raises(JIDError):
        JID("a" * 1024 + "@example.com")
    with pytest.raises(JIDError):
        JID("user@" + "x" * 64 + ".example")       # an IDNA label over 63
    with pytest.raises(JIDError):
        JID(None, None)
    with pytest.raises(JIDError):
        JID("a@b", resource="r")


def test_equality_hash_text_and_pickle():
    jid = JID("User@Example.com/R")
    assert jid == JID("user@example.com/R") and jid != JID("user@example.com/r")
    assert hash(jid) == hash(JID("user", "example.com", "R"))
    assert "{0}".format(jid) == "user@example.com/R"
    assert "user@example.com/R" in repr(jid)
    assert pickle.loads(pickle.dumps(jid)) == jid
    assert (jid == "user@example.com/R") is False
    assert JID(b"a@b") == JID("a@b")
