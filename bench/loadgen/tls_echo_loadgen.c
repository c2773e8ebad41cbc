/* tls_echo_loadgen.c: TLS echo load generator (OpenSSL, epoll, non-blocking).
 * CONNS connections to 127.0.0.1:PORT, each with its TLS handshake done
 * (blocking) before the clock starts; then each sends SIZE bytes through TLS,
 * waits for the whole echo, repeats, for SECONDS.  Prints one JSON line:
 * requests/s, p50/p99 latency (us), and the protocol and cipher the server
 * chose.  The client offers only TLS 1.3 with TLS_AES_128_GCM_SHA256 and
 * X25519, so every server runs the same protocol, cipher and key exchange;
 * it does not verify the server's certificate (the handshakes are not timed).
 * Exits non-zero if a peer closes, resets or echoes a wrong byte.
 * usage: tls_echo_loadgen --port P --size BYTES --conns N --seconds S */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct { int fd; SSL *ssl; size_t sent, got; double start; int want_out; } Conn;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static int ep;
static char *buf;
static size_t size;

static void fail(const char *what)
{
    fprintf(stderr, "%s failed: ", what);
    ERR_print_errors_fp(stderr);
    fprintf(stderr, "(errno %s)\n", strerror(errno));
}

/* Push what is left of this request; watch EPOLLOUT only while the socket is full. */
static int pump(Conn *c, unsigned idx)
{
    while (c->sent < size) {
        int k = SSL_write(c->ssl, buf + c->sent, (int)(size - c->sent));
        if (k <= 0) {
            int e = SSL_get_error(c->ssl, k);
            if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) break;
            fail("SSL_write");
            return -1;
        }
        c->sent += (size_t)k;
    }
    if ((c->sent < size) != c->want_out) {
        struct epoll_event ev;
        c->want_out = c->sent < size;
        ev.events = EPOLLIN | (c->want_out ? EPOLLOUT : 0);
        ev.data.u32 = idx;
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
    return 0;
}

/* Read what TLS gives; 1 when the request's echo is complete, 0 when more
 * is to come, -1 on error. */
static int drain(Conn *c, char *rbuf, size_t rcap)
{
    for (;;) {
        int r = SSL_read(c->ssl, rbuf, (int)rcap);
        if (r <= 0) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
            fail("SSL_read (peer closed or failed)");
            return -1;
        }
        if (c->got + (size_t)r > c->sent || rbuf[0] != buf[c->got] ||
                rbuf[r - 1] != buf[c->got + r - 1]) {
            fprintf(stderr, "wrong echo\n");
            return -1;
        }
        c->got += (size_t)r;
        if (c->got == size) return 1;
    }
}

static SSL_CTX *client_context(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION)
            || !SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256")
            || !SSL_CTX_set1_groups_list(ctx, "X25519")) {
        fail("SSL_CTX setup");
        exit(1);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return ctx;
}

static int open_conn(Conn *c, SSL_CTX *ctx, struct sockaddr_in *sa, unsigned idx)
{
    struct epoll_event ev;
    int one = 1;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c->fd, (struct sockaddr *)sa, sizeof(*sa)) < 0) { perror("connect"); return -1; }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->ssl = SSL_new(ctx);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, "localhost");
    if (SSL_connect(c->ssl) != 1) { fail("SSL_connect"); return -1; }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    ev.events = EPOLLIN; ev.data.u32 = idx;
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    return 0;
}

int main(int argc, char **argv)
{
    int port = 0, conns = 0, i;
    size_t nlat = 0, caplat = 1 << 21, rcap = 1 << 18;
    double seconds = 0, t0, end;
    char *rbuf;
    float *lat;
    Conn *cs;
    SSL_CTX *ctx;
    struct sockaddr_in sa;
    for (i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--size")) size = (size_t)atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--conns")) conns = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    if (i != argc || port <= 0 || size == 0 || conns <= 0 || seconds <= 0) {
        fprintf(stderr, "usage: %s --port P --size BYTES --conns N --seconds S\n", argv[0]);
        return 2;
    }
    buf = malloc(size); rbuf = malloc(rcap); lat = malloc(caplat * sizeof(float));
    cs = calloc(conns, sizeof(Conn));
    if (!buf || !rbuf || !lat || !cs) { perror("malloc"); return 1; }
    for (i = 0; i < (int)size; i++) buf[i] = (char)('a' + i % 26);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET; sa.sin_port = htons(port); sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ep = epoll_create1(0);
    ctx = client_context();
    for (i = 0; i < conns; i++)
        if (open_conn(&cs[i], ctx, &sa, (unsigned)i) < 0) return 1;
    t0 = now(); end = t0 + seconds;
    for (i = 0; i < conns; i++) {
        cs[i].start = now();
        if (pump(&cs[i], (unsigned)i) < 0) return 1;
    }
    while (now() < end) {
        struct epoll_event evs[256];
        int n = epoll_wait(ep, evs, 256, 100), k;
        for (k = 0; k < n; k++) {
            unsigned idx = evs[k].data.u32;
            Conn *c = &cs[idx];
            int rc;
            if (evs[k].events & EPOLLOUT && pump(c, idx) < 0) return 1;
            if (!(evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) continue;
            rc = drain(c, rbuf, rcap);
            if (rc < 0) return 1;
            if (rc > 0) {
                double t = now();
                if (nlat < caplat) lat[nlat] = (float)((t - c->start) * 1e6);
                nlat++;
                c->got = c->sent = 0; c->start = t;
                if (t < end && pump(c, idx) < 0) return 1;
            }
        }
    }
    {
        double el = now() - t0;
        size_t m = nlat < caplat ? nlat : caplat;
        qsort(lat, m, sizeof(float), cmp);
        printf("{\"rate\": %.1f, \"requests\": %zu, \"seconds\": %.3f, \"p50_us\": %.1f, "
               "\"p99_us\": %.1f, \"protocol\": \"%s\", \"cipher\": \"%s\"}\n",
               nlat / el, nlat, el, m ? lat[m / 2] : 0.0, m ? lat[(size_t)(m * 0.99)] : 0.0,
               SSL_get_version(cs[0].ssl), SSL_get_cipher_name(cs[0].ssl));
    }
    return 0;
}
