/* dns_query.c: DnsQuery, the leaf stream of one DNS query (an IdkInStream
 * that watches only its signal and broken channels, like Event, so that it
 * can be thrown into or timed out), and its request to c-ares (DnsReq):
 * the search list, the move of a truncated answer to TCP, and the callback
 * that finishes the stream.
 *
 * Invariants:
 *  - A request (C memory) lives from its first ares_query until c-ares calls
 *    back its last try with no next step; each ares_query calls it back
 *    exactly once.  It owns a reference to its channel, and one to its query
 *    stream while attached.  A query interrupted by throw(), timeout() or a
 *    broken pipe detaches from its request: the late callback finds no query
 *    and only frees the request.
 *  - The search list is walked here, one ares_query per name, as ares_search
 *    walks it (the same order, ndots rule and final status), so that every
 *    answer is seen with its message: an answer cut short over UDP (TC, or
 *    longer than 512 bytes) moves its request to a TCP twin channel of its
 *    own (dns_channel.c) instead of c-ares's TCP connection to the server,
 *    whose failure would fail every other query to that server.
 *  - When every outstanding request of a channel is detached the channel
 *    ares_cancel()s them, so c-ares closes its sockets at once.
 */
#include "dns.h"

#include <stdlib.h>
#include <string.h>

/* The search state of a request (after DnsReq in the same block). */
typedef struct {
    DnsReq req;
    int s_step;            /* the try under way: 0 .. s_ntries - 1 */
    int s_ntries;          /* 1, or the domains plus the name as it is */
    int s_as_is_first;     /* the name as it is is tried first (enough dots) */
    int s_as_is_status;    /* the status of the name as it is, or -1 */
    int s_got_nodata;
    char s_name[1];        /* the name asked, NUL-terminated (allocated longer) */
} DnsSearch;

static const char *search_domain(DnsSearch *s, DnsChannel *ch)
{
    int k = s->s_as_is_first ? s->s_step - 1 : s->s_step;
    if (s->s_ntries == 1 || k < 0 || k >= ch->c_ndomains)
        return NULL;      /* the name as it is */
    return ch->c_domains[k];
}

/* Ask the request's current try on its channel. */
static void search_ask(DnsSearch *s)
{
    DnsChannel *ch = s->req.r_ch;
    const char *domain = search_domain(s, ch);
    char *full;
    size_t n, d;
    if (domain == NULL) {
        idk_dns_channel_ask(ch, s->s_name, &s->req);
        return;
    }
    n = strlen(s->s_name);
    d = strlen(domain);
    full = (char *)malloc(n + d + 2);
    if (full == NULL) {
        idk_dns_channel_ask(ch, NULL, &s->req);   /* calls back with ENOMEM */
        return;
    }
    memcpy(full, s->s_name, n);
    full[n] = '.';
    memcpy(full + n + 1, domain, d + 1);
    idk_dns_channel_ask(ch, full, &s->req);
    free(full);
}

/* The tries of `name`: the search list applies unless the request is full,
 * the name ends in a dot, the channel has no domains, or HOSTALIASES may
 * name it (then c-ares's own search runs: s_ntries 0). */
static void search_plan(DnsSearch *s, DnsChannel *ch, int full)
{
    const char *p;
    int dots = 0;
    size_t n = strlen(s->s_name);
    s->s_step = 0;
    s->s_as_is_status = -1;
    s->s_got_nodata = 0;
    s->s_as_is_first = 1;
    s->s_ntries = 1;
    if (full || ch->c_ndomains == 0 || n == 0 || s->s_name[n - 1] == '.')
        return;
    for (p = s->s_name; *p != '\0'; p++)
        dots += *p == '.';
    if (dots == 0 && getenv("HOSTALIASES") != NULL) {
        s->s_ntries = 0;
        return;
    }
    s->s_ntries = ch->c_ndomains + 1;
    s->s_as_is_first = dots >= ch->c_ndots;
}

/* ---- the query stream ---------------------------------------------------------- */

static void query_finish(DnsQuery *q, int state, PyObject *value)
{
    IdkStream *s = &q->base.base;
    if (s->r_state != IDK_PENDING)
        return;
    Py_INCREF(s);
    idk_in_unwatch(&q->base);
    idk_in_finish(&q->base, state, value);
    Py_DECREF(s);
}

/* Cut the query loose from its request; the request stays with c-ares until
 * its callback, which then only frees it.  Drops the request's reference to
 * the query (the caller holds its own). */
static void query_detach(DnsQuery *q)
{
    DnsReq *r = q->q_req;
    DnsChannel *ch;
    if (r == NULL)
        return;
    ch = r->r_ch;
    q->q_req = NULL;
    r->r_query = NULL;
    ch->c_live--;
    if (ch->c_live == 0 && ch->c_pending > 0)
        ch->c_cancel_wanted = 1;
    Py_INCREF(ch);
    idk_dns_channel_settle(ch);
    Py_DECREF(ch);
    Py_DECREF(q);
}

