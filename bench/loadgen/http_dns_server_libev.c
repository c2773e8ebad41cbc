#define _GNU_SOURCE
/* http_dns_server_libev.c: the reference for the README example (GET /<name> answers the
 * name's IPv4 addresses, one per line) in plain C on libev + llhttp + c-ares, as idiokit
 * uses them.  Each request is one A query (ares_query) to the DNS server on 127.0.0.1:PORT;
 * answers go out in request order, each as one chunked response in one write (status line,
 * transfer-encoding, the chunk and the last chunk), as the uvloop peer writes them.  A name
 * that does not resolve answers an empty 200, as the example does.  c-ares's sockets and
 * timer ride on libev watchers.
 * usage: http_dns_server_libev DNS_PORT  (prints {"ready": true, "port": P}, serves until
 * killed) */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <errno.h>
#include <ev.h>
#include <llhttp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define INBUF (1 << 16)
#define MAXFDS 16

typedef struct Req Req;
typedef struct Conn Conn;

struct Req {
    Conn *conn;             /* NULL once the connection is gone */
    Req *next;
    int done;
    size_t len;
    char body[512];
};

struct Conn {
    ev_io r, w;
    llhttp_t parser;
    int closing, dead, parsing;
    size_t url_len;
    char url[256];
    Req *head, *tail;       /* answers in request order */
    char *out;
    size_t off, len, cap;
};

static llhttp_settings_t settings;
static ares_channel channel;
static struct ev_loop *loop;
static ev_io dns_io[MAXFDS];
static ev_timer dns_timer;

/* ---- c-ares on libev ----------------------------------------------------------- */

static void dns_arm_timer(void)
{
    struct timeval tv, *t = ares_timeout(channel, NULL, &tv);
    ev_timer_stop(loop, &dns_timer);
    if (t != NULL) {
        ev_timer_set(&dns_timer, t->tv_sec + t->tv_usec / 1e6, 0.);
        ev_timer_start(loop, &dns_timer);
    }
}

static void on_dns_io(struct ev_loop *l, ev_io *w, int revents)
{
    (void)l;
    ares_process_fd(channel, revents & EV_READ ? w->fd : ARES_SOCKET_BAD,
                    revents & EV_WRITE ? w->fd : ARES_SOCKET_BAD);
    dns_arm_timer();
}

static void on_dns_timer(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)l;
    (void)w;
    (void)revents;
    ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    dns_arm_timer();
}

static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    int i, free_slot = -1;
    (void)data;
    for (i = 0; i < MAXFDS; i++) {
        if (dns_io[i].fd == fd && ev_is_active(&dns_io[i]))
            break;
        if (free_slot < 0 && !ev_is_active(&dns_io[i]))
            free_slot = i;
    }
    if (i == MAXFDS) {
        if (free_slot < 0 || !(readable || writable))
            return;
        i = free_slot;
    }
    ev_io_stop(loop, &dns_io[i]);
    if (readable || writable) {
        ev_io_set(&dns_io[i], fd, (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0));
        ev_io_start(loop, &dns_io[i]);
    }
}

/* ---- connections ---------------------------------------------------------------- */

static void conn_free(Conn *c)
{
    Req *q = c->head;
    ev_io_stop(loop, &c->r);
    ev_io_stop(loop, &c->w);
    close(c->r.fd);
    for (; q != NULL; q = q->next)
        q->conn = NULL;      /* the query's callback frees it */
    free(c->out);
    free(c);
}

static int out_add(Conn *c, const char *s, size_t n)
{
    if (c->len + n > c->cap) {
        size_t cap = (c->len + n) * 2;
        char *grown = realloc(c->out, cap);
        if (grown == NULL)
            return -1;
        c->out = grown;
        c->cap = cap;
    }
    memcpy(c->out + c->len, s, n);
    c->len += n;
    return 0;
}

