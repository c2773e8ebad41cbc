/* dns_answer.c: a DNS answer (the raw message c-ares hands back) to Python
 * objects.  One row of answer_types per record type says how: which
 * ares_parse_*_reply reads it and how its records become a list.
 *
 * Invariants:
 *  - No DNS message is parsed here by hand: the ares_parse_*_reply functions
 *    do it; this file turns their structs into Python objects and frees them
 *    on every path.
 *  - A parse that fails reports the c-ares status (the caller makes it a
 *    MessageError, or NoData) or leaves a Python exception set, never both.
 */
#include "dns.h"
#include "iptext.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static PyObject *name_str(const char *s)
{
    return IDK_STR_FROM(s != NULL ? s : "");
}

int idk_dns_list_append_new(PyObject *list, PyObject *item)
{
    int r;
    if (item == NULL)
        return -1;
    r = PyList_Append(list, item);
    Py_DECREF(item);
    return r;
}

PyObject *idk_dns_hostent_addrs(struct hostent *h)
{
    PyObject *list = PyList_New(0);
    char buf[IDK_IPTEXT_SIZE];
    char **p;
    if (list == NULL)
        return NULL;
    for (p = h->h_addr_list; p != NULL && *p != NULL; p++) {
        if (idk_ip_text(h->h_addrtype, *p, buf) == NULL)
            continue;
        if (idk_dns_list_append_new(list, IDK_STR_FROM(buf)) < 0) {
            Py_DECREF(list);
            return NULL;
        }
    }
    return list;
}

/* The alias names of a hostent (CNAME owners, or the PTR and NS targets). */
static PyObject *hostent_aliases(struct hostent *h)
{
    PyObject *list = PyList_New(0);
    char **p;
    if (list == NULL)
        return NULL;
    for (p = h->h_aliases; p != NULL && *p != NULL; p++) {
        if (idk_dns_list_append_new(list, name_str(*p)) < 0) {
            Py_DECREF(list);
            return NULL;
        }
    }
    return list;
}

/* ---- one parser per record type ------------------------------------------------------ */

typedef PyObject *(*AnswerParser)(const unsigned char *abuf, int alen, int *status);

static PyObject *parse_addrs(int type, const unsigned char *abuf, int alen, int *status)
{
    struct hostent *h = NULL;
    PyObject *r = NULL;
    if (type == DNS_T_A)
        *status = ares_parse_a_reply(abuf, alen, &h, NULL, NULL);
    else
        *status = ares_parse_aaaa_reply(abuf, alen, &h, NULL, NULL);
    if (*status == ARES_SUCCESS) {
        r = idk_dns_hostent_addrs(h);
        if (r != NULL && PyList_GET_SIZE(r) == 0) {
            Py_CLEAR(r);
            *status = ARES_ENODATA;
        }
    }
    if (h != NULL)
        ares_free_hostent(h);
    return r;
}

static PyObject *parse_a(const unsigned char *abuf, int alen, int *status)
{
    return parse_addrs(DNS_T_A, abuf, alen, status);
}

static PyObject *parse_aaaa(const unsigned char *abuf, int alen, int *status)
{
    return parse_addrs(DNS_T_AAAA, abuf, alen, status);
}

/* The chain's aliases are the owners; the answer is the target the asked
 * name points to, which c-ares reports as the canonical name. */
static PyObject *parse_cname(const unsigned char *abuf, int alen, int *status)
{
    struct hostent *h = NULL;
    PyObject *r = NULL;
    *status = ares_parse_a_reply(abuf, alen, &h, NULL, NULL);
    if (*status == ARES_SUCCESS) {
        if (h->h_aliases == NULL || h->h_aliases[0] == NULL)
            *status = ARES_ENODATA;
        else
            r = Py_BuildValue("[N]", name_str(h->h_name));
    }
    if (h != NULL)
        ares_free_hostent(h);
    return r;
}

