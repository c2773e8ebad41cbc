/* dns.h: what the DNS files share.  DNS queries run on the system's c-ares,
 * driven by the idiokit loop:
 *  - dns_channel.c: one c-ares channel on the loop (its sockets' ev_io, its
 *    timer, cancelling, fork, and the TCP twin a truncated answer moves to);
 *  - dns_channel_type.c: DnsChannel's Python face (options, query(),
 *    servers(), hosts()) and the module registration;
 *  - dns_query.c: DnsQuery, the leaf stream of one query, and the c-ares
 *    callback that finishes it;
 *  - dns_answer.c: answers to Python objects, one table row per record type;
 *  - dns_errors.c: the exception classes and the MX and SRV record types,
 *    made by this module (idiokit.dns re-exports them).
 */
#ifndef IDK_DNS_H
#define IDK_DNS_H

#include "core.h"

#include <ares.h>
#include <sys/types.h>

#define DNS_T_A 1
#define DNS_T_NS 2
#define DNS_T_CNAME 5
#define DNS_T_PTR 12
#define DNS_T_MX 15
#define DNS_T_TXT 16
#define DNS_T_AAAA 28
#define DNS_T_SRV 33
#define DNS_C_IN 1
#define DNS_UDP_MAX 512         /* an answer over UDP without EDNS fits in this */

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
    int c_tcp;                  /* a TCP twin (ARES_FLAG_USEVC): no further move */
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
    int c_ndots;                /* the search list's options, as c-ares read them */
    int c_ndomains;
    char **c_domains;           /* malloc'd copies */
};

/* One request to c-ares: from ares_search/ares_query until c-ares calls it
 * back, exactly once (C memory). */
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

extern PyTypeObject DnsChannel_Type, DnsQuery_Type;

/* ---- dns_channel.c ---- */
/* A channel with c-ares options opts/mask (sock_state_cb is set here); new
 * reference or NULL. */
DnsChannel *idk_dns_channel_make(PyTypeObject *type, struct ares_options *opts, int mask);
/* A new channel like ch that asks over TCP only; new reference or NULL. */
DnsChannel *idk_dns_channel_tcp_twin(DnsChannel *ch);
void idk_dns_channel_destroy(DnsChannel *ch);
/* After an ares call: run a cancel that waited, keep the timer in step. */
void idk_dns_channel_settle(DnsChannel *ch);
/* 1 if usable; else 0 with DNSError set (given up after a fork). */
int idk_dns_channel_usable(DnsChannel *ch);
/* ares_query(name) for request r (NULL name: calls back with ENOMEM), or
 * c-ares's own ares_search (HOSTALIASES), holding the channel. */
void idk_dns_channel_ask(DnsChannel *ch, const char *name, DnsReq *r);
void idk_dns_channel_search(DnsChannel *ch, const char *name, DnsReq *r);

/* ---- dns_query.c ---- */
/* A request for (name, type) attached to a new query stream; NULL on error. */
DnsQuery *idk_dns_query_new(DnsChannel *ch, PyObject *name, int type, int full, DnsReq **req);
void idk_dns_query_start(DnsReq *r);
void idk_dns_query_on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen);
int idk_dns_query_type_ready(void);

/* ---- dns_answer.c ---- */
int idk_dns_type_supported(int type);
/* A successful answer's records for `type`; NULL with *status set to a
 * c-ares error, or a Python exception set. */
PyObject *idk_dns_parse_answer(int type, const unsigned char *abuf, int alen, int *status);
/* query(..., full=True)'s answer tuple; NULL as idk_dns_parse_answer. */
PyObject *idk_dns_parse_full(int type, int status, const unsigned char *abuf, int alen,
                             ares_socket_t fd, int *st);
PyObject *idk_dns_hostent_addrs(struct hostent *h);
int idk_dns_list_append_new(PyObject *list, PyObject *item);   /* steals item */

/* ---- dns_errors.c ---- */
extern PyObject *idk_dns_error, *idk_dns_timeout, *idk_dns_response_error, *idk_dns_no_data,
    *idk_dns_message_error, *idk_dns_mx_type, *idk_dns_srv_type;
/* The exc for a failed request's c-ares status (ResponseError(rcode),
 * NoData, DNSTimeout, ValueError for a name c-ares cannot encode, DNSError). */
PyObject *idk_dns_status_exc(int status, PyObject *name);
/* The exc for an answer that failed to parse: MessageError (NoData for no
 * records, MemoryError when out of memory). */
PyObject *idk_dns_answer_exc(int status, PyObject *name);
/* An exc for cls(*args) (args stolen); falls back to the exception that failed. */
PyObject *idk_dns_exc(PyObject *cls, PyObject *args);
/* A record of an MX or SRV type (a namedtuple) from its fields (stolen). */
PyObject *idk_dns_record(PyObject *type, PyObject *fields);
int idk_dns_errors_init(PyObject *m);

#endif /* IDK_DNS_H */