static void query_on_input(IdkStream *s, int which)
{
    DnsQuery *q = (DnsQuery *)s;
    IdkMsg *m;
    int k;
    (void)which;
    if (s->r_state != IDK_PENDING)
        return;
    m = idk_in_take(&q->base, 0, -1);
    if (m == NULL)
        return;
    for (k = 0; k < IDK_NCHANS; k++)
        q->base.in[k].c_watch = 0;
    Py_INCREF(s);
    query_detach(q);
    idk_msg_consume(m);
    query_finish(q, m->m_throw ? IDK_RAISED : IDK_RETURNED, m->m_payload);
    idk_msg_decref(m);
    Py_DECREF(s);
}

static int query_attach(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    (void)m;
    return idk_in_attach(s, NULL, sig, brk);
}

static void query_detach_chans(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    (void)m;
    idk_in_detach(s, NULL, sig, brk);
}

static const IdkKind query_kind = {
    "dns query", query_attach, query_detach_chans, NULL, idk_in_input, query_on_input, NULL, 0
};

static int query_traverse(DnsQuery *q, visitproc visit, void *arg)
{
    int r = idk_in_traverse(&q->base, visit, arg);
    return r ? r : idk_stream_base_traverse(&q->base.base, visit, arg);
}

static int query_clear(DnsQuery *q)
{
    int k;
    for (k = 0; k < IDK_NCHANS; k++)
        idk_chan_clear(&q->base.in[k]);
    idk_stream_base_clear(&q->base.base);
    return 0;
}

static void query_dealloc(DnsQuery *q)
{
    PyObject_GC_UnTrack(q);
    if (q->q_req != NULL) {
        /* Unreachable while attached (the request owns a reference), kept
         * so that a future path cannot leave the request dangling. */
        q->q_req->r_query = NULL;
        q->q_req->r_ch->c_live--;
        q->q_req = NULL;
    }
    query_clear(q);
    idk_stream_base_dealloc(&q->base.base);
}

