/* dns.c: DNS queries on the system's c-ares, driven by the idiokit loop.
 *
 * Owns two types:
 *  - DnsChannel (idiokit._core.DnsChannel): one ares_channel; each socket
 *    c-ares opens is watched by one ev_io, and c-ares's timeouts by one
 *    ev_timer, all on the idiokit loop.
 *  - DnsQuery: the leaf stream of one query (an IdkInStream that watches only
 *    its signal and broken channels, like Event), so that it can be thrown
 *    into or timed out.
 *
 * Invariants:
 *  - A socket has exactly one ev_io while c-ares wants it watched (its
 *    sock_state_cb), stopped before c-ares closes it; every active watcher
 *    (sockets and the timer) counts in idk_stats.watchers.
 *  - While requests are outstanding the timer runs, never later than c-ares's
 *    earliest deadline: it is armed from ares_timeout() capped at the base
 *    timeout, and every new try's deadline is at least the base timeout away.
 *    An early wake-up only makes c-ares look at its clock.
 *  - A request (DnsReq, C memory) lives from ares_search() until c-ares calls
 *    it back, exactly once.  It owns a reference to its channel, and one to
 *    its query stream while attached.  A query interrupted by throw(),
 *    timeout() or a broken pipe detaches from its request: the late callback
 *    finds no query and only frees the request.
 *  - When every outstanding request of a channel is detached the channel
 *    ares_cancel()s them, so c-ares closes its sockets at once.
 *  - c-ares calls back only from inside ares_search/ares_process_fd/
 *    ares_cancel; each such call holds a reference to the channel (the
 *    channel is never destroyed inside a callback) and marks it busy (never
 *    cancelled re-entrantly: the cancel waits until the call returns).
 *  - No DNS message is parsed here: the ares_parse_*_reply functions do it;
 *    this file turns their structs into Python objects.
 *  - After fork(), before the child's first poll, every channel made in
 *    another process is given up in the child (idk_dns_after_fork): its sockets are
 *    the parent's too, so the child stops watching them (it would read the
 *    parent's answers), and its queries fail there with DNSError.  Such a
 *    channel raises DNSError when used again; idiokit.dns makes a new one.
 */
#include "core.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DNS_T_A 1
#define DNS_T_NS 2
#define DNS_T_CNAME 5
#define DNS_T_PTR 12
#define DNS_T_MX 15
#define DNS_T_TXT 16
#define DNS_T_AAAA 28
#define DNS_T_SRV 33
#define DNS_C_IN 1

typedef struct DnsChannel DnsChannel;
typedef struct DnsQuery DnsQuery;

typedef struct DnsSock {
    ev_io s_w;                  /* first member: the callback casts back */
    DnsChannel *s_ch;           /* borrowed: the channel outlives its sockets */
    struct DnsSock *s_next;
} DnsSock;

struct DnsChannel {
    PyObject_HEAD
    ares_channel c_ares;
    int c_inited;
    DnsSock *c_socks;
    ev_timer c_timer;
    int c_timer_on;
    double c_base_timeout;      /* seconds: the first try's timeout */
    Py_ssize_t c_pending;       /* requests c-ares has not called back yet */
    Py_ssize_t c_live;          /* ... of which attached to a query stream */
    int c_busy;                 /* inside an ares call that may call back */
    int c_cancel_wanted;
    ares_socket_t c_read_fd;    /* the socket ares_process_fd reads, if any */
    int c_forked;               /* made before a fork, in the child: given up */
    pid_t c_pid;                /* the process that made it */
};

typedef struct DnsReq {
    DnsChannel *r_ch;           /* owned */
    DnsQuery *r_query;          /* owned while attached, else NULL */
    PyObject *r_name;           /* owned: the name asked, for messages */
    int r_type;
    int r_full;                 /* query(): answer with names, ttls, server */
} DnsReq;

struct DnsQuery {
    IdkInStream base;
    DnsReq *q_req;              /* borrowed back-pointer while attached */
};

static PyTypeObject DnsChannel_Type, DnsQuery_Type;

/* What the Python package registers: the exception classes and the record
 * types.  Owned for the life of the process. */
static PyObject *dns_error, *dns_timeout, *dns_response_error, *dns_no_data,
    *dns_message_error, *dns_mx_type, *dns_srv_type;

/* ---- exceptions -------------------------------------------------------------- */

/* An exc for cls(*args); falls back to the exception that failed. */
static PyObject *dns_exc(PyObject *cls, PyObject *args)
{
    PyObject *exc;
    if (args == NULL)
        return idk_exc_fetch();
    exc = idk_exc_new(cls != NULL ? cls : PyExc_RuntimeError, args);
    Py_DECREF(args);
    return exc != NULL ? exc : idk_exc_fetch();
}

static int status_rcode(int status)
{
    switch (status) {
    case ARES_EFORMERR: return 1;
    case ARES_ESERVFAIL: return 2;
    case ARES_ENOTFOUND: return 3;
    case ARES_ENOTIMP: return 4;
    case ARES_EREFUSED: return 5;
    default: return 0;
    }
}

/* The exc for a failed c-ares status: ResponseError(rcode) for an error
 * rcode, NoData, DNSTimeout, MessageError for a malformed reply, ValueError
 * for a name c-ares cannot encode, DNSError for the rest. */
