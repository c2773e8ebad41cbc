#define _GNU_SOURCE
/* echo_server_libev.c: the reference TCP echo server in plain C on libev:
 * one read watcher per connection; reads and writes back at once (blocking
 * fallback on the rare short write).  usage: echo_server_libev  (prints the
 * {"ready": true, "port": P} line, serves until killed) */
#include <ev.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>

static char buf[1 << 18];

static void on_read(struct ev_loop *loop, ev_io *w, int revents)
{
    ssize_t n = recv(w->fd, buf, sizeof(buf), 0), off = 0;
    (void)revents;
    if (n <= 0) {
        if (n < 0 && errno == EAGAIN) return;
        ev_io_stop(loop, w); close(w->fd); free(w); return;
    }
    while (off < n) {
        ssize_t k = send(w->fd, buf + off, n - off, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EAGAIN) { fd_set s; FD_ZERO(&s); FD_SET(w->fd, &s); select(w->fd + 1, NULL, &s, NULL, NULL); continue; }
            ev_io_stop(loop, w); close(w->fd); free(w); return;
        }
        off += k;
    }
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK);
    ev_io *c;
    (void)revents;
    if (fd < 0) return;
    c = malloc(sizeof(ev_io));
    ev_io_init(c, on_read, fd, EV_READ);
    ev_io_start(loop, c);
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
