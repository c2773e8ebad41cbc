/* dns_channel.c: one c-ares channel driven by the idiokit loop: each socket
 * c-ares opens is watched by one ev_io, and c-ares's timeouts by one
 * ev_timer; the channels live in a loop client (for fork); and the TCP twin,
 * a channel of its own that a request moves to when its answer over UDP
 * was cut short (dns_query.c).
 *
 * Invariants:
 *  - A socket has exactly one ev_io while c-ares wants it watched (its
 *    sock_state_cb), stopped before c-ares closes it; every active watcher
 *    (sockets and the timer) counts in idk_stats.watchers.
 *  - While requests are outstanding the timer runs, never later than c-ares's
 *    earliest deadline: it is armed from ares_timeout() capped at the base
 *    timeout, and every new try's deadline is at least the base timeout away.
 *    An early wake-up only makes c-ares look at its clock.
 *  - c-ares calls back only from inside ares_query/ares_search/
 *    ares_process_fd/ares_cancel; each such call holds a reference to the
 *    channel (the channel is never destroyed inside a callback) and marks it
 *    busy (never cancelled re-entrantly: the cancel waits until the call
 *    returns).
 *  - A channel made with the package's options ignores TC (c-ares would
 *    switch to a TCP connection shared by all queries to that server); only
 *    a TCP twin speaks TCP, for the one request moved to it.
 *  - After fork(), before the child's first poll, every channel made in
 *    another process is given up in the child (channels_after_fork): its
 *    sockets are the parent's too, so the child stops watching them (it would
 *    read the parent's answers), and its queries fail there with DNSError.
 *    Such a channel raises DNSError when used again.
 */
#include "dns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the live channels (a loop client) -------------------------------------------- */

typedef struct {
    IdkLoopClient base;
    IdkVec channels;      /* DnsChannel*, borrowed */
} DnsChannels;

static void channel_give_up(DnsChannel *ch);

static void channels_init(IdkLoopClient *c)
{
    idk_vec_init(&((DnsChannels *)c)->channels);
}

static void channels_release(IdkLoopClient *c)
{
    idk_vec_free(&((DnsChannels *)c)->channels);
}

static void channels_after_fork(IdkLoopClient *c)
{
    IdkVec *live = &((DnsChannels *)c)->channels;
    Py_ssize_t i, n = live->n;
    DnsChannel **chans;
    if (n == 0)
        return;
    chans = (DnsChannel **)PyMem_Malloc(n * sizeof(DnsChannel *));
    if (chans == NULL)
        return;      /* out of memory: their queries end by their timeouts */
    for (i = 0; i < n; i++) {
        chans[i] = (DnsChannel *)idk_vec_data(live)[i];
        Py_INCREF(chans[i]);  /* giving up may drop the last other reference */
    }
    for (i = 0; i < n; i++) {
        channel_give_up(chans[i]);
        Py_DECREF(chans[i]);
    }
    PyMem_Free(chans);
}

static const IdkLoopClientKind dns_channels_kind = {
    "dns", sizeof(DnsChannels), channels_init, NULL, channels_after_fork, channels_release
};

/* ---- sockets and the timer ------------------------------------------------------- */

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
    idk_dns_channel_settle(ch);
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

void idk_dns_channel_settle(DnsChannel *ch)
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
 * call back every request (ARES_EDESTRUCTION: the query fails with
 * DNSError) and close the child's copies of the sockets. */
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

int idk_dns_channel_usable(DnsChannel *ch)
{
    if (ch->c_inited)
        return 1;
    PyErr_SetString(idk_dns_error,
                    "DNS channel made before os.fork(): make a new one in the child");
    return 0;
}

/* ---- asking --------------------------------------------------------------------------- */

void idk_dns_channel_ask(DnsChannel *ch, const char *name, DnsReq *r)
{
    Py_INCREF(ch);
    ch->c_busy++;
    if (name == NULL || !ch->c_inited)
        idk_dns_query_on_answer(r, name == NULL ? ARES_ENOMEM : ARES_EDESTRUCTION, 0, NULL, 0);
    else
        ares_query(ch->c_ares, name, DNS_C_IN, r->r_type, idk_dns_query_on_answer, r);
    ch->c_busy--;
    idk_dns_channel_settle(ch);
    Py_DECREF(ch);
}

void idk_dns_channel_search(DnsChannel *ch, const char *name, DnsReq *r)
{
    Py_INCREF(ch);
    ch->c_busy++;
    ares_search(ch->c_ares, name, DNS_C_IN, r->r_type, idk_dns_query_on_answer, r);
    ch->c_busy--;
    idk_dns_channel_settle(ch);
    Py_DECREF(ch);
}

/* ---- making and destroying ------------------------------------------------------------ */

