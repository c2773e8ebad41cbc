#define _GNU_SOURCE
/* tls_echo_server_libev.c: the reference TLS echo server in plain C on libev +
 * OpenSSL, non-blocking throughout.  Each connection has one read and one
 * write watcher (one of them active at a time), an SSL object and a pending
 * buffer: it finishes the handshake, then reads every record OpenSSL has,
 * writing each read back at once; whenever OpenSSL wants the other readiness
 * (a write that must wait, a read that must write) it switches watchers.
 * usage: tls_echo_server_libev CERT KEY  (prints {"ready": true, "port": P},
 * serves until killed) */
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSIZE (1 << 18)

typedef struct {
    ev_io r, w;
    SSL *ssl;
    int ready;        /* handshake done */
    size_t off, len;  /* pending bytes are buf[off, len) */
    char buf[BUFSIZE];
} Conn;

static SSL_CTX *ctx;

static void conn_close(struct ev_loop *loop, Conn *c)
{
    ev_io_stop(loop, &c->r);
    ev_io_stop(loop, &c->w);
    SSL_free(c->ssl);
    close(c->r.fd);
    free(c);
}

/* Wait for the readiness OpenSSL asked for (error e); -1 if e is a failure. */
static int want(struct ev_loop *loop, Conn *c, int e)
{
    if (e == SSL_ERROR_WANT_READ) {
        ev_io_stop(loop, &c->w);
        ev_io_start(loop, &c->r);
        return 0;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        ev_io_stop(loop, &c->r);
        ev_io_start(loop, &c->w);
        return 0;
    }
    return -1;
}

/* Write the pending bytes: 1 when all are out, 0 when waiting, -1 on error. */
static int flush_pending(struct ev_loop *loop, Conn *c)
{
    while (c->off < c->len) {
        int k = SSL_write(c->ssl, c->buf + c->off, (int)(c->len - c->off));
        if (k <= 0)
            return want(loop, c, SSL_get_error(c->ssl, k));
        c->off += (size_t)k;
    }
    c->off = c->len = 0;
    return 1;
}

static void step(struct ev_loop *loop, Conn *c)
{
    int rc;
    if (!c->ready) {
        int r = SSL_accept(c->ssl);
        if (r != 1) {
            if (want(loop, c, SSL_get_error(c->ssl, r)) < 0)
                conn_close(loop, c);
            return;
        }
        c->ready = 1;
    }
    if ((rc = flush_pending(loop, c)) <= 0) {
        if (rc < 0)
            conn_close(loop, c);
        return;
    }
    for (;;) {
        int n = SSL_read(c->ssl, c->buf, BUFSIZE);
        if (n <= 0) {
            if (want(loop, c, SSL_get_error(c->ssl, n)) < 0)
                conn_close(loop, c);
            return;
        }
        c->off = 0;
        c->len = (size_t)n;
        if ((rc = flush_pending(loop, c)) <= 0) {
            if (rc < 0)
                conn_close(loop, c);
            return;
        }
    }
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    step(loop, (Conn *)w);
}

static void on_write(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    step(loop, (Conn *)((char *)w - offsetof(Conn, w)));
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    int one = 1, fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK);
    Conn *c;
    (void)revents;
    if (fd < 0) return;
    c = malloc(sizeof(Conn));
    if (!c || !(c->ssl = SSL_new(ctx))) { free(c); close(fd); return; }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    SSL_set_fd(c->ssl, fd);
    c->ready = 0;
    c->off = c->len = 0;
    ev_io_init(&c->r, on_read, fd, EV_READ);
    ev_io_init(&c->w, on_write, fd, EV_WRITE);
    ev_io_start(loop, &c->r);
}

int main(int argc, char **argv)
{
    struct ev_loop *loop = ev_default_loop(EVBACKEND_EPOLL);
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int one = 1, fd;
    ev_io lw;
    if (argc != 3) { fprintf(stderr, "usage: %s CERT KEY\n", argv[0]); return 2; }
    ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, argv[1]) != 1
            || SSL_CTX_use_PrivateKey_file(ctx, argv[2], SSL_FILETYPE_PEM) != 1) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
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