static PyObject *status_exc(int status, PyObject *name)
{
    int rcode = status_rcode(status);
    const char *why = ares_strerror(status);
    if (rcode != 0)
        return dns_exc(dns_response_error, Py_BuildValue("(i)", rcode));
    switch (status) {
    case ARES_ENODATA:
        return dns_exc(dns_no_data, Py_BuildValue("(s)", "no data"));
    case ARES_ETIMEOUT:
        return dns_exc(dns_timeout, Py_BuildValue("(sO)", "DNS query timed out", name));
    case ARES_EBADRESP:
        return dns_exc(dns_message_error, Py_BuildValue("(sO)", why, name));
    case ARES_EBADNAME:
        return dns_exc(PyExc_ValueError, Py_BuildValue("(sO)", why, name));
    default:
        return dns_exc(dns_error, Py_BuildValue("(sO)", why, name));
    }
}

/* ---- answers to Python objects ------------------------------------------------ */

static PyObject *name_str(const char *s)
{
    return IDK_STR_FROM(s != NULL ? s : "");
}

static PyObject *hostent_addrs(struct hostent *h)
{
    PyObject *list = PyList_New(0), *item;
    char buf[INET6_ADDRSTRLEN];
    char **p;
    if (list == NULL)
        return NULL;
    for (p = h->h_addr_list; p != NULL && *p != NULL; p++) {
        if (inet_ntop(h->h_addrtype, *p, buf, sizeof(buf)) == NULL)
            continue;
        item = IDK_STR_FROM(buf);
        if (item == NULL || PyList_Append(list, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(item);
    }
    return list;
}

/* The alias names of a hostent (CNAME owners, or the PTR targets). */
static PyObject *hostent_aliases(struct hostent *h)
{
    PyObject *list = PyList_New(0), *item;
    char **p;
    if (list == NULL)
        return NULL;
    for (p = h->h_aliases; p != NULL && *p != NULL; p++) {
        item = name_str(*p);
        if (item == NULL || PyList_Append(list, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(item);
    }
    return list;
}

static int list_append_new(PyObject *list, PyObject *item)
{
    int r;
    if (item == NULL)
        return -1;
    r = PyList_Append(list, item);
    Py_DECREF(item);
    return r;
}

static PyObject *txt_string(const unsigned char *s, size_t n)
{
    return idk_text_from_utf8((const char *)s, (Py_ssize_t)n);
}

/* TXT: one tuple per RR, holding that RR's character-strings in order. */
static PyObject *txt_records(struct ares_txt_ext *txt)
{
    PyObject *list = PyList_New(0), *rr = NULL, *item, *tuple;
    struct ares_txt_ext *t;
    if (list == NULL)
        return NULL;
    for (t = txt; t != NULL; t = t->next) {
        if (t->record_start || rr == NULL) {
            if (rr != NULL) {
                tuple = PyList_AsTuple(rr);
                Py_CLEAR(rr);
                if (list_append_new(list, tuple) < 0)
                    goto fail;
            }
            if ((rr = PyList_New(0)) == NULL)
                goto fail;
        }
        item = txt_string(t->txt, t->length);
        if (list_append_new(rr, item) < 0)
            goto fail;
    }
    if (rr != NULL) {
        tuple = PyList_AsTuple(rr);
        Py_CLEAR(rr);
        if (list_append_new(list, tuple) < 0)
            goto fail;
    }
    return list;
fail:
    Py_XDECREF(rr);
    Py_DECREF(list);
    return NULL;
}

static PyObject *mx_records(struct ares_mx_reply *mx)
{
    PyObject *list = PyList_New(0);
    if (list == NULL)
        return NULL;
    for (; mx != NULL; mx = mx->next) {
        PyObject *item = PyObject_CallFunction(dns_mx_type, "(iN)", (int)mx->priority,
                                               name_str(mx->host));
        if (list_append_new(list, item) < 0) {
            Py_DECREF(list);
            return NULL;
        }
    }
    return list;
}

static PyObject *srv_records(struct ares_srv_reply *srv)
{
    PyObject *list = PyList_New(0);
    if (list == NULL)
        return NULL;
    for (; srv != NULL; srv = srv->next) {
        PyObject *item = PyObject_CallFunction(dns_srv_type, "(iiiN)", (int)srv->priority,
                                               (int)srv->weight, (int)srv->port,
                                               name_str(srv->host));
        if (list_append_new(list, item) < 0) {
            Py_DECREF(list);
            return NULL;
        }
    }
    return list;
}

/* Parse a successful answer for `type`.  Returns the result, or NULL with
 * either *status set to a c-ares error or a Python exception set. */
static PyObject *parse_answer(int type, const unsigned char *abuf, int alen, int *status)
{
    struct hostent *h = NULL;
    PyObject *r = NULL;
    *status = ARES_SUCCESS;
    switch (type) {
    case DNS_T_A:
    case DNS_T_AAAA:
        if (type == DNS_T_A)
            *status = ares_parse_a_reply(abuf, alen, &h, NULL, NULL);
        else
            *status = ares_parse_aaaa_reply(abuf, alen, &h, NULL, NULL);
        if (*status == ARES_SUCCESS) {
            r = hostent_addrs(h);
            if (r != NULL && PyList_GET_SIZE(r) == 0) {
                Py_CLEAR(r);
                *status = ARES_ENODATA;
            }
        }
        break;
    case DNS_T_CNAME:
        /* The chain's aliases are the owners; the answer is the target the
         * asked name points to, which c-ares reports as the canonical name. */
        *status = ares_parse_a_reply(abuf, alen, &h, NULL, NULL);
        if (*status == ARES_SUCCESS) {
            if (h->h_aliases == NULL || h->h_aliases[0] == NULL)
                *status = ARES_ENODATA;
            else
                r = Py_BuildValue("[N]", name_str(h->h_name));
        }
        break;
    case DNS_T_PTR: {
        struct in_addr dummy;
        memset(&dummy, 0, sizeof(dummy));
        *status = ares_parse_ptr_reply(abuf, alen, &dummy, (int)sizeof(dummy), AF_INET, &h);
        if (*status == ARES_SUCCESS)
            r = hostent_aliases(h);
        break;
    }
    case DNS_T_MX: {
        struct ares_mx_reply *mx = NULL;
        *status = ares_parse_mx_reply(abuf, alen, &mx);
        if (*status == ARES_SUCCESS)
            r = mx_records(mx);
        if (mx != NULL)
            ares_free_data(mx);
        break;
    }
    case DNS_T_SRV: {
        struct ares_srv_reply *srv = NULL;
        *status = ares_parse_srv_reply(abuf, alen, &srv);
        if (*status == ARES_SUCCESS)
            r = srv_records(srv);
        if (srv != NULL)
            ares_free_data(srv);
        break;
    }
    case DNS_T_TXT: {
        struct ares_txt_ext *txt = NULL;
        *status = ares_parse_txt_reply_ext(abuf, alen, &txt);
        if (*status == ARES_SUCCESS)
            r = txt_records(txt);
        if (txt != NULL)
            ares_free_data(txt);
        break;
    }
    case DNS_T_NS:
        *status = ares_parse_ns_reply(abuf, alen, &h);
        if (*status == ARES_SUCCESS)
            r = hostent_aliases(h);
        break;
    default:
        PyErr_SetString(PyExc_ValueError, "unsupported record type");
        break;
    }
    if (h != NULL)
        ares_free_hostent(h);
    return r;
}

/* The (ip, port) a connected c-ares socket talks to: the server that sent
 * the answer read from it.  None when unknown. */
static PyObject *socket_peer(ares_socket_t fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char buf[INET6_ADDRSTRLEN];
    if (fd == ARES_SOCKET_BAD || getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        Py_RETURN_NONE;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)) != NULL)
            return Py_BuildValue("(si)", buf, (int)ntohs(sin->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        if (inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf)) != NULL)
            return Py_BuildValue("(si)", buf, (int)ntohs(sin6->sin6_port));
    }
    Py_RETURN_NONE;
}

/* The name the answer's records belong to and, for A and AAAA, the
 * TTL of each address in answer order.  The name is c-ares's canonical name
 * (hostent h_name): the asked name, or the target of the answer's first
 * CNAME; c-ares 1.18 exposes no further hop, so for a chain of several CNAMEs
 * it is not the chain's end.  *name is None when the answer has no CNAME for
 * a type other than A/AAAA (the asked name is meant); *ttls is None when
 * c-ares does not report TTLs for the type.  Returns -1 with an exception
 * set. */
static int answer_owner(int type, const unsigned char *abuf, int alen, PyObject **name,
                        PyObject **ttls)
{
    struct hostent *h = NULL;
    struct ares_addrttl *ttl4 = NULL;
    struct ares_addr6ttl *ttl6 = NULL;
    int n = 0, i, status;
    *name = NULL;
    *ttls = NULL;
    if (abuf == NULL || alen <= 0)
        goto none;
    if (type == DNS_T_A || type == DNS_T_AAAA) {
        /* A record takes at least 12 bytes of the message (a name pointer,
         * type, class, ttl, length) besides its address. */
        n = alen / 12 + 1;
        if (type == DNS_T_A) {
            ttl4 = (struct ares_addrttl *)calloc((size_t)n, sizeof(*ttl4));
            status = ttl4 ? ares_parse_a_reply(abuf, alen, &h, ttl4, &n) : ARES_ENOMEM;
        } else {
            ttl6 = (struct ares_addr6ttl *)calloc((size_t)n, sizeof(*ttl6));
            status = ttl6 ? ares_parse_aaaa_reply(abuf, alen, &h, ttl6, &n) : ARES_ENOMEM;
        }
        if (status == ARES_ENOMEM) {
            PyErr_NoMemory();
            goto fail;
        }
        if (status == ARES_SUCCESS) {
            if ((*ttls = PyList_New(n)) == NULL)
                goto fail;
            for (i = 0; i < n; i++) {
                PyObject *t = PyLong_FromLong(ttl4 ? ttl4[i].ttl : ttl6[i].ttl);
                if (t == NULL)
                    goto fail;
                PyList_SET_ITEM(*ttls, i, t);
            }
        }
    } else if (type != DNS_T_CNAME) {
        /* c-ares succeeds here only when the answer has a CNAME chain. */
        status = ares_parse_a_reply(abuf, alen, &h, NULL, NULL);
    }
    if (h != NULL && h->h_name != NULL && type != DNS_T_CNAME) {
        if ((*name = name_str(h->h_name)) == NULL)
            goto fail;
    }
none:
    if (*name == NULL)
        *name = idk_newref(Py_None);
    if (*ttls == NULL)
        *ttls = idk_newref(Py_None);
    if (h != NULL)
        ares_free_hostent(h);
    free(ttl4);
    free(ttl6);
    return 0;
fail:
    Py_CLEAR(*name);
    Py_CLEAR(*ttls);
    if (h != NULL)
        ares_free_hostent(h);
    free(ttl4);
    free(ttl6);
    return -1;
}

/* query(..., full=True)'s answer: (name or None, records, ttls or None,
 * (server_ip, port) or None).  An answer without records of the type (NOERROR
 * and no data) has an empty list, as the original's query() had.  NULL with
 * *status set to a c-ares error or a Python exception set. */
static PyObject *parse_full(int type, int status, const unsigned char *abuf, int alen,
                            PyObject *server, int *st)
{
    PyObject *records = NULL, *name, *ttls;
    *st = status;
    if (status == ARES_SUCCESS) {
        records = parse_answer(type, abuf, alen, st);
        if (records == NULL && *st != ARES_ENODATA)
            return NULL;
    } else if (status != ARES_ENODATA) {
        return NULL;
    }
    *st = ARES_SUCCESS;
    if (records == NULL && (records = PyList_New(0)) == NULL)
        return NULL;
    if (answer_owner(type, abuf, alen, &name, &ttls) < 0) {
        Py_DECREF(records);
        return NULL;
    }
    if (ttls != Py_None && PyList_GET_SIZE(ttls) != PyList_GET_SIZE(records))
        Py_SETREF(ttls, idk_newref(Py_None));
    return Py_BuildValue("(NNNO)", name, records, ttls, server);
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

static void channel_settle(DnsChannel *ch);

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
    channel_settle(ch);
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

/* The c-ares callback of one request: called exactly once. */
static void query_on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    DnsReq *r = (DnsReq *)arg;
    DnsChannel *ch = r->r_ch;
    DnsQuery *q = r->r_query;
    (void)timeouts;
    ch->c_pending--;
    if (q != NULL) {
        PyObject *value = NULL, *exc = NULL;
        int st = status;
        ch->c_live--;
        q->q_req = NULL;
        r->r_query = NULL;
        if (r->r_full) {
            PyObject *server = socket_peer(ch->c_read_fd);
            value = server ? parse_full(r->r_type, status, abuf, alen, server, &st) : NULL;
            Py_XDECREF(server);
            if (value == NULL)
                exc = st != ARES_SUCCESS ? status_exc(st, r->r_name) : idk_exc_fetch();
        } else if (status == ARES_SUCCESS) {
            value = parse_answer(r->r_type, abuf, alen, &st);
            if (value == NULL)
                exc = st != ARES_SUCCESS ? status_exc(st, r->r_name) : idk_exc_fetch();
        } else if (ch->c_forked) {
            exc = dns_exc(dns_error, Py_BuildValue(
                "(sO)", "DNS query given up: the process forked while it was in flight",
                r->r_name));
        } else {
            exc = status_exc(status, r->r_name);
        }
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
        Py_DECREF(q);
    }
    Py_DECREF(r->r_name);
    free(r);
    Py_DECREF(ch);   /* never the last: the caller of c-ares holds one */
}

/* ---- the channel: sockets and the timer ------------------------------------------ */

static void channel_process(DnsChannel *ch, ares_socket_t rfd, ares_socket_t wfd)
{
    ares_socket_t saved = ch->c_read_fd;
    Py_INCREF(ch);
    ch->c_busy++;
    /* An answer c-ares reports from here was read from rfd (ares_process_fd
     * reads no other socket): its peer is the server that answered. */
    ch->c_read_fd = rfd;
    ares_process_fd(ch->c_ares, rfd, wfd);
    ch->c_read_fd = saved;
    ch->c_busy--;
    channel_settle(ch);
    Py_DECREF(ch);
}

static void sock_on_io(struct ev_loop *ev, ev_io *w, int revents)
{
    DnsSock *s = (DnsSock *)w;
    int fd = w->fd;
    (void)ev;
    channel_process(s->s_ch, (revents & EV_READ) ? fd : ARES_SOCKET_BAD,
                    (revents & EV_WRITE) ? fd : ARES_SOCKET_BAD);
}

static void timer_on_expire(struct ev_loop *ev, ev_timer *w, int revents)
{
    DnsChannel *ch = (DnsChannel *)((char *)w - offsetof(DnsChannel, c_timer));
    (void)ev;
    (void)revents;
    if (ch->c_timer_on) {
        ch->c_timer_on = 0;
        idk_stats.watchers--;
    }
    channel_process(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

/* c-ares tells which sockets to watch, and for what (0, 0: it closes it). */
static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
    DnsChannel *ch = (DnsChannel *)data;
    struct ev_loop *ev = idk_loop->l_ev;
    DnsSock *s, **pp;
    int events = (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);
    for (pp = &ch->c_socks; *pp != NULL && (*pp)->s_w.fd != fd; pp = &(*pp)->s_next)
        ;
    s = *pp;
    if (events == 0) {
        if (s != NULL) {
            ev_io_stop(ev, &s->s_w);
            idk_stats.watchers--;
            *pp = s->s_next;
            free(s);
        }
        return;
    }
    if (s == NULL) {
        s = (DnsSock *)calloc(1, sizeof(*s));
        if (s == NULL)
            return;   /* unwatched: the query ends by its timeout */
        ev_io_init(&s->s_w, sock_on_io, fd, events);
        s->s_ch = ch;
        s->s_next = ch->c_socks;
        ch->c_socks = s;
        ev_io_start(ev, &s->s_w);
        idk_stats.watchers++;
        return;
    }
    if ((s->s_w.events & (EV_READ | EV_WRITE)) != events) {
        ev_io_stop(ev, &s->s_w);
        ev_io_set(&s->s_w, fd, events);
        ev_io_start(ev, &s->s_w);
    }
}

static void timer_stop(DnsChannel *ch)
{
    if (!ch->c_timer_on)
        return;
    ev_timer_stop(idk_loop->l_ev, &ch->c_timer);
    ch->c_timer_on = 0;
    idk_stats.watchers--;
}

static void timer_arm(DnsChannel *ch)
{
    struct ev_loop *ev = idk_loop->l_ev;
    struct timeval maxtv, tv, *tvp;
    double delay;
    maxtv.tv_sec = (time_t)ch->c_base_timeout;
    maxtv.tv_usec = (suseconds_t)((ch->c_base_timeout - (double)maxtv.tv_sec) * 1e6);
    tvp = ares_timeout(ch->c_ares, &maxtv, &tv);
    delay = tvp->tv_sec + tvp->tv_usec / 1e6;
    if (ch->c_timer_on)
        ev_timer_stop(ev, &ch->c_timer);
    else
        idk_stats.watchers++;
    ev_timer_set(&ch->c_timer, delay > 0 ? delay : 0.0, 0.0);
    ev_timer_start(ev, &ch->c_timer);
    ch->c_timer_on = 1;
}

/* After an ares call: run a cancel that waited, and keep the timer in step
 * with the requests outstanding. */
static void channel_settle(DnsChannel *ch)
{
    if (ch->c_busy)
        return;
    if (ch->c_cancel_wanted) {
        ch->c_cancel_wanted = 0;
        if (ch->c_live == 0 && ch->c_pending > 0) {
            Py_INCREF(ch);
            ch->c_busy++;
            ares_cancel(ch->c_ares);
            ch->c_busy--;
            Py_DECREF(ch);
        }
    }
    if (ch->c_pending == 0) {
        timer_stop(ch);
    } else if (!ch->c_timer_on
               || ev_timer_remaining(idk_loop->l_ev, &ch->c_timer) > ch->c_base_timeout) {
        timer_arm(ch);
    }
}

static void channel_unwatch_socks(DnsChannel *ch)
{
    while (ch->c_socks != NULL) {
        DnsSock *s = ch->c_socks;
        ch->c_socks = s->s_next;
        ev_io_stop(idk_loop->l_ev, &s->s_w);
        idk_stats.watchers--;
        free(s);
    }
}

/* In a forked child: stop watching the parent's sockets, then let c-ares
 * call back every request (ARES_EDESTRUCTION: query_on_answer fails the
 * query with DNSError) and close the child's copies of the sockets. */
static void channel_give_up(DnsChannel *ch)
{
    if (!ch->c_inited || ch->c_pid == getpid())
        return;
    channel_unwatch_socks(ch);
    timer_stop(ch);
    ch->c_forked = 1;
    ch->c_busy++;
    ares_destroy(ch->c_ares);
    ch->c_busy--;
    ch->c_inited = 0;
    ch->c_cancel_wanted = 0;
}

void idk_dns_after_fork(IdkLoop *loop)
{
    Py_ssize_t i, n = loop->l_dns_channels.n;
    DnsChannel **chans;
    if (n == 0)
        return;
    chans = (DnsChannel **)PyMem_Malloc(n * sizeof(DnsChannel *));
    if (chans == NULL)
        return;      /* out of memory: their queries end by their timeouts */
    for (i = 0; i < n; i++) {
        chans[i] = (DnsChannel *)idk_vec_data(&loop->l_dns_channels)[i];
        Py_INCREF(chans[i]);  /* giving up may drop the last other reference */
    }
    for (i = 0; i < n; i++) {
        channel_give_up(chans[i]);
        Py_DECREF(chans[i]);
    }
    PyMem_Free(chans);
}

/* A channel given up after a fork cannot be used again. */
static int channel_usable(DnsChannel *ch)
{
    if (ch->c_inited)
        return 1;
    PyErr_SetString(dns_error != NULL ? dns_error : PyExc_RuntimeError,
                    "DNS channel made before os.fork(): make a new one in the child");
    return 0;
}

/* ---- DnsChannel: construction and methods ---------------------------------------- */

static int set_servers(DnsChannel *ch, PyObject *servers)
{
    Py_ssize_t i, n;
    struct ares_addr_port_node *nodes;
    int status;
    PyObject *seq = PySequence_Fast(servers, "servers must be a sequence of (ip, port)");
    if (seq == NULL)
        return -1;
    n = PySequence_Fast_GET_SIZE(seq);
    nodes = (struct ares_addr_port_node *)calloc(n > 0 ? (size_t)n : 1, sizeof(*nodes));
    if (nodes == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (i = 0; i < n; i++) {
        const char *ip;
        int port;
        struct ares_addr_port_node *node = &nodes[i];
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "si;servers must be (ip, port) pairs",
                              &ip, &port))
            goto fail;
        if (port <= 0 || port > 65535) {
            PyErr_Format(PyExc_ValueError, "invalid port %d", port);
            goto fail;
        }
        if (inet_pton(AF_INET, ip, &node->addr.addr4) == 1) {
            node->family = AF_INET;
        } else if (inet_pton(AF_INET6, ip, &node->addr.addr6) == 1) {
            node->family = AF_INET6;
        } else {
            PyErr_Format(PyExc_ValueError, "invalid IP address %.100s", ip);
            goto fail;
        }
        node->udp_port = port;
        node->tcp_port = port;
        node->next = i + 1 < n ? &nodes[i + 1] : NULL;
    }
    status = ares_set_servers_ports(ch->c_ares, n > 0 ? nodes : NULL);
    free(nodes);
    Py_DECREF(seq);
    if (status != ARES_SUCCESS) {
        PyErr_Format(PyExc_OSError, "ares_set_servers_ports: %s", ares_strerror(status));
        return -1;
    }
    return 0;
fail:
    free(nodes);
    Py_DECREF(seq);
    return -1;
}

/* DnsChannel(servers=None, timeout=None, tries=None, ndots=None, domains=None,
 *            rotate=None): None takes the value from /etc/resolv.conf (and
 * LOCALDOMAIN, RES_OPTIONS), as ares_init does. */
static PyObject *channel_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"servers", "timeout", "tries", "ndots", "domains", "rotate", NULL};
    PyObject *servers = Py_None, *timeout = Py_None, *tries = Py_None, *ndots = Py_None,
        *domains = Py_None, *rotate = Py_None, *dseq = NULL;
    struct ares_options opts;
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_FLAGS, status, saved_mask;
    char **dnames = NULL;
    DnsChannel *ch;
    Py_ssize_t i;

    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOOOOO:DnsChannel", kwlist, &servers,
                                     &timeout, &tries, &ndots, &domains, &rotate))
        return NULL;
    if (dns_mx_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "DnsChannel needs idiokit.dns (_dns_setup)");
        return NULL;
    }
    if (idk_loop_get() == NULL)
        return NULL;
    memset(&opts, 0, sizeof(opts));
    opts.sock_state_cb = sock_state_cb;
    /* An error rcode (SERVFAIL, REFUSED, ...) is the answer, as in the
     * original: ResponseError(rcode) at once, other servers not tried. */
    opts.flags = ARES_FLAG_NOCHECKRESP;
    /* Room for the answers to many queries in flight (the kernel caps it at
     * net.core.rmem_max): a burst of replies is not dropped. */
    opts.socket_receive_buffer_size = 1 << 22;
    mask |= ARES_OPT_SOCK_RCVBUF;
    if (timeout != Py_None) {
        double t = PyFloat_AsDouble(timeout);
        if (t == -1.0 && PyErr_Occurred())
            return NULL;
        if (!(t > 0 && t < 86400)) {
            PyErr_SetString(PyExc_ValueError, "timeout must be > 0 seconds");
            return NULL;
        }
        opts.timeout = (int)(t * 1000 + 0.5) > 0 ? (int)(t * 1000 + 0.5) : 1;
        mask |= ARES_OPT_TIMEOUTMS;
    }
    if (tries != Py_None) {
        long n = PyLong_AsLong(tries);
        if (n == -1 && PyErr_Occurred())
            return NULL;
        if (n < 1 || n > 100) {
            PyErr_SetString(PyExc_ValueError, "tries must be 1..100");
            return NULL;
        }
        opts.tries = (int)n;
        mask |= ARES_OPT_TRIES;
    }
    if (ndots != Py_None) {
        long n = PyLong_AsLong(ndots);
        if (n == -1 && PyErr_Occurred())
            return NULL;
        if (n < 0 || n > 15) {
            PyErr_SetString(PyExc_ValueError, "ndots must be 0..15");
            return NULL;
        }
        opts.ndots = (int)n;
        mask |= ARES_OPT_NDOTS;
    }
    if (rotate != Py_None) {
        int on = PyObject_IsTrue(rotate);
        if (on < 0)
            return NULL;
        mask |= on ? ARES_OPT_ROTATE : ARES_OPT_NOROTATE;
    }
    if (domains != Py_None) {
        dseq = PySequence_Fast(domains, "domains must be a sequence of names");
        if (dseq == NULL)
            return NULL;
        opts.ndomains = (int)PySequence_Fast_GET_SIZE(dseq);
        dnames = (char **)calloc(opts.ndomains > 0 ? (size_t)opts.ndomains : 1, sizeof(char *));
        if (dnames == NULL) {
            Py_DECREF(dseq);
            return PyErr_NoMemory();
        }
        for (i = 0; i < opts.ndomains; i++) {
            PyObject *d = PySequence_Fast_GET_ITEM(dseq, i);
            if (!PyArg_Parse(d, "s;domains must be str", &dnames[i])) {
                free(dnames);
                Py_DECREF(dseq);
                return NULL;
            }
        }
        opts.domains = dnames;
        mask |= ARES_OPT_DOMAINS;
    }

    ch = (DnsChannel *)type->tp_alloc(type, 0);
    if (ch == NULL)
        goto done;
    ev_init(&ch->c_timer, timer_on_expire);
    ch->c_read_fd = ARES_SOCKET_BAD;
    opts.sock_state_cb_data = ch;
    status = ares_init_options(&ch->c_ares, &opts, mask);
    if (status != ARES_SUCCESS) {
        PyErr_Format(PyExc_OSError, "ares_init_options: %s", ares_strerror(status));
        Py_CLEAR(ch);
        goto done;
    }
    ch->c_inited = 1;
    ch->c_pid = getpid();
    if (idk_vec_push(&idk_loop->l_dns_channels, ch) < 0) {
        PyErr_NoMemory();
        Py_CLEAR(ch);
        goto done;
    }
    {
        struct ares_options saved;
        if (ares_save_options(ch->c_ares, &saved, &saved_mask) == ARES_SUCCESS) {
            ch->c_base_timeout = saved.timeout > 0 ? saved.timeout / 1000.0 : 5.0;
            ares_destroy_options(&saved);
        } else {
            ch->c_base_timeout = 5.0;
        }
    }
    if (servers != Py_None && set_servers(ch, servers) < 0)
        Py_CLEAR(ch);