DnsQuery *idk_dns_query_new(DnsChannel *ch, PyObject *name, int type, int full, DnsReq **req)
{
    const char *cname;
    DnsSearch *s;
    DnsQuery *q;
    size_t n;
    if (!PyArg_Parse(name, "s;name must be str", &cname))
        return NULL;
    n = strlen(cname);
    s = (DnsSearch *)malloc(sizeof(*s) + n);
    if (s == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(s->s_name, cname, n + 1);
    q = (DnsQuery *)DnsQuery_Type.tp_alloc(&DnsQuery_Type, 0);
    if (q == NULL) {
        free(s);
        return NULL;
    }
    idk_stream_init(&q->base.base, &query_kind);
    idk_in_init(&q->base);
    q->base.in[IDK_SIGS].c_watch = 1;
    q->base.in[IDK_BROKEN].c_watch = 1;
    q->base.in[IDK_MSGS].c_watch = 0;
    q->q_req = &s->req;
    s->req.r_query = (DnsQuery *)idk_newref((PyObject *)q);
    s->req.r_ch = (DnsChannel *)idk_newref((PyObject *)ch);
    s->req.r_name = idk_newref(name);
    s->req.r_type = type;
    s->req.r_full = full != 0;
    search_plan(s, ch, full);
    ch->c_pending++;
    ch->c_live++;
    *req = &s->req;
    return q;
}

/* Ask the request's first try (after idk_dns_query_new). */
void idk_dns_query_start(DnsReq *r)
{
    DnsSearch *s = (DnsSearch *)r;
    if (s->s_ntries == 0)
        idk_dns_channel_search(r->r_ch, s->s_name, r);
    else
        search_ask(s);
}

/* ---- the answer ---------------------------------------------------------------- */

/* An answer read over UDP that was cut short: TC set, or as long as a
 * datagram without EDNS holds (c-ares reads 512 bytes of a longer one: it
 * was cut, if the server did not say so). */
static int answer_cut(DnsChannel *ch, int status, const unsigned char *abuf, int alen)
{
    if (ch->c_tcp || abuf == NULL || alen < 4)
        return 0;
    if (status != ARES_SUCCESS && status != ARES_ENODATA)
        return 0;
    return (abuf[2] & 0x02) != 0 || alen >= DNS_UDP_MAX;
}

/* Move the request to a TCP twin of its channel; 0, or -1 with an
 * exception set (the request is left as it was). */
static int request_move_to_tcp(DnsReq *r)
{
    DnsChannel *from = r->r_ch, *twin = idk_dns_channel_tcp_twin(from);
    if (twin == NULL)
        return -1;
    from->c_pending--;
    if (r->r_query != NULL)
        from->c_live--;
    twin->c_pending++;
    if (r->r_query != NULL)
        twin->c_live++;
    r->r_ch = twin;            /* the twin's reference moves to the request */
    search_ask((DnsSearch *)r);
    idk_dns_channel_settle(from);
    Py_DECREF(from);           /* never the last: the caller of c-ares holds one */
    return 0;
}

/* A try ended with a status that lets the search go on (as ares_search):
 * 1 if the next try was asked; else 0 with the search's final status. */
static int search_next(DnsSearch *s, int *status)
{
    int as_is = search_domain(s, s->req.r_ch) == NULL;
    if (s->s_ntries <= 1 || (*status != ARES_ENODATA && *status != ARES_ESERVFAIL
                             && *status != ARES_ENOTFOUND))
        return 0;
    if (as_is)
        s->s_as_is_status = *status;
    if (*status == ARES_ENODATA)
        s->s_got_nodata = 1;
    if (++s->s_step < s->s_ntries) {
        search_ask(s);
        return 1;
    }
    if (s->s_as_is_status == ARES_ENOTFOUND && s->s_got_nodata)
        *status = ARES_ENODATA;
    else
        *status = s->s_as_is_status;
    return 0;
}

/* The result of the request's last try: the stream's value, or NULL with
 * *exc set. */
static PyObject *answer_value(DnsReq *r, int status, const unsigned char *abuf, int alen,
                              PyObject **exc)
{
    DnsChannel *ch = r->r_ch;
    PyObject *value = NULL;
    int st = status;
    if (r->r_full) {
        value = idk_dns_parse_full(r->r_type, status, abuf, alen, ch->c_read_fd, &st);
        if (value == NULL)
            *exc = st == ARES_SUCCESS ? idk_exc_fetch()
                   : (st != status ? idk_dns_answer_exc(st, r->r_name)   /* a bad answer */
                      : idk_dns_status_exc(st, r->r_name));
    } else if (status == ARES_SUCCESS) {
        value = idk_dns_parse_answer(r->r_type, abuf, alen, &st);
        if (value == NULL)
            *exc = st != ARES_SUCCESS ? idk_dns_answer_exc(st, r->r_name) : idk_exc_fetch();
    } else if (ch->c_forked) {
        *exc = idk_dns_exc(idk_dns_error, Py_BuildValue(
            "(sO)", "DNS query given up: the process forked while it was in flight",
            r->r_name));
    } else {
        *exc = idk_dns_status_exc(status, r->r_name);
    }
    return value;
}

static void query_end(DnsQuery *q, DnsReq *r, int status, const unsigned char *abuf, int alen)
{
    PyObject *exc = NULL, *value = answer_value(r, status, abuf, alen, &exc);
    if (value != NULL) {
        PyObject *args = PyTuple_Pack(1, value);
        Py_DECREF(value);
        if (args == NULL) {
            exc = idk_exc_fetch();
        } else {
            query_finish(q, IDK_RETURNED, args);
            Py_DECREF(args);
        }
    }
    if (exc != NULL) {
        query_finish(q, IDK_RAISED, exc);
        Py_DECREF(exc);
    }
}

/* The c-ares callback of one try of a request. */
void idk_dns_query_on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    DnsReq *r = (DnsReq *)arg;
    DnsChannel *ch = r->r_ch;
    DnsQuery *q = r->r_query;
    (void)timeouts;
    if (q != NULL && !ch->c_forked) {
        if (answer_cut(ch, status, abuf, alen)) {
            if (request_move_to_tcp(r) == 0)
                return;
            PyErr_Clear();    /* no twin: the cut answer is the answer */
        }
        if (search_next((DnsSearch *)r, &status))
            return;
        if (status != ARES_SUCCESS && status != ARES_ENODATA)
            abuf = NULL;
    }
    ch->c_pending--;
    if (q != NULL) {
        ch->c_live--;
        q->q_req = NULL;
        r->r_query = NULL;
        query_end(q, r, status, abuf, alen);
        Py_DECREF(q);
    }
    Py_DECREF(r->r_name);
    free(r);
    Py_DECREF(ch);   /* never the last: the caller of c-ares holds one */
}

int idk_dns_query_type_ready(void)
{
    DnsQuery_Type.tp_base = &IdkStream_Type;
    DnsQuery_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
    DnsQuery_Type.tp_dealloc = (destructor)query_dealloc;
    DnsQuery_Type.tp_traverse = (traverseproc)query_traverse;
    DnsQuery_Type.tp_clear = (inquiry)query_clear;
    DnsQuery_Type.tp_doc = "One DNS query in flight: a stream that returns its records.";
    return PyType_Ready(&DnsQuery_Type);
}

PyTypeObject DnsQuery_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.DnsQuery",
    .tp_basicsize = sizeof(DnsQuery)
};
