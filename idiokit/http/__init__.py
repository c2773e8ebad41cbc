"""idiokit.http: an HTTP/1.1 server and client on idiokit streams.

`server` serves handlers (keep-alive, pipelining, timeouts, limits), `client`
makes requests, `handlers` has ready-made handlers (Router, redirect,
filehandler), `date` and `httpversion` small helpers.  Parsing is the
system's llhttp, bound in C as idiokit._core.HttpParser.
"""