done:
    free(dnames);
    Py_XDECREF(dseq);
    return (PyObject *)ch;
}

static void channel_dealloc(DnsChannel *ch)
{
    if (ch->c_inited) {
        ch->c_busy++;
        ares_destroy(ch->c_ares);    /* closes its sockets: sock_state_cb unwatches */
        ch->c_inited = 0;
    }
    channel_unwatch_socks(ch);
    timer_stop(ch);
    idk_vec_remove(&idk_loop->l_dns_channels, ch);
    Py_TYPE(ch)->tp_free((PyObject *)ch);
}

/* query(name, type, full=False): a DnsQuery stream for the records of `type`
 * of `name`, with search domains applied as resolv.conf says (none for a name
 * ending in a dot).  Only class IN.  With full true the name is asked as it
 * is (no search list) and the stream returns (name or None, records, ttls or
 * None, (server_ip, port) or None): see parse_full. */
static PyObject *channel_query(DnsChannel *ch, PyObject *args)
{
    PyObject *name;
    const char *cname;
    int type, full = 0;
    DnsQuery *q;
    DnsReq *r;
    if (!PyArg_ParseTuple(args, "Oi|i:query", &name, &type, &full) || !channel_usable(ch))
        return NULL;
    if (!PyArg_Parse(name, "s;name must be str", &cname))
        return NULL;
    switch (type) {
    case DNS_T_A: case DNS_T_AAAA: case DNS_T_CNAME: case DNS_T_PTR: case DNS_T_MX:
    case DNS_T_TXT: case DNS_T_SRV: case DNS_T_NS:
        break;
    default:
        PyErr_Format(PyExc_ValueError, "unsupported record type %d", type);
        return NULL;
    }
    r = (DnsReq *)malloc(sizeof(*r));
    if (r == NULL)
        return PyErr_NoMemory();
    q = (DnsQuery *)DnsQuery_Type.tp_alloc(&DnsQuery_Type, 0);
    if (q == NULL) {
        free(r);
        return NULL;
    }
    idk_stream_init(&q->base.base, &query_kind);
    idk_in_init(&q->base);
    q->base.in[IDK_SIGS].c_watch = 1;
    q->base.in[IDK_BROKEN].c_watch = 1;
    q->base.in[IDK_MSGS].c_watch = 0;
    q->q_req = r;
    r->r_query = (DnsQuery *)idk_newref((PyObject *)q);
    r->r_ch = (DnsChannel *)idk_newref((PyObject *)ch);
    r->r_name = idk_newref(name);
    r->r_type = type;
    r->r_full = full != 0;
    ch->c_pending++;
    ch->c_live++;
    Py_INCREF(ch);
    ch->c_busy++;
    if (r->r_full)
        ares_query(ch->c_ares, cname, DNS_C_IN, type, query_on_answer, r);
    else
        ares_search(ch->c_ares, cname, DNS_C_IN, type, query_on_answer, r);
    ch->c_busy--;
    channel_settle(ch);
    Py_DECREF(ch);
    return (PyObject *)q;
}

