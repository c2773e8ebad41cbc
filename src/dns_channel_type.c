/* dns_channel_type.c: DnsChannel's Python face (idiokit._core.DnsChannel):
 * its options (servers, timeout, tries, ndots, domains, rotate; None takes
 * resolv.conf's), query(), servers(), hosts(), _stats(), and the DNS part
 * of the module: c-ares's library init, the classes (dns_errors.c) and the
 * types.
 *
 * Invariants:
 *  - Arguments are checked here, before c-ares sees them: a bad one is a
 *    TypeError or ValueError, never a half-made channel.
 *  - A query stream is returned only with its request handed to c-ares
 *    (which may already have finished it).
 */
#include "dns.h"
#include "iptext.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

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
    int mask = ARES_OPT_FLAGS;
    char **dnames = NULL;
    DnsChannel *ch;
    Py_ssize_t i;

    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOOOOO:DnsChannel", kwlist, &servers,
                                     &timeout, &tries, &ndots, &domains, &rotate))
        return NULL;
    memset(&opts, 0, sizeof(opts));
    /* An error rcode (SERVFAIL, REFUSED, ...) is the answer, as in the
     * original: ResponseError(rcode) at once, other servers not tried. */
    opts.flags = ARES_FLAG_NOCHECKRESP;
    /* A reply cut short over UDP comes to us (dns_query.c moves its request
     * to a TCP twin), rather than c-ares switching to a TCP connection that
     * every query to that server shares. */
    opts.flags |= ARES_FLAG_IGNTC;
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

    ch = idk_dns_channel_make(type, &opts, mask);
    if (ch != NULL && servers != Py_None && set_servers(ch, servers) < 0)
        Py_CLEAR(ch);
    free(dnames);
    Py_XDECREF(dseq);
    return (PyObject *)ch;
}

static void channel_dealloc(DnsChannel *ch)
{
    idk_dns_channel_destroy(ch);
    Py_TYPE(ch)->tp_free((PyObject *)ch);
}

/* query(name, type, full=False): a DnsQuery stream for the records of `type`
 * of `name`, with search domains applied as resolv.conf says (none for a name
 * ending in a dot).  Only class IN.  With full true the name is asked as it
 * is (no search list) and the stream returns (name or None, records, ttls or
 * None, (server_ip, port) or None). */
static PyObject *channel_query(DnsChannel *ch, PyObject *args)
{
    PyObject *name;
    int type, full = 0;
    DnsQuery *q;
    DnsReq *r;
    if (!PyArg_ParseTuple(args, "Oi|i:query", &name, &type, &full)
            || !idk_dns_channel_usable(ch))
        return NULL;
    if (!idk_dns_type_supported(type)) {
        PyErr_Format(PyExc_ValueError, "unsupported record type %d", type);
        return NULL;
    }
    q = idk_dns_query_new(ch, name, type, full, &r);
    if (q == NULL)
        return NULL;
    idk_dns_query_start(r);
    return (PyObject *)q;
}

/* servers(): the servers as [(ip, port)]. */
static PyObject *channel_servers(DnsChannel *ch, PyObject *unused)
{
    struct ares_addr_port_node *nodes = NULL, *n;
    PyObject *list;
    char buf[IDK_IPTEXT_SIZE];
    int status;
    (void)unused;
    if (!idk_dns_channel_usable(ch))
        return NULL;
    status = ares_get_servers_ports(ch->c_ares, &nodes);
    if (status != ARES_SUCCESS) {
        PyErr_Format(PyExc_OSError, "ares_get_servers_ports: %s", ares_strerror(status));
        return NULL;
    }
    list = PyList_New(0);
    for (n = nodes; list != NULL && n != NULL; n = n->next) {
        if (idk_ip_text(n->family, &n->addr, buf) == NULL)
            continue;
        if (idk_dns_list_append_new(list, Py_BuildValue("(si)", buf, n->udp_port ? n->udp_port : 53)) < 0)
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
    if (!PyArg_ParseTuple(args, "si:hosts", &name, &family) || !idk_dns_channel_usable(ch))
        return NULL;
    status = ares_gethostbyname_file(ch->c_ares, name, family, &h);
    if (status != ARES_SUCCESS)
        Py_RETURN_NONE;
    r = idk_dns_hostent_addrs(h);
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


PyTypeObject DnsChannel_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.DnsChannel",
    .tp_basicsize = sizeof(DnsChannel)
};

int idk_dns_module_init(PyObject *m)
{
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
    if (idk_dns_errors_init(m) < 0 || PyType_Ready(&DnsChannel_Type) < 0
            || idk_dns_query_type_ready() < 0)
        return -1;
    Py_INCREF(&DnsChannel_Type);
    if (PyModule_AddObject(m, "DnsChannel", (PyObject *)&DnsChannel_Type) < 0) {
        Py_DECREF(&DnsChannel_Type);
        return -1;
    }
    return 0;
}
