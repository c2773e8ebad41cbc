/* tests/reliability/fault/shim.c: a syscall fault injector, preloaded (LD_PRELOAD) into
 * a test's child process by tests/reliability/test_faults.py, which builds it with gcc.
 *
 * Owns: wrappers of accept, accept4, socket, connect, send, sendto, sendmsg,
 * recv, recvfrom, epoll_ctl, epoll_wait and pthread_create that call the
 * real function (dlsym RTLD_NEXT) unless a rule says to fail this call.
 *
 * Rules are set from Python through ctypes:
 *   idk_fault_set(name, errno, skip, count, fd)
 * makes the next `count` calls of `name` (after `skip` calls that go
 * through) fail with `errno`, on any fd (fd = -1) or only that fd; count -1
 * fails every call until idk_fault_clear(name).  idk_fault_hits(name) says
 * how many calls were failed.  A failed call does nothing and returns -1 with
 * errno set (pthread_create returns the error number), as the kernel would.
 *
 * Invariants: one mutex guards the rule table; the real functions are
 * resolved once; a name not in the table is refused (returns -1).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

enum { F_ACCEPT, F_ACCEPT4, F_SOCKET, F_CONNECT, F_SEND, F_SENDTO, F_SENDMSG, F_RECV,
       F_RECVFROM, F_EPOLL_CTL, F_EPOLL_WAIT, F_PTHREAD_CREATE, F_COUNT };

static const char *names[F_COUNT] = {
    "accept", "accept4", "socket", "connect", "send", "sendto", "sendmsg", "recv",
    "recvfrom", "epoll_ctl", "epoll_wait", "pthread_create"};

struct rule {
    int err, skip, count, fd;
    long hits;
};

static struct rule rules[F_COUNT];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int index_of(const char *name)
{
    int i;
    for (i = 0; i < F_COUNT; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

int idk_fault_set(const char *name, int err, int skip, int count, int fd)
{
    int i = index_of(name);
    if (i < 0)
        return -1;
    pthread_mutex_lock(&lock);
    rules[i].err = err;
    rules[i].skip = skip;
    rules[i].count = count;
    rules[i].fd = fd;
    rules[i].hits = 0;
    pthread_mutex_unlock(&lock);
    return 0;
}

int idk_fault_clear(const char *name)
{
    return idk_fault_set(name, 0, 0, 0, -1);
}

long idk_fault_hits(const char *name)
{
    int i = index_of(name);
    long hits;
    if (i < 0)
        return -1;
    pthread_mutex_lock(&lock);
    hits = rules[i].hits;
    pthread_mutex_unlock(&lock);
    return hits;
}

/* The errno to fail this call with, or 0 to let it through. */
static int fault(int i, int fd)
{
    int err = 0;
    pthread_mutex_lock(&lock);
    if (rules[i].count != 0 && (rules[i].fd < 0 || rules[i].fd == fd)) {
        if (rules[i].skip > 0) {
            rules[i].skip--;
        } else {
            err = rules[i].err;
            rules[i].hits++;
            if (rules[i].count > 0)
                rules[i].count--;
        }
    }
    pthread_mutex_unlock(&lock);
    return err;
}

#define REAL(type, name, args) \
    static type (*real) args; \
    if (real == NULL) \
        real = (type (*) args)dlsym(RTLD_NEXT, #name)

#define FAIL_OR(i, fd, value) \
    do { \
        int err_ = fault((i), (fd)); \
        if (err_ != 0) { \
            errno = err_; \
            return (value); \
        } \
    } while (0)

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    REAL(int, accept, (int, struct sockaddr *, socklen_t *));
    FAIL_OR(F_ACCEPT, fd, -1);
    return real(fd, addr, len);
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    REAL(int, accept4, (int, struct sockaddr *, socklen_t *, int));
    FAIL_OR(F_ACCEPT4, fd, -1);
    return real(fd, addr, len, flags);
}

int socket(int domain, int type, int protocol)
{
    REAL(int, socket, (int, int, int));
    FAIL_OR(F_SOCKET, -1, -1);
    return real(domain, type, protocol);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    REAL(int, connect, (int, const struct sockaddr *, socklen_t));
    FAIL_OR(F_CONNECT, fd, -1);
    return real(fd, addr, len);
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    REAL(ssize_t, send, (int, const void *, size_t, int));
    FAIL_OR(F_SEND, fd, -1);
    return real(fd, buf, n, flags);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
               socklen_t len)
{
    REAL(ssize_t, sendto, (int, const void *, size_t, int, const struct sockaddr *, socklen_t));
    FAIL_OR(F_SENDTO, fd, -1);
    return real(fd, buf, n, flags, addr, len);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    REAL(ssize_t, sendmsg, (int, const struct msghdr *, int));
    FAIL_OR(F_SENDMSG, fd, -1);
    return real(fd, msg, flags);
}

ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    REAL(ssize_t, recv, (int, void *, size_t, int));
    FAIL_OR(F_RECV, fd, -1);
    return real(fd, buf, n, flags);
}

ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr, socklen_t *len)
{
    REAL(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, socklen_t *));
    FAIL_OR(F_RECVFROM, fd, -1);
    return real(fd, buf, n, flags, addr, len);
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
    REAL(int, epoll_ctl, (int, int, int, struct epoll_event *));
    FAIL_OR(F_EPOLL_CTL, fd, -1);
    return real(epfd, op, fd, event);
}

int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout)
{
    REAL(int, epoll_wait, (int, struct epoll_event *, int, int));
    FAIL_OR(F_EPOLL_WAIT, -1, -1);
    return real(epfd, events, max, timeout);
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                   void *arg)
{
    int err;
    REAL(int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *));
    err = fault(F_PTHREAD_CREATE, -1);
    if (err != 0)
        return err;
    return real(thread, attr, start, arg);
}