/* servers(): the servers as [(ip, port)]. */
static PyObject *channel_servers(DnsChannel *ch, PyObject *unused)
{
    struct ares_addr_port_node *nodes = NULL, *n;
    PyObject *list;
    char buf[INET6_ADDRSTRLEN];
    int status;
    (void)unused;
    if (!channel_usable(ch))
        return NULL;
    status = ares_get_servers_ports(ch->c_ares, &nodes);
    if (status != ARES_SUCCESS) {
        PyErr_Format(PyExc_OSError, "ares_get_servers_ports: %s", ares_strerror(status));
        return NULL;
    }
    list = PyList_New(0);
    for (n = nodes; list != NULL && n != NULL; n = n->next) {
        if (inet_ntop(n->family, &n->addr, buf, sizeof(buf)) == NULL)
            continue;
        if (list_append_new(list, Py_BuildValue("(si)", buf, n->udp_port ? n->udp_port : 53)) < 0)
            Py_CLEAR(list);
    }
    ares_free_data(nodes);
    return list;
}

/* hosts(name, family): the addresses of `name` in the hosts file, as c-ares
 * reads it, or None. */
static PyObject *channel_hosts(DnsChannel *ch, PyObject *args)
{
    const char *name;
    int family, status;
    struct hostent *h = NULL;
    PyObject *r;
    if (!PyArg_ParseTuple(args, "si:hosts", &name, &family) || !channel_usable(ch))
        return NULL;
    status = ares_gethostbyname_file(ch->c_ares, name, family, &h);
    if (status != ARES_SUCCESS)
        Py_RETURN_NONE;
    r = hostent_addrs(h);
    ares_free_hostent(h);
    return r;
}

