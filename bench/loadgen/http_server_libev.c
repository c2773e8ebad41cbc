#define _GNU_SOURCE
/* http_server_libev.c: the reference HTTP/1.1 server in plain C on libev + llhttp (the
 * system's, as idiokit uses).  Each connection has a read watcher, an llhttp parser and an
 * output buffer: every complete request appends the fixed hello-world response, and the
 * buffer is written after each read (pipelined requests go out in one write).  Keep-alive
 * as llhttp_should_keep_alive says.  A short write waits for writability.
 * usage: http_server_libev  (prints {"ready": true, "port": P}, serves until killed) */
#include <errno.h>
#include <ev.h>
#include <llhttp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define INBUF (1 << 16)
#define OUTBUF (1 << 18)

static const char RESPONSE[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 13\r\n\r\nHello, World!";

typedef struct {
    ev_io r, w;
    llhttp_t parser;
    int closing;
    size_t off, len;
    char out[OUTBUF];
} Conn;

static llhttp_settings_t settings;

static void conn_close(struct ev_loop *loop, Conn *c)
{
    ev_io_stop(loop, &c->r);
    ev_io_stop(loop, &c->w);
    close(c->r.fd);
    free(c);
}

static int on_message_complete(llhttp_t *p)
{
    Conn *c = p->data;
    if (c->len + sizeof(RESPONSE) - 1 > OUTBUF)
        return -1;
    memcpy(c->out + c->len, RESPONSE, sizeof(RESPONSE) - 1);
    c->len += sizeof(RESPONSE) - 1;
    if (!llhttp_should_keep_alive(p))
        c->closing = 1;
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

static void after_flush(struct ev_loop *loop, Conn *c, int rc)
{
    if (rc < 0 || (rc == 1 && c->closing)) {
        conn_close(loop, c);
    } else if (rc == 0) {
        ev_io_stop(loop, &c->r);
        ev_io_start(loop, &c->w);
    } else {
        ev_io_stop(loop, &c->w);
        ev_io_start(loop, &c->r);
    }
}

static void on_write(struct ev_loop *loop, ev_io *w, int revents)
{
    Conn *c = (Conn *)((char *)w - offsetof(Conn, w));
    (void)revents;
    after_flush(loop, c, flush_out(c));
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents)
{
    Conn *c = (Conn *)((char *)w - offsetof(Conn, r));
    char buf[INBUF];
    ssize_t n = recv(w->fd, buf, sizeof(buf), 0);
    (void)revents;
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0 || llhttp_execute(&c->parser, buf, (size_t)n) != HPE_OK) {
        conn_close(loop, c);
        return;
    }
    after_flush(loop, c, flush_out(c));
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
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
        ev_io_start(loop, &c->r);
    }
}

int main(void)
{
    struct ev_loop *loop = EV_DEFAULT;
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ev_io acceptor;
    llhttp_settings_init(&settings);
    settings.on_message_complete = on_message_complete;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1024) < 0
            || getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
        perror("http_server_libev");
        return 1;
    }
    printf("{\"ready\": true, \"port\": %d}\n", ntohs(addr.sin_port));
    fflush(stdout);
    ev_io_init(&acceptor, on_accept, fd, EV_READ);
    ev_io_start(loop, &acceptor);
    ev_run(loop, 0);
    return 0;
}