static PyObject *parse_ptr(const unsigned char *abuf, int alen, int *status)
{
    struct hostent *h = NULL;
    struct in_addr dummy;
    PyObject *r = NULL;
    memset(&dummy, 0, sizeof(dummy));
    *status = ares_parse_ptr_reply(abuf, alen, &dummy, (int)sizeof(dummy), AF_INET, &h);
    if (*status == ARES_SUCCESS)
        r = hostent_aliases(h);
    if (h != NULL)
        ares_free_hostent(h);
    return r;
}

static PyObject *parse_ns(const unsigned char *abuf, int alen, int *status)
{
    struct hostent *h = NULL;
    PyObject *r = NULL;
    *status = ares_parse_ns_reply(abuf, alen, &h);
    if (*status == ARES_SUCCESS)
        r = hostent_aliases(h);
    if (h != NULL)
        ares_free_hostent(h);
    return r;
}

static PyObject *parse_mx(const unsigned char *abuf, int alen, int *status)
{
    struct ares_mx_reply *mx = NULL, *p;
    PyObject *r = NULL;
    *status = ares_parse_mx_reply(abuf, alen, &mx);
    if (*status == ARES_SUCCESS && (r = PyList_New(0)) != NULL) {
        for (p = mx; p != NULL; p = p->next) {
            PyObject *fields = Py_BuildValue("(iN)", (int)p->priority, name_str(p->host));
            if (idk_dns_list_append_new(r, idk_dns_record(idk_dns_mx_type, fields)) < 0) {
                Py_CLEAR(r);
                break;
            }
        }
    }
    if (mx != NULL)
        ares_free_data(mx);
    return r;
}

static PyObject *parse_srv(const unsigned char *abuf, int alen, int *status)
{
    struct ares_srv_reply *srv = NULL, *p;
    PyObject *r = NULL;
    *status = ares_parse_srv_reply(abuf, alen, &srv);
    if (*status == ARES_SUCCESS && (r = PyList_New(0)) != NULL) {
        for (p = srv; p != NULL; p = p->next) {
            PyObject *fields = Py_BuildValue("(iiiN)", (int)p->priority, (int)p->weight,
                                             (int)p->port, name_str(p->host));
            if (idk_dns_list_append_new(r, idk_dns_record(idk_dns_srv_type, fields)) < 0) {
                Py_CLEAR(r);
                break;
            }
        }
    }
    if (srv != NULL)
        ares_free_data(srv);
    return r;
}

/* The character-strings of one TXT RR, as a tuple. */
static int txt_flush(PyObject *list, PyObject **rr)
{
    PyObject *tuple;
    if (*rr == NULL)
        return 0;
    tuple = PyList_AsTuple(*rr);
    Py_CLEAR(*rr);
    return idk_dns_list_append_new(list, tuple);
}

/* TXT: one tuple per RR, holding that RR's character-strings in order. */
static PyObject *txt_records(struct ares_txt_ext *txt)
{
    PyObject *list = PyList_New(0), *rr = NULL, *item;
    struct ares_txt_ext *t;
    if (list == NULL)
        return NULL;
    for (t = txt; t != NULL; t = t->next) {
        if (t->record_start || rr == NULL) {
            if (txt_flush(list, &rr) < 0 || (rr = PyList_New(0)) == NULL)
                goto fail;
        }
        item = idk_text_from_utf8((const char *)t->txt, (Py_ssize_t)t->length);
        if (idk_dns_list_append_new(rr, item) < 0)
            goto fail;
    }
    if (txt_flush(list, &rr) < 0)
        goto fail;
    return list;
fail:
    Py_XDECREF(rr);
    Py_DECREF(list);
    return NULL;
}

static PyObject *parse_txt(const unsigned char *abuf, int alen, int *status)
{
    struct ares_txt_ext *txt = NULL;
    PyObject *r = NULL;
    *status = ares_parse_txt_reply_ext(abuf, alen, &txt);
    if (*status == ARES_SUCCESS)
        r = txt_records(txt);
    if (txt != NULL)
        ares_free_data(txt);
    return r;
}