static PyObject *channel_stats(DnsChannel *ch, PyObject *unused)
{
    Py_ssize_t nsocks = 0;
    DnsSock *s;
    (void)unused;
    for (s = ch->c_socks; s != NULL; s = s->s_next)
        nsocks++;
    return Py_BuildValue("{snsnsnsi}", "pending", ch->c_pending, "live", ch->c_live,
                         "sockets", nsocks, "timer", ch->c_timer_on);
}

static PyMethodDef channel_methods[] = {
    {"query", (PyCFunction)channel_query, METH_VARARGS,
     "query(name, type, full=False): a stream that returns the records (class IN);\n"
     "full: (name or None, records, ttls or None, (server_ip, port) or None)."},
    {"servers", (PyCFunction)channel_servers, METH_NOARGS, "The servers as [(ip, port)]."},
    {"hosts", (PyCFunction)channel_hosts, METH_VARARGS,
     "hosts(name, family): the hosts file's addresses for name, or None."},
    {"_stats", (PyCFunction)channel_stats, METH_NOARGS, "Requests, sockets and timer."},
    {NULL, NULL, 0, NULL}
};

/* _dns_setup(DNSError, DNSTimeout, ResponseError, NoData, MessageError, MX, SRV) */
static PyObject *dns_setup(PyObject *self, PyObject *args)
{
    PyObject *o[7];
    int i;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOOOOO:_dns_setup", &o[0], &o[1], &o[2], &o[3], &o[4],
                          &o[5], &o[6]))
        return NULL;
    for (i = 0; i < 7; i++) {
        if (!PyCallable_Check(o[i])) {
            PyErr_SetString(PyExc_TypeError, "_dns_setup takes classes");
            return NULL;
        }
    }
    Py_XSETREF(dns_error, idk_newref(o[0]));
    Py_XSETREF(dns_timeout, idk_newref(o[1]));
    Py_XSETREF(dns_response_error, idk_newref(o[2]));
    Py_XSETREF(dns_no_data, idk_newref(o[3]));
    Py_XSETREF(dns_message_error, idk_newref(o[4]));
    Py_XSETREF(dns_mx_type, idk_newref(o[5]));
    Py_XSETREF(dns_srv_type, idk_newref(o[6]));
    Py_RETURN_NONE;
}

