/* echo_loadgen.c: TCP echo load generator (epoll).  N connections to
 * 127.0.0.1:PORT; each sends SIZE bytes, waits for the whole echo, repeats,
 * for SECONDS.  Prints one JSON line: requests/s and p50/p99 latency (us).
 * usage: echo_loadgen PORT SIZE CONNS SECONDS */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct { int fd; size_t sent, got; double start; } Conn;

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

int main(int argc, char **argv)
{
    int port, conns, i, ep, one = 1;
    size_t size, nlat = 0, caplat = 1 << 20;
    double seconds, t0, end;
    char *buf, *rbuf;
    float *lat;
    Conn *cs;
    struct sockaddr_in sa;
    if (argc != 5) {
        fprintf(stderr, "usage: %s PORT SIZE CONNS SECONDS\n", argv[0]);
        return 2;
    }
    port = atoi(argv[1]); size = (size_t)atol(argv[2]); conns = atoi(argv[3]); seconds = atof(argv[4]);
    buf = malloc(size); rbuf = malloc(1 << 20); lat = malloc(caplat * sizeof(float));
    cs = calloc(conns, sizeof(Conn));
    memset(buf, 'x', size);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET; sa.sin_port = htons(port); sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ep = epoll_create1(0);
    for (i = 0; i < conns; i++) {
        struct epoll_event ev;
        cs[i].fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(cs[i].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) { perror("connect"); return 1; }
        setsockopt(cs[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        ev.events = EPOLLIN; ev.data.u32 = i;
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    }
    t0 = now(); end = t0 + seconds;
    for (i = 0; i < conns; i++) {   /* blocking send: SIZE fits the socket buffers */
        cs[i].start = now();
        if (send(cs[i].fd, buf, size, 0) != (ssize_t)size) { perror("send"); return 1; }
    }
    while (now() < end) {
        struct epoll_event evs[256];
        int n = epoll_wait(ep, evs, 256, 100), k;
        for (k = 0; k < n; k++) {
            Conn *c = &cs[evs[k].data.u32];
            ssize_t r = recv(c->fd, rbuf, 1 << 20, 0);
            if (r <= 0) { if (r < 0 && errno == EAGAIN) continue; fprintf(stderr, "peer closed\n"); return 1; }
            c->got += r;
            if (c->got >= size) {
                double t = now();
                if (nlat < caplat) lat[nlat] = (float)((t - c->start) * 1e6);
                nlat++;
                c->got = 0; c->start = t;
                if (t < end && send(c->fd, buf, size, 0) != (ssize_t)size) { perror("send"); return 1; }
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
