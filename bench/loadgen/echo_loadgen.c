/* echo_loadgen.c: TCP echo load generator (epoll, non-blocking).  CONNS
 * connections to 127.0.0.1:PORT; each sends SIZE bytes, waits for the whole
 * echo, repeats, for SECONDS.  Prints one JSON line: requests/s and p50/p99
 * latency (us).  Exits non-zero if a peer closes, resets or echoes a wrong byte.
 * usage: echo_loadgen --port P --size BYTES --conns N --seconds S
 *        (the --key value form bench/lib/cells.py passes; any order) */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct { int fd; size_t sent, got; double start; int want_out; } Conn;

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

/* Push what is left of this request; watch EPOLLOUT only while the socket is full. */
static int pump(Conn *c, unsigned idx)
{
    while (c->sent < size) {
        ssize_t k = send(c->fd, buf + c->sent, size - c->sent, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EAGAIN) break;
            perror("send");
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

int main(int argc, char **argv)
{
    int port = 0, conns = 0, i, one = 1;
    size_t nlat = 0, caplat = 1 << 21, rcap = 1 << 20;
    double seconds = 0, t0, end;
    char *rbuf;
    float *lat;
    Conn *cs;
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
    for (i = 0; i < conns; i++) {
        struct epoll_event ev;
        cs[i].fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(cs[i].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) { perror("connect"); return 1; }
        setsockopt(cs[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        fcntl(cs[i].fd, F_SETFL, fcntl(cs[i].fd, F_GETFL) | O_NONBLOCK);
        ev.events = EPOLLIN; ev.data.u32 = (unsigned)i;
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    }
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
            if (evs[k].events & EPOLLOUT && pump(c, idx) < 0) return 1;
            if (!(evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) continue;
            for (;;) {
                ssize_t r = recv(c->fd, rbuf, rcap, 0);
                if (r < 0 && errno == EAGAIN) break;
                if (r <= 0) { fprintf(stderr, "peer closed or failed: %s\n", r ? strerror(errno) : "EOF"); return 1; }
                if (c->got + (size_t)r > c->sent || rbuf[0] != buf[c->got] || rbuf[r - 1] != buf[c->got + r - 1]) {
                    fprintf(stderr, "wrong echo\n");
                    return 1;
                }
                c->got += (size_t)r;
                if (c->got == size) {
                    double t = now();
                    if (nlat < caplat) lat[nlat] = (float)((t - c->start) * 1e6);
                    nlat++;
                    c->got = c->sent = 0; c->start = t;
                    if (t < end && pump(c, idx) < 0) return 1;
                    break;
                }
            }
        }
    }
    {
        double el = now() - t0;
        size_t m = nlat < caplat ? nlat : caplat;
        qsort(lat, m, sizeof(float), cmp);
        printf("{\"rate\": %.1f, \"requests\": %zu, \"seconds\": %.3f, \"p50_us\": %.1f, \"p99_us\": %.1f}\n",
               nlat / el, nlat, el, m ? lat[m / 2] : 0.0, m ? lat[(size_t)(m * 0.99)] : 0.0);
    }
    return 0;
}