static PyMethodDef dns_functions[] = {
    {"_dns_setup", dns_setup, METH_VARARGS,
     "Register the DNS exception classes and the MX and SRV record types."},
    {NULL, NULL, 0, NULL}
};

static PyTypeObject DnsChannel_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.DnsChannel",
    .tp_basicsize = sizeof(DnsChannel)
};
static PyTypeObject DnsQuery_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.DnsQuery",
    .tp_basicsize = sizeof(DnsQuery)
};

int idk_dns_module_init(PyObject *m)
{
    PyMethodDef *def;
    int status = ares_library_init(ARES_LIB_INIT_ALL);
    if (status != ARES_SUCCESS) {
        PyErr_Format(PyExc_ImportError, "ares_library_init: %s", ares_strerror(status));
        return -1;
    }
    DnsChannel_Type.tp_flags = IDK_TPFLAGS_DEFAULT;
    DnsChannel_Type.tp_new = channel_new;
    DnsChannel_Type.tp_dealloc = (destructor)channel_dealloc;
    DnsChannel_Type.tp_methods = channel_methods;
    DnsChannel_Type.tp_doc = "A c-ares channel on the idiokit loop.";
    DnsQuery_Type.tp_base = &IdkStream_Type;
    DnsQuery_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
    DnsQuery_Type.tp_dealloc = (destructor)query_dealloc;
    DnsQuery_Type.tp_traverse = (traverseproc)query_traverse;
    DnsQuery_Type.tp_clear = (inquiry)query_clear;
    DnsQuery_Type.tp_doc = "One DNS query in flight: a stream that returns its records.";
    if (PyType_Ready(&DnsChannel_Type) < 0 || PyType_Ready(&DnsQuery_Type) < 0)
        return -1;
    Py_INCREF(&DnsChannel_Type);
    if (PyModule_AddObject(m, "DnsChannel", (PyObject *)&DnsChannel_Type) < 0)
        return -1;
    for (def = dns_functions; def->ml_name != NULL; def++) {
        PyObject *f = PyCFunction_New(def, NULL);
        if (f == NULL || PyModule_AddObject(m, def->ml_name, f) < 0)
            return -1;
    }
    return 0;
}
