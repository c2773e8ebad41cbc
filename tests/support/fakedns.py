# tests/support/fakedns.py: a hostile DNS server for the DNS tests.  UDP and
# TCP on one port of 127.0.0.1, served by a thread; the first label of the
# asked name picks the misbehaviour (see FakeDNS.BEHAVIOURS).  Messages are
# built here by hand on purpose: they are the broken input under test.
from __future__ import absolute_import

import os
import select
import socket
import struct
import threading

QR, TC, RD, RA = 0x8000, 0x0200, 0x0100, 0x0080


def parse_query(data):
    """(id, first label, question bytes, qtype) of a query, or None."""
    if len(data) < 12:
        return None
    qid = struct.unpack(">H", data[:2])[0]
    pos = 12
    labels = []
    while pos < len(data):
        n = ord(data[pos:pos + 1])
        pos += 1
        if n == 0:
            break
        labels.append(data[pos:pos + n])
        pos += n
    question = data[12:pos + 4]
    qtype = struct.unpack(">H", data[pos:pos + 2])[0] if pos + 2 <= len(data) else 0
    first = labels[0].decode("ascii", "replace").lower() if labels else ""
    return qid, first, question, qtype


def header(qid, flags=QR | RD | RA, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", qid & 0xffff, flags, qd, an, ns, ar)


def a_rr(ip, name=b"\xc0\x0c", rdlen=4):
    return name + struct.pack(">HHIH", 1, 1, 60, rdlen) + socket.inet_aton(ip)


def a_reply(qid, question, ips, flags=QR | RD | RA):
    return header(qid, flags, an=len(ips)) + question + b"".join(a_rr(ip) for ip in ips)


def cname_rr(target_wire):
    return b"\xc0\x0c" + struct.pack(">HHIH", 5, 1, 60, len(target_wire)) + target_wire


def cname_reply(qid, question, kind, target_label):
    """An answer holding only the asked name's CNAME: its first label
    (`kind`) replaced by target_label, the rest of the name kept."""
    rest = question[1 + len(kind):-4]
    target = target_label.encode("ascii")
    return header(qid, an=1) + question + cname_rr(struct.pack("B", len(target)) + target + rest)


def chain_reply(qid, kind, question):
    """CNAME loops and chains, one hop per answer: loopa <-> loopb,
    selfloop -> selfloop, hopN -> hop(N-1) -> ... -> hop0, which has the A
    record 192.0.2.1, and toolong -> a name that cannot be asked.  None
    for any other kind."""
    if kind in ("loopa", "loopb"):
        return cname_reply(qid, question, kind, "loopb" if kind == "loopa" else "loopa")
    if kind == "selfloop":
        return cname_reply(qid, question, kind, kind)
    if kind == "toolong":
        # A target c-ares cannot ask: four labels of 63 bytes make a name
        # over 255 bytes (c-ares expands it from the answer all the same).
        rest = question[1 + len(kind):-4]
        target = (b"\x3f" + b"a" * 63) * 4 + rest
        return header(qid, an=1) + question + cname_rr(target)
    if kind == "hop0":
        return a_reply(qid, question, ["192.0.2.1"])
    if kind.startswith("hop") and kind[3:].isdigit():
        return cname_reply(qid, question, kind, "hop%d" % (int(kind[3:]) - 1))
    return None


def rr(rtype, rdata, name=b"\xc0\x0c"):
    return name + struct.pack(">HHIH", rtype, 1, 60, len(rdata)) + rdata


# Record types whose data holds a domain name, with the fixed fields before
# it: MX (preference), SRV (priority, weight, port), PTR, NS, CNAME.
NAME_RDATA = {"mx": (15, struct.pack(">H", 10)), "srv": (33, struct.pack(">HHH", 10, 60, 5222)),
              "ptr": (12, b""), "ns": (2, b""), "cname": (5, b"")}


def broken_rdata_reply(qid, kind, question):
    """Answers broken in their records: "<t>loop" (the name in the record's
    data, or a TXT record's owner name, is a compression pointer to itself),
    "<t>past" (a pointer past the end of the message), "<t>count" (an answer
    count of 65,535 with one record), for <t> "txt" or a type of NAME_RDATA.
    None for other kinds."""
    for prefix in ["txt"] + sorted(NAME_RDATA):
        if kind.startswith(prefix) and kind[len(prefix):] in ("loop", "past", "count"):
            return _broken(qid, prefix, kind[len(prefix):], question)
    return None


def _broken(qid, prefix, flaw, question):
    head = header(qid, an=65535 if flaw == "count" else 1) + question
    here = len(head)
    if prefix == "txt":
        owner = {"loop": struct.pack(">H", 0xc000 | here), "past": struct.pack(">H", 0xffff),
                 "count": b"\xc0\x0c"}[flaw]
        return head + rr(16, b"\x03abc", name=owner)
    rtype, fixed = NAME_RDATA[prefix]
    # The name starts 2 (owner) + 10 (type, class, TTL, length) bytes into the RR.
    target = {"loop": struct.pack(">H", 0xc000 | (here + 12 + len(fixed))),
              "past": struct.pack(">H", 0xffff), "count": b"\x02mx\xc0\x0c"}[flaw]
    return head + rr(rtype, fixed + target)


def huge_reply(qid, question, count=4000):
    """An A answer of `count` records (4,000: about 64 KB)."""
    ips = ["10.%d.%d.%d" % (i // 65536, (i // 256) % 256, i % 256) for i in range(count)]
    return a_reply(qid, question, ips)


def udp_replies(qid, kind, question):
    """The datagrams sent back for a query of `kind` (a list; may be empty)."""
    if kind == "empty":
        return [b""]
    if kind == "short":
        return [header(qid)[:5]]
    if kind == "badid":
        return [a_reply(qid ^ 0x5555, question, ["192.0.2.66"]),
                a_reply(qid, question, ["192.0.2.77"])]
    if kind == "qdcount":
        return [header(qid, qd=0, an=1) + a_rr("192.0.2.1", name=b"\x00")]
    if kind == "ptrloop":
        # The answer's name is a compression pointer to itself.
        offset = 12 + len(question)
        name = struct.pack(">H", 0xc000 | offset)
        return [header(qid, an=1) + question + a_rr("192.0.2.1", name=name)]
    if kind == "longlabel":
        name = b"\x40" + b"x" * 64 + b"\x00"
        return [header(qid, an=1) + question + a_rr("192.0.2.1", name=name)]
    if kind == "longname":
        name = (b"\x3f" + b"x" * 63) * 5 + b"\x00"     # 320 bytes
        return [header(qid, an=1) + question + a_rr("192.0.2.1", name=name)]
    if kind == "rdlen":
        return [header(qid, an=1) + question + a_rr("192.0.2.1", rdlen=200)]
    if kind in ("tc", "tcpok"):
        return [header(qid, QR | RD | RA | TC) + question]
    if kind == "servfail":
        return [header(qid, QR | RD | RA | 2) + question]
    if kind == "oversized":
        ips = ["10.%d.%d.1" % (i // 256, i % 256) for i in range(400)]
        return [a_reply(qid, question, ips)]
    if kind == "garbage":
        return [struct.pack(">HH", qid, QR) + os.urandom(40)]
    if kind == "wrongname":
        other = b"\x05other\x04test\x00" + question[-4:]
        return [a_reply(qid, other, ["192.0.2.1"])]
    if kind == "ok":
        return [a_reply(qid, question, ["192.0.2.1"])]
    if kind == "huge":
        return [huge_reply(qid, question)]
    if kind == "hugetc":
        return [header(qid, QR | RD | RA | TC) + question]
    broken = broken_rdata_reply(qid, kind, question)
    if broken is not None:
        return [broken]
    chained = chain_reply(qid, kind, question)
    if chained is not None:
        return [chained]
    return []    # "silent" and anything unknown: never answer


class FakeDNS(object):
    BEHAVIOURS = ("empty", "short", "badid", "qdcount", "ptrloop", "longlabel",
                  "longname", "rdlen", "tc", "tcpok", "servfail", "oversized",
                  "garbage", "wrongname", "silent", "ok")
    # Well-formed answers with one CNAME each (see chain_reply).
    CHAINS = ("loopa", "loopb", "selfloop", "hop<N>")

    def __init__(self):
        # A UDP port whose TCP twin is free too.
        for _ in range(100):
            self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.udp.bind(("127.0.0.1", 0))
            self.port = self.udp.getsockname()[1]
            self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                self.tcp.bind(("127.0.0.1", self.port))
                break
            except socket.error:
                self.tcp.close()
                self.udp.close()
        else:
            raise RuntimeError("no free UDP+TCP port pair on 127.0.0.1")
        self.tcp.listen(16)
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._serve)
        self._thread.daemon = True
        self.queries = []

    @property
    def server(self):
        return ("127.0.0.1", self.port)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        os.write(self._wake_w, b"x")
        self._thread.join(10)
        for sock in (self.udp, self.tcp):
            sock.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _serve(self):
        while True:
            ready = select.select([self.udp, self.tcp, self._wake_r], [], [])[0]
            if self._wake_r in ready:
                return
            if self.udp in ready:
                data, addr = self.udp.recvfrom(4096)
                parsed = parse_query(data)
                if parsed is None:
                    continue
                qid, kind, question, _ = parsed
                self.queries.append(("udp", kind))
                for reply in udp_replies(qid, kind, question):
                    self.udp.sendto(reply, addr)
            if self.tcp in ready:
                conn, _ = self.tcp.accept()
                try:
                    self._serve_tcp(conn)
                finally:
                    conn.close()

    def _serve_tcp(self, conn):
        conn.settimeout(2.0)
        try:
            size = struct.unpack(">H", conn.recv(2))[0]
            data = b""
            while len(data) < size:
                chunk = conn.recv(size - len(data))
                if not chunk:
                    return
                data += chunk
        except (socket.error, struct.error):
            return
        parsed = parse_query(data)
        if parsed is None:
            return
        qid, kind, question, _ = parsed
        self.queries.append(("tcp", kind))
        if kind in ("tcpok", "huge", "hugetc"):
            if kind == "tcpok":
                reply = a_reply(qid, question, ["192.0.2.88"])
            else:
                reply = huge_reply(qid, question)
            conn.sendall(struct.pack(">H", len(reply)) + reply)
            return
        # Reset the connection: close with SO_LINGER 0.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