static const struct {
    int type;
    AnswerParser parse;
} answer_types[] = {
    {DNS_T_A, parse_a},
    {DNS_T_AAAA, parse_aaaa},
    {DNS_T_CNAME, parse_cname},
    {DNS_T_PTR, parse_ptr},
    {DNS_T_MX, parse_mx},
    {DNS_T_SRV, parse_srv},
    {DNS_T_TXT, parse_txt},
    {DNS_T_NS, parse_ns},
};

static AnswerParser answer_parser(int type)
{
    size_t i;
    for (i = 0; i < sizeof(answer_types) / sizeof(answer_types[0]); i++) {
        if (answer_types[i].type == type)
            return answer_types[i].parse;
    }
    return NULL;
}

int idk_dns_type_supported(int type)
{
    return answer_parser(type) != NULL;
}

PyObject *idk_dns_parse_answer(int type, const unsigned char *abuf, int alen, int *status)
{
    AnswerParser parse = answer_parser(type);
    *status = ARES_SUCCESS;
    if (parse == NULL) {
        PyErr_SetString(PyExc_ValueError, "unsupported record type");
        return NULL;
    }
    return parse(abuf, alen, status);
}

/* ---- query(..., full=True): owner name, TTLs, the server ------------------------------ */

/* The (ip, port) a connected c-ares socket talks to: the server that sent
 * the answer read from it.  None when unknown. */