/* The base timeout and the search list's options, as c-ares read them. */
static int channel_read_options(DnsChannel *ch)
{
    struct ares_options saved;
    int mask, i;
    ch->c_base_timeout = 5.0;
    if (ares_save_options(ch->c_ares, &saved, &mask) != ARES_SUCCESS)
        return 0;
    if (saved.timeout > 0)
        ch->c_base_timeout = saved.timeout / 1000.0;
    ch->c_ndots = saved.ndots;
    if (saved.ndomains > 0) {
        ch->c_domains = (char **)calloc((size_t)saved.ndomains, sizeof(char *));
        for (i = 0; ch->c_domains != NULL && i < saved.ndomains; i++) {
            if ((ch->c_domains[i] = strdup(saved.domains[i])) == NULL)
                break;
            ch->c_ndomains = i + 1;
        }
    }
    ares_destroy_options(&saved);
    if (saved.ndomains > 0 && ch->c_ndomains != saved.ndomains) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

DnsChannel *idk_dns_channel_make(PyTypeObject *type, struct ares_options *opts, int mask)
{
    DnsChannel *ch;
    DnsChannels *live;
    int status;
    if (idk_loop_get() == NULL)
        return NULL;
    live = (DnsChannels *)idk_loop_client(&dns_channels_kind, 1);
    if (live == NULL)
        return NULL;
    ch = (DnsChannel *)type->tp_alloc(type, 0);
    if (ch == NULL)
        return NULL;
    ev_init(&ch->c_timer, timer_on_expire);
    ch->c_read_fd = ARES_SOCKET_BAD;
    opts->sock_state_cb = sock_state_cb;
    opts->sock_state_cb_data = ch;
    mask |= ARES_OPT_SOCK_STATE_CB;
    status = ares_init_options(&ch->c_ares, opts, mask);
    if (status != ARES_SUCCESS) {
        PyErr_Format(PyExc_OSError, "ares_init_options: %s", ares_strerror(status));
        Py_DECREF(ch);
        return NULL;
    }
    ch->c_inited = 1;
    ch->c_tcp = (opts->flags & ARES_FLAG_USEVC) != 0;
    ch->c_pid = getpid();
    if (idk_vec_push(&live->channels, ch) < 0 || channel_read_options(ch) < 0) {
        Py_DECREF(ch);
        return NULL;
    }
    return ch;
}

/* The twin asks the server that cut the answer (the peer of the socket
 * being read), or all of ch's servers when that is not known. */
static int twin_servers(DnsChannel *twin, DnsChannel *ch)
{
    struct ares_addr_port_node *nodes = NULL, one;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int status;
    memset(&one, 0, sizeof(one));
    if (ch->c_read_fd != ARES_SOCKET_BAD
            && getpeername(ch->c_read_fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            one.family = AF_INET;
            memcpy(&one.addr.addr4, &((struct sockaddr_in *)&ss)->sin_addr, 4);
            one.udp_port = one.tcp_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
            nodes = &one;
        } else if (ss.ss_family == AF_INET6) {
            one.family = AF_INET6;
            memcpy(&one.addr.addr6, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
            one.udp_port = one.tcp_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
            nodes = &one;
        }
    }
    if (nodes == &one)
        status = ares_set_servers_ports(twin->c_ares, nodes);
    else if ((status = ares_get_servers_ports(ch->c_ares, &nodes)) == ARES_SUCCESS) {
        status = ares_set_servers_ports(twin->c_ares, nodes);
        ares_free_data(nodes);
    }
    if (status != ARES_SUCCESS) {
        PyErr_Format(PyExc_OSError, "ares_set_servers_ports: %s", ares_strerror(status));
        return -1;
    }
    return 0;
}

DnsChannel *idk_dns_channel_tcp_twin(DnsChannel *ch)
{
    struct ares_options opts;
    int mask;
    DnsChannel *twin;
    if (ares_save_options(ch->c_ares, &opts, &mask) != ARES_SUCCESS)
        return (DnsChannel *)PyErr_NoMemory();
    opts.flags = (opts.flags | ARES_FLAG_USEVC) & ~ARES_FLAG_IGNTC;
    mask = (mask | ARES_OPT_FLAGS) & ~ARES_OPT_SERVERS;
    twin = idk_dns_channel_make(Py_TYPE(ch), &opts, mask);
    ares_destroy_options(&opts);
    if (twin != NULL && twin_servers(twin, ch) < 0)
        Py_CLEAR(twin);
    return twin;
}

void idk_dns_channel_destroy(DnsChannel *ch)
{
    DnsChannels *live = (DnsChannels *)idk_loop_client(&dns_channels_kind, 0);
    int i;
    if (ch->c_inited) {
        ch->c_busy++;
        ares_destroy(ch->c_ares);    /* closes its sockets: sock_state_cb unwatches */
        ch->c_inited = 0;
    }
    channel_unwatch_socks(ch);
    timer_stop(ch);
    if (live != NULL)
        idk_vec_remove(&live->channels, ch);
    for (i = 0; i < ch->c_ndomains; i++)
        free(ch->c_domains[i]);
    free(ch->c_domains);
    ch->c_domains = NULL;
    ch->c_ndomains = 0;
}
