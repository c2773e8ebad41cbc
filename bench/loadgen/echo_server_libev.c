#define _GNU_SOURCE
/* echo_server_libev.c: the reference TCP echo server in plain C on libev, non-blocking
 * throughout.  Each connection has one read and one write watcher and a pending buffer:
 * it reads, writes back at once, and on a short write keeps the rest, stops reading and
 * waits for writability (so a slow reader only ever costs its own connection).
 * usage: echo_server_libev  (prints the {"ready": true, "port": P} line, serves until killed) */
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <stddef.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSIZE (1 << 18)

typedef struct {
    ev_io r, w;
    size_t off, len;  /* pending bytes are buf[off, len) */
    char buf[BUFSIZE];
} Conn;

static void conn_close(struct ev_loop *loop, Conn *c)
{
    ev_io_stop(loop, &c->r);
    ev_io_stop(loop, &c->w);
    close(c->r.fd);
    free(c);
}

/* Write the pending bytes; 1 when all are out, 0 when the socket is full, -1 on error. */
static int flush_pending(Conn *c)
{
    while (c->off < c->len) {
        ssize_t k = send(c->r.fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
        if (k < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        c->off += (size_t)k;
    }
    c->off = c->len = 0;
    return 1;
}

static void on_write(struct ev_loop *loop, ev_io *w, int revents)
{
    Conn *c = (Conn *)((char *)w - offsetof(Conn, w));
    int rc = flush_pending(c);
    (void)revents;
    if (rc < 0) { conn_close(loop, c); return; }
    if (rc > 0) { ev_io_stop(loop, &c->w); ev_io_start(loop, &c->r); }
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents)
{
    Conn *c = (Conn *)w;
    ssize_t n = recv(w->fd, c->buf, BUFSIZE, 0);
    int rc;
    (void)revents;
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) { conn_close(loop, c); return; }
    c->off = 0; c->len = (size_t)n;
    rc = flush_pending(c);
    if (rc < 0) { conn_close(loop, c); return; }
    if (rc == 0) { ev_io_stop(loop, &c->r); ev_io_start(loop, &c->w); }
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    int one = 1, fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK);
    Conn *c;
    (void)revents;
    if (fd < 0) return;
    c = malloc(sizeof(Conn));
    if (!c) { close(fd); return; }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->off = c->len = 0;
    ev_io_init(&c->r, on_read, fd, EV_READ);
    ev_io_init(&c->w, on_write, fd, EV_WRITE);
    ev_io_start(loop, &c->r);
}

int main(void)
{
    struct ev_loop *loop = ev_default_loop(EVBACKEND_EPOLL);
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ev_io lw;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET; sa.sin_addr.s_addr = htonl(0x7f000001);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1024) < 0) { perror("listen"); return 1; }
    getsockname(fd, (struct sockaddr *)&sa, &len);
    printf("{\"ready\": true, \"port\": %d}\n", ntohs(sa.sin_port));
    fflush(stdout);
    ev_io_init(&lw, on_accept, fd, EV_READ);
    ev_io_start(loop, &lw);
    ev_run(loop, 0);
    return 0;
}