static PyObject *socket_peer(ares_socket_t fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char buf[IDK_IPTEXT_SIZE];
    if (fd == ARES_SOCKET_BAD || getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        Py_RETURN_NONE;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        if (idk_ip_text(AF_INET, &sin->sin_addr, buf) != NULL)
            return Py_BuildValue("(si)", buf, (int)ntohs(sin->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        if (idk_ip_text(AF_INET6, &sin6->sin6_addr, buf) != NULL)
            return Py_BuildValue("(si)", buf, (int)ntohs(sin6->sin6_port));
    }
    Py_RETURN_NONE;
}

/* The TTL of each address of an A or AAAA answer, in answer order, and its
 * hostent; 0 or -1 with an exception set. */
static int address_ttls(int type, const unsigned char *abuf, int alen, struct hostent **h,
                        PyObject **ttls)
{
    struct ares_addrttl *ttl4 = NULL;
    struct ares_addr6ttl *ttl6 = NULL;
    int n, i, status, r = -1;
    /* A record takes at least 12 bytes of the message (a name pointer,
     * type, class, ttl, length) besides its address. */
    n = alen / 12 + 1;
    if (type == DNS_T_A) {
        ttl4 = (struct ares_addrttl *)calloc((size_t)n, sizeof(*ttl4));
        status = ttl4 ? ares_parse_a_reply(abuf, alen, h, ttl4, &n) : ARES_ENOMEM;
    } else {
        ttl6 = (struct ares_addr6ttl *)calloc((size_t)n, sizeof(*ttl6));
        status = ttl6 ? ares_parse_aaaa_reply(abuf, alen, h, ttl6, &n) : ARES_ENOMEM;
    }
    if (status == ARES_ENOMEM) {
        PyErr_NoMemory();
        goto done;
    }
    if (status == ARES_SUCCESS) {
        if ((*ttls = PyList_New(n)) == NULL)
            goto done;
        for (i = 0; i < n; i++) {
            PyObject *t = PyLong_FromLong(ttl4 ? ttl4[i].ttl : ttl6[i].ttl);
            if (t == NULL)
                goto done;
            PyList_SET_ITEM(*ttls, i, t);
        }
    }
    r = 0;
done:
    free(ttl4);
    free(ttl6);
    return r;
}

/* 1 when c-ares can ask `name` (ares_create_query takes it); 0 when it
 * cannot: a CNAME target over 255 bytes, or whose label is over 63 bytes
 * once c-ares's escapes are read back (c-ares expands such names from an
 * answer without a complaint, and refuses them as a question); -1 with
 * MemoryError set. */
static int name_askable(const char *name)
{
    unsigned char *query = NULL;
    int len = 0, status = ares_create_query(name, 1, DNS_T_A, 0, 1, &query, &len, 0);
    if (query != NULL)
        ares_free_string(query);
    if (status == ARES_ENOMEM) {
        PyErr_NoMemory();
        return -1;
    }
    return status == ARES_SUCCESS;
}

/* The name the answer's records belong to and, for A and AAAA, the TTL of
 * each address in answer order.  The name is c-ares's canonical name
 * (hostent h_name): the asked name, or the target of the answer's first
 * CNAME; c-ares 1.18 exposes no further hop, so for a chain of several CNAMEs
 * it is not the chain's end.  *name is None when the answer has no CNAME for
 * a type other than A/AAAA (the asked name is meant); *ttls is None when
 * c-ares does not report TTLs for the type.  A name c-ares could not ask
 * (the next hop of the chain) makes the answer malformed: -1 with *st set
 * to ARES_EBADRESP and no exception.  Returns -1 with an exception set on
 * other failures. */
static int answer_owner(int type, const unsigned char *abuf, int alen, PyObject **name,
                        PyObject **ttls, int *st)
{
    struct hostent *h = NULL;
    int r = 0;
    *name = NULL;
    *ttls = NULL;
    if (abuf != NULL && alen > 0) {
        if (type == DNS_T_A || type == DNS_T_AAAA)
            r = address_ttls(type, abuf, alen, &h, ttls);
        else if (type != DNS_T_CNAME)   /* succeeds only with a CNAME chain */
            (void)ares_parse_a_reply(abuf, alen, &h, NULL, NULL);
        if (r == 0 && h != NULL && h->h_name != NULL && type != DNS_T_CNAME) {
            r = name_askable(h->h_name);
            if (r == 0)
                *st = ARES_EBADRESP;
            r = r > 0 && (*name = name_str(h->h_name)) != NULL ? 0 : -1;
        }
    }
    if (h != NULL)
        ares_free_hostent(h);
    if (r < 0) {
        Py_CLEAR(*name);
        Py_CLEAR(*ttls);
        return -1;
    }
    if (*name == NULL)
        *name = idk_newref(Py_None);
    if (*ttls == NULL)
        *ttls = idk_newref(Py_None);
    return 0;
}

/* (name or None, records, ttls or None, (server_ip, port) or None).  An
 * answer without records of the type (NOERROR and no data) has an empty
 * list, as the original's query() had.  NULL with *st the c-ares status
 * (ARES_EBADRESP for a CNAME target c-ares could not ask), or with an
 * exception set and *st ARES_SUCCESS. */
PyObject *idk_dns_parse_full(int type, int status, const unsigned char *abuf, int alen,
                             ares_socket_t fd, int *st)
{
    PyObject *records = NULL, *name, *ttls, *server;
    *st = status;
    if (status == ARES_SUCCESS) {
        records = idk_dns_parse_answer(type, abuf, alen, st);
        if (records == NULL && *st != ARES_ENODATA)
            return NULL;
    } else if (status != ARES_ENODATA) {
        return NULL;
    }
    *st = ARES_SUCCESS;
    if (records == NULL && (records = PyList_New(0)) == NULL)
        return NULL;
    if (answer_owner(type, abuf, alen, &name, &ttls, st) < 0) {
        Py_DECREF(records);
        return NULL;
    }
    if (ttls != Py_None && PyList_GET_SIZE(ttls) != PyList_GET_SIZE(records))
        Py_SETREF(ttls, idk_newref(Py_None));
    server = socket_peer(fd);
    if (server == NULL) {
        Py_DECREF(records);
        Py_DECREF(name);
        Py_DECREF(ttls);
        return NULL;
    }
    return Py_BuildValue("(NNNN)", name, records, ttls, server);
}