/* 1 when everything is written, 0 when the socket is full, -1 on error. */
static int flush_out(Conn *c)
{
    while (c->off < c->len) {
        ssize_t k = send(c->r.fd, c->out + c->off, c->len - c->off, MSG_NOSIGNAL);
        if (k < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        c->off += (size_t)k;
    }
    c->off = c->len = 0;
    return 1;
}

/* Move the finished answers at the head into the output and write them. */
static void pump(Conn *c)
{
    int rc;
    while (c->head != NULL && c->head->done) {
        Req *q = c->head;
        char chunk[600];
        int n = q->len ? snprintf(chunk, sizeof(chunk), "%zx\r\n%.*s\r\n", q->len,
                                  (int)q->len, q->body) : 0;
        static const char head[] = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
        if (out_add(c, head, sizeof(head) - 1) < 0 || out_add(c, chunk, (size_t)n) < 0
                || out_add(c, "0\r\n\r\n", 5) < 0) {
            c->dead = 1;
            break;
        }
        c->head = q->next;
        if (c->head == NULL)
            c->tail = NULL;
        free(q);
    }
    rc = c->dead ? -1 : flush_out(c);
    if (rc < 0 || (rc == 1 && c->closing && c->head == NULL)) {
        if (c->parsing)
            c->dead = 1;        /* on_read frees it after llhttp returns */
        else
            conn_free(c);
    } else if (rc == 0) {
        ev_io_start(loop, &c->w);
    } else {
        ev_io_stop(loop, &c->w);
    }
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    Req *q = arg;
    struct ares_addrttl addrs[16];
    int i, n = 16;
    (void)timeouts;
    if (status == ARES_SUCCESS && ares_parse_a_reply(abuf, alen, NULL, addrs, &n) == ARES_SUCCESS) {
        for (i = 0; i < n && q->len + INET_ADDRSTRLEN + 1 < sizeof(q->body); i++) {
            inet_ntop(AF_INET, &addrs[i].ipaddr, q->body + q->len, INET_ADDRSTRLEN);
            q->len += strlen(q->body + q->len);
            q->body[q->len++] = '\n';
        }
    }
    q->done = 1;
    if (q->conn == NULL)
        free(q);
    else
        pump(q->conn);
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
    Conn *c = p->data;
    if (c->url_len + n >= sizeof(c->url))
        return -1;
    memcpy(c->url + c->url_len, at, n);
    c->url_len += n;
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    Conn *c = p->data;
    Req *q = calloc(1, sizeof(Req));
    char *name = c->url;
    if (q == NULL)
        return -1;
    c->url[c->url_len] = 0;
    c->url_len = 0;
    if (*name == '/')
        name++;
    q->conn = c;
    if (c->tail != NULL)
        c->tail->next = q;
    else
        c->head = q;
    c->tail = q;
    if (!llhttp_should_keep_alive(p))
        c->closing = 1;
    ares_query(channel, name, ns_c_in, ns_t_a, on_answer, q);
    return 0;
}

static void on_write(struct ev_loop *l, ev_io *w, int revents)
{
    (void)l;
    (void)revents;
    pump((Conn *)((char *)w - offsetof(Conn, w)));
}

static void on_read(struct ev_loop *l, ev_io *w, int revents)
{
    Conn *c = (Conn *)((char *)w - offsetof(Conn, r));
    char buf[INBUF];
    ssize_t n = recv(w->fd, buf, sizeof(buf), 0);
    (void)l;
    (void)revents;
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n > 0) {
        c->parsing = 1;
        if (llhttp_execute(&c->parser, buf, (size_t)n) != HPE_OK)
            c->dead = 1;
        c->parsing = 0;
    }
    if (n <= 0 || c->dead) {
        conn_free(c);
        return;
    }
    dns_arm_timer();
}

static void on_accept(struct ev_loop *l, ev_io *w, int revents)
{
    int one = 1;
    (void)revents;
    for (;;) {
        int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK);
        Conn *c;
        if (fd < 0)
            return;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c = calloc(1, sizeof(Conn));
        if (c == NULL) {
            close(fd);
            continue;
        }
        llhttp_init(&c->parser, HTTP_REQUEST, &settings);
        c->parser.data = c;
        ev_io_init(&c->r, on_read, fd, EV_READ);
        ev_io_init(&c->w, on_write, fd, EV_WRITE);
        ev_io_start(l, &c->r);
    }
}

int main(int argc, char **argv)
{
    struct sockaddr_in addr;
    struct ares_options opts;
    struct ares_addr_port_node server;
    socklen_t len = sizeof(addr);
    int one = 1, i, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ev_io acceptor;
    if (argc != 2) {
        fprintf(stderr, "usage: http_dns_server_libev DNS_PORT\n");
        return 2;
    }
    loop = EV_DEFAULT;
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
        return 1;
    memset(&opts, 0, sizeof(opts));
    opts.sock_state_cb = on_sock_state;
    opts.timeout = 500;
    opts.tries = 4;
    opts.ndomains = 0;
    opts.domains = NULL;
    if (ares_init_options(&channel, &opts, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS
                          | ARES_OPT_TRIES | ARES_OPT_DOMAINS) != ARES_SUCCESS)
        return 1;
    memset(&server, 0, sizeof(server));
    server.family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &server.addr.addr4);
    server.udp_port = server.tcp_port = atoi(argv[1]);
    if (ares_set_servers_ports(channel, &server) != ARES_SUCCESS)
        return 1;
    for (i = 0; i < MAXFDS; i++)
        ev_io_init(&dns_io[i], on_dns_io, -1, EV_READ);
    ev_init(&dns_timer, on_dns_timer);
    llhttp_settings_init(&settings);
    settings.on_url = on_url;
    settings.on_message_complete = on_message_complete;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1024) < 0
            || getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
        perror("http_dns_server_libev");
        return 1;
    }
    printf("{\"ready\": true, \"port\": %d}\n", ntohs(addr.sin_port));
    fflush(stdout);
    ev_io_init(&acceptor, on_accept, fd, EV_READ);
    ev_io_start(loop, &acceptor);
    ev_run(loop, 0);
    return 0;
}
