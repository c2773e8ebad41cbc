/* socket.c: non-blocking socket operations as leaf streams (issue 4).
 *
 * An IoSocket (_core.IoSocket(owner, fd)) holds a non-blocking fd that its
 * `owner` (a stdlib _socket.socket) owns and closes, ONE read and ONE write
 * ev_io watcher for its whole life, and a FIFO of waiting operations per
 * direction.  Each operation (recv, recv_into, send, sendall, accept,
 * connect, and `call` for recvfrom/sendto through the stdlib) is a SocketOp
 * stream: it tries its syscall at once and waits on the watcher only on
 * EAGAIN/EWOULDBLOCK/EINTR/ENOBUFS, under an optional monotonic timeout.
 * SocketOps are hostable leaves (core.h): the one task waiting on an op
 * serves it its channels.  They come from a freelist and stay out of the
 * cyclic GC while they hold nothing that could lead back to them.  Reads
 * copy out of the loop's scratch buffer, except those of a steady size
 * (try_recv_predicted) and other large ones (try_recv_direct).
 *
 * Invariants:
 *  - A direction's watcher is active iff that direction has waiters, except
 *    while its only waiter is a read left for its task's turn
 *    (read_in_next_turn): that read's try starts the watcher if it would
 *    block, and the loop starts it before polling if no task will try.
 *    Every active watcher is counted in idk_stats.watchers.
 *  - A queued op is referenced by the queue (an untraversed reference, like
 *    an active timer's), and holds a reference to its IoSocket.
 *  - A new op joins the queue behind existing waiters instead of trying its
 *    syscall first, so waiters of one direction are served in FIFO order.
 *    A read on a socket whose last read was 8 KiB or more tries in the turn
 *    of the task waiting on it instead of at once (read_in_next_turn).
 *  - A read that got less than it asked for found the socket's buffer empty.
 *    Whether a recv/recv_into started before the loop polls again should try
 *    first is learnt per socket: two tries in a row that fail with EAGAIN
 *    there (the peer has not answered yet: request/response traffic) make
 *    the socket wait for readiness at once after short reads, re-checked by
 *    trying every 32nd time; a try that succeeds (a busy peer) keeps or puts
 *    it back on trying first.  The
 *    level-triggered watcher reports data that came in meanwhile at the next
 *    poll, so waiting loses nothing; timeout=0 always tries.
 *  - An op that is interrupted (throw, timeout, close) leaves the queue before
 *    finishing; recv/recv_into/accept have then consumed nothing, and a
 *    sendall keeps the count of bytes it had sent (op.sent).
 *  - close() wakes every waiter with SocketError(EBADF, "socket is closed"),
 *    stops both watchers, then closes the owner once; later ops fail the same
 *    way.  The fd itself is only ever closed by the owner.
 */
#include "core.h"
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

enum { IO_READ = 0, IO_WRITE = 1 };
enum { OP_RECV, OP_RECV_INTO, OP_SEND, OP_SENDALL, OP_ACCEPT, OP_CONNECT, OP_CALL };

typedef struct IdkIoOp IdkIoOp;

typedef struct {
    PyObject_HEAD
    int fd;
    int closed;
    double timeout;                 /* default timeout of ops, -1 = none */
    PyObject *owner;                /* the stdlib socket owning fd */
    ev_io w[2];
    int active[2];
    IdkIoOp *head[2], *tail[2];     /* waiting ops, one reference each */
    unsigned long drained_at;       /* loop poll count + 1 of the last short read, or 0 */
    Py_ssize_t last_read;           /* bytes the last read got (large: see try_recv_direct) */
    unsigned char read_waits;       /* after a short read: wait rather than try */
    unsigned char read_fails;       /* tries after short reads that failed in a row (to 2) */
    unsigned char read_probe;       /* counts those waits: every 32nd tries anyway */
    unsigned char read_same;        /* reads in a row of last_read's size (to 2) */
    unsigned char byte_stream;      /* SOCK_STREAM: a read may end anywhere in the data */
} IdkIoSock;

struct IdkIoOp {
    IdkInStream base;
    IdkTask *l_host;                /* as IdkLeaf: the task hosting it, or NULL */
    IdkIoSock *sock;                /* owned */
    IdkIoOp *prev, *next;
    int queued;
    int ready_seen;                 /* readiness reported; read in the task's turn */
    int probe;                      /* that read is a try after a short read: learn from it */
    int kind, dir, flags;
    IdkTimer timer;
    PyObject *obj;                  /* send data / buffer owner / callable */
    PyObject *args;                 /* call args, or the accept wrapper */
    PyObject *want[2];              /* call: want_read/want_write classes, or NULL */
    Py_buffer view;
    int has_view;
    Py_ssize_t size, done;
};

PyTypeObject IdkIoSock_Type, IdkIoOp_Type;
static PyObject *sock_error_cls = NULL;    /* idiokit.socket.SocketError */
static PyObject *sock_timeout_cls = NULL;  /* idiokit.socket.SocketTimeout */
static PyObject *sock_convert = NULL;      /* stdlib exception -> ours */


/* ---- errors ------------------------------------------------------------------ */

static int errors_ready(void)
{
    if (sock_error_cls == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "import idiokit.socket first");
        return 0;
    }
    return 1;
}

static PyObject *exc_errno(int err, const char *text)
{
    PyObject *v = PyObject_CallFunction(sock_error_cls, "is", err,
                                        text != NULL ? text : strerror(err));
    PyObject *exc;
    if (v == NULL)
        return idk_exc_fetch();
    exc = idk_exc_from_value(v);
    Py_DECREF(v);
    return exc;
}

static PyObject *exc_timeout(void)
{
    PyObject *v = PyObject_CallFunction(sock_timeout_cls, "s", "timed out");
    PyObject *exc;
    if (v == NULL)
        return idk_exc_fetch();
    exc = idk_exc_from_value(v);
    Py_DECREF(v);
    return exc;
}

/* The current Python error, converted to the idiokit.socket classes. */
static PyObject *exc_fetch_converted(void)
{
    PyObject *exc = idk_exc_fetch(), *conv;
    conv = PyObject_CallFunctionObjArgs(sock_convert, idk_exc_value(exc), NULL);
    if (conv == NULL) {
        PyErr_Clear();
        return exc;
    }
    if (conv != idk_exc_value(exc)) {
        Py_DECREF(exc);
        exc = idk_exc_from_value(conv);
    }
    Py_DECREF(conv);
    return exc;
}

static int errno_would_block(int e)
{
    return e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ENOBUFS;
}

/* Does the current Python error carry a "wait and retry" errno?  Clears it
 * if so. */
static int pyerr_would_block(void)
{
    PyObject *exc = idk_exc_fetch(), *e;
    long code = -1;
    e = PyObject_GetAttrString(idk_exc_value(exc), "errno");
    if (e == NULL)
        PyErr_Clear();
    else if (e != Py_None)
        code = PyLong_AsLong(e);
    Py_XDECREF(e);
    PyErr_Clear();
    if (code >= 0 && errno_would_block((int)code)) {
        Py_DECREF(exc);
        return 1;
    }
    idk_exc_restore(exc);
    Py_DECREF(exc);
    return 0;
}

/* ---- addresses ----------------------------------------------------------------- */

static PyObject *addr_to_py(struct sockaddr *sa, socklen_t len)
{
    char text[INET6_ADDRSTRLEN];
    switch (sa->sa_family) {
    case AF_INET: {
        struct sockaddr_in *in = (struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
        return Py_BuildValue("(si)", text, ntohs(in->sin_port));
    }
    case AF_INET6: {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
        return Py_BuildValue("(siII)", text, ntohs(in6->sin6_port),
                             (unsigned int)ntohl(in6->sin6_flowinfo),
                             (unsigned int)in6->sin6_scope_id);
    }
    case AF_UNIX: {
        struct sockaddr_un *un = (struct sockaddr_un *)sa;
        Py_ssize_t n = (Py_ssize_t)len - (Py_ssize_t)offsetof(struct sockaddr_un, sun_path);
        if (n <= 0)
            return PyBytes_FromStringAndSize("", 0);
        if (un->sun_path[0] == 0)   /* abstract namespace: bytes, as stdlib */
            return PyBytes_FromStringAndSize(un->sun_path, n);
        return IDK_STR_FROM(un->sun_path);
    }
    default:
        return Py_BuildValue("(is)", (int)sa->sa_family, "");
    }
}

/* ---- the queue of waiters and the two watchers ------------------------------------- */

static void sock_watch(IdkIoSock *s, int dir, int on)
{
    if (on && !s->active[dir]) {
        ev_io_start(idk_loop->l_ev, &s->w[dir]);
        s->active[dir] = 1;
        idk_stats.watchers++;
    } else if (!on && s->active[dir]) {
        ev_io_stop(idk_loop->l_ev, &s->w[dir]);
        s->active[dir] = 0;
        idk_stats.watchers--;
    }
}

static void op_enqueue_unwatched(IdkIoOp *op)
{
    IdkIoSock *s = op->sock;
    int d = op->dir;
    Py_INCREF(op);
    op->queued = 1;
    op->next = NULL;
    op->prev = s->tail[d];
    if (s->tail[d] != NULL)
        s->tail[d]->next = op;
    else
        s->head[d] = op;
    s->tail[d] = op;
}

static void op_enqueue(IdkIoOp *op)
{
    op_enqueue_unwatched(op);
    sock_watch(op->sock, op->dir, 1);
}

/* Leave the queue; the queue's reference is dropped (the caller holds one). */
static void op_dequeue(IdkIoOp *op)
{
    IdkIoSock *s = op->sock;
    int d = op->dir;
    if (!op->queued)
        return;
    op->queued = 0;
    if (op->prev != NULL)
        op->prev->next = op->next;
    else
        s->head[d] = op->next;
    if (op->next != NULL)
        op->next->prev = op->prev;
    else
        s->tail[d] = op->prev;
    op->prev = op->next = NULL;
    if (s->head[d] == NULL)
        sock_watch(s, d, 0);
    Py_DECREF(op);
}

/* ---- finishing an op ------------------------------------------------------------------ */

static void op_release(IdkIoOp *op)
{
    if (op->has_view) {
        op->has_view = 0;
        PyBuffer_Release(&op->view);
    }
    Py_CLEAR(op->obj);
    Py_CLEAR(op->args);
    Py_CLEAR(op->want[IO_READ]);
    Py_CLEAR(op->want[IO_WRITE]);
}

/* Bytes, ints and None cannot refer to anything. */
static int value_is_atomic(PyObject *v)
{
    return PyBytes_CheckExact(v) || PyLong_CheckExact(v) || v == Py_None;
}

static int args_are_atomic(PyObject *args)
{
    Py_ssize_t i;
    if (!PyTuple_CheckExact(args))
        return 0;
    for (i = 0; i < PyTuple_GET_SIZE(args); i++) {
        if (!value_is_atomic(PyTuple_GET_ITEM(args, i)))
            return 0;
    }
    return 1;
}

/* How an op finishes: raised (value: the exc), returned args (value: the
 * tuple) or returned one value (value: itself, no tuple; see core.h). */
enum { OP_RAISED, OP_RETURNED_ARGS, OP_RETURNED_ONE };

/* Finish once: leave the queue, stop the timer, drop the buffers, unlink the
 * channels, then set the result.  Steals nothing. */
static void op_finish(IdkIoOp *op, int how, PyObject *value)
{
    IdkStream *s = &op->base.base;
    int atomic;
    if (s->r_state != IDK_PENDING)
        return;
    Py_INCREF(op);
    idk_leaf_unwatch(&op->base);
    op_dequeue(op);
    idk_timer_stop(&op->timer);
    op_release(op);
    atomic = how == OP_RETURNED_ONE ? value_is_atomic(value)
             : how == OP_RETURNED_ARGS && args_are_atomic(value);
    if (s->r_untracked && !atomic) {
        s->r_untracked = 0;     /* an exception, a socket: may lead back to the op */
        PyObject_GC_Track(op);
    }
    idk_in_clear(&op->base);
    if (how == OP_RETURNED_ONE)
        idk_stream_finish1(s, value);
    else
        idk_stream_finish(s, how == OP_RAISED ? IDK_RAISED : IDK_RETURNED, value);
    Py_DECREF(op);
}

static void op_raise(IdkIoOp *op, PyObject *exc)   /* steals exc */
{
    op_finish(op, OP_RAISED, exc);
    Py_DECREF(exc);
}

/* Return value (stolen), or raise the current error if it is NULL.  None is
 * returned as no args, as the original's sockets do. */
static void op_return1(IdkIoOp *op, PyObject *value)
{
    PyObject *args;
    if (value == NULL)
        op_raise(op, idk_exc_fetch());
    else if (value != Py_None)
        op_finish(op, OP_RETURNED_ONE, value);
    else if ((args = PyTuple_New(0)) == NULL)
        op_raise(op, idk_exc_fetch());
    else {
        op_finish(op, OP_RETURNED_ARGS, args);
        Py_DECREF(args);
    }
    Py_XDECREF(value);
}

static void op_raise_errno(IdkIoOp *op, int err, const char *text)
{
    op_raise(op, exc_errno(err, text));
}

static void op_raise_current(IdkIoOp *op)
{
    op_raise(op, exc_fetch_converted());
}

/* ---- the syscalls: 1 = finished (either way), 0 = would block --------------------------- */

static unsigned long loop_polls(void)
{
    return idk_loop != NULL ? idk_loop->l_polls : 0;
}

/* After a successful read of n bytes of the `asked`: a short one drained
 * the socket. */
static void read_done(IdkIoOp *op, ssize_t n, Py_ssize_t asked)
{
    IdkIoSock *s = op->sock;
    s->drained_at = n > 0 && n < asked ? loop_polls() + 1 : 0;
    if (n != s->last_read)
        s->read_same = 0;
    else if (s->read_same < 2)
        s->read_same++;
    s->last_read = n;
}

/* recv(2) with EINTR retried. */
static ssize_t recv_retry(int fd, char *buf, Py_ssize_t size, int flags)
{
    ssize_t n;
    do
        n = recv(fd, buf, size, flags);
    while (n < 0 && errno == EINTR);
    return n;
}

/* A failed read: 0 if it would block, else the op fails (1). */
static int read_failed(IdkIoOp *op, int err)
{
    if (errno_would_block(err))
        return 0;
    op_raise_errno(op, err, NULL);
    return 1;
}

/* A large read: one into a new bytes object makes the heap churn enough for
 * heap.c's setting, and a socket whose last read was large has its reads
 * tried in the reading task's turn (read_in_next_turn). */
#define LARGE_READ_MIN (8 * 1024)

static void bytes_read(IdkIoOp *op, ssize_t n, Py_ssize_t asked)
{
    read_done(op, n, asked);
    if (n >= LARGE_READ_MIN)
        idk_heap_tune_for_large_reads(idk_loop);
}

/* Large reads go straight into the bytes object, sized by FIONREAD: one
 * ioctl instead of copying tens of KiB out of the scratch buffer.  Taken
 * when the socket's last read was large; -1 when not taken (nothing much
 * waiting, or flags), else as try_recv. */
#define RECV_DIRECT_MIN (32 * 1024)

static int try_recv_direct(IdkIoOp *op)
{
    int avail = 0;
    Py_ssize_t want;
    PyObject *bytes;
    ssize_t n;
    if (op->flags != 0 || op->size < RECV_DIRECT_MIN || op->sock->last_read < RECV_DIRECT_MIN
            || ioctl(op->sock->fd, FIONREAD, &avail) < 0 || avail < RECV_DIRECT_MIN)
        return -1;
    want = avail < op->size ? avail : op->size;
    if ((bytes = PyBytes_FromStringAndSize(NULL, want)) == NULL) {
        op_raise_current(op);
        return 1;
    }
    n = recv_retry(op->sock->fd, PyBytes_AS_STRING(bytes), want, 0);
    if (n < 0) {
        int err = errno;
        Py_DECREF(bytes);
        return read_failed(op, err);
    }
    bytes_read(op, n, op->size);
    if (n < want) {          /* the queue shrank: only if someone else read */
        PyObject *part = PyBytes_FromStringAndSize(PyBytes_AS_STRING(bytes), n);
        Py_DECREF(bytes);
        bytes = part;
    }
    op_return1(op, bytes);
    return 1;
}

/* Where a read lands before its bytes object is made: the loop's scratch
 * buffer (made on first use; used with the GIL held), or for reads larger
 * than that a buffer of their own. */
static char *recv_buffer(Py_ssize_t size)
{
    IdkLoop *loop = idk_loop != NULL ? idk_loop : idk_loop_get();
    char *buf;
    if (loop == NULL)
        return NULL;
    if (size > IDK_RECV_BUF_SIZE)
        buf = PyMem_Malloc(size);
    else if (loop->l_recv_buf == NULL)
        buf = loop->l_recv_buf = PyMem_Malloc(IDK_RECV_BUF_SIZE);
    else
        buf = loop->l_recv_buf;
    if (buf == NULL)
        PyErr_NoMemory();
    return buf;
}

static void recv_buffer_done(char *buf)
{
    if (buf != idk_loop->l_recv_buf)
        PyMem_Free(buf);
}

/* When the socket's reads keep getting one size (a protocol's fixed-size
 * messages, an echo), the next read goes straight into a bytes object of
 * that size instead of being copied out of the scratch buffer.  It asks for
 * one byte more, which lands on the object's terminating NUL: a read that
 * fills only the object drained the socket, as a short read does; one that
 * takes the extra byte did not, and its bytes are copied into an object of
 * their size (the rest waits for the next read).  Tried before
 * try_recv_direct: an echo of 100 KiB messages then makes no FIONREAD call.
 * Stream sockets only: a datagram longer than the guess would be cut.  -1
 * when not taken (sizes vary, reads over 256 KiB, flags, datagrams), else
 * as try_recv. */
#define RECV_PREDICT_MAX IDK_RECV_BUF_SIZE

static int try_recv_predicted(IdkIoOp *op)
{
    Py_ssize_t p = op->sock->last_read;
    PyObject *bytes, *sized;
    char *buf;
    ssize_t n;
    if (op->flags != 0 || !op->sock->byte_stream || op->sock->read_same < 2 || p <= 0
            || p > RECV_PREDICT_MAX || op->size <= p)
        return -1;
    if ((bytes = PyBytes_FromStringAndSize(NULL, p)) == NULL) {
        op_raise_current(op);
        return 1;
    }
    buf = PyBytes_AS_STRING(bytes);
    n = recv_retry(op->sock->fd, buf, p + 1, 0);
    if (n < 0) {
        int err = errno;
        Py_DECREF(bytes);
        return read_failed(op, err);
    }
    bytes_read(op, n, p + 1);
    if (n == p) {            /* the extra byte's slot was not written: still NUL */
        op_return1(op, bytes);
        return 1;
    }
    sized = PyBytes_FromStringAndSize(buf, n);
    Py_DECREF(bytes);
    op_return1(op, sized);
    return 1;
}

static int try_recv(IdkIoOp *op)
{
    char *buf;
    ssize_t n;
    int taken = try_recv_predicted(op);
    if (taken < 0)
        taken = try_recv_direct(op);
    if (taken >= 0)
        return taken;
    if ((buf = recv_buffer(op->size)) == NULL) {
        op_raise_current(op);
        return 1;
    }
    n = recv_retry(op->sock->fd, buf, op->size, op->flags);
    if (n < 0) {
        int err = errno;
        recv_buffer_done(buf);
        return read_failed(op, err);
    }
    bytes_read(op, n, op->size);
    op_return1(op, PyBytes_FromStringAndSize(buf, n));
    recv_buffer_done(buf);
    return 1;
}

static int try_recv_into(IdkIoOp *op)
{
    ssize_t n = recv_retry(op->sock->fd, op->view.buf, op->size, op->flags);
    if (n < 0)
        return read_failed(op, errno);
    read_done(op, n, op->size);
    op_return1(op, PyLong_FromSsize_t(n));
    return 1;
}

static int try_send(IdkIoOp *op, int all)
{
    for (;;) {
        ssize_t n = send(op->sock->fd, (char *)op->view.buf + op->done,
                         op->view.len - op->done, op->flags | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno_would_block(errno))
                return 0;
            op_raise_errno(op, errno, NULL);
            return 1;
        }
        op->done += n;
        if (!all) {
            op_return1(op, PyLong_FromSsize_t(n));
            return 1;
        }
        if (op->done >= op->view.len) {
            op_return1(op, idk_newref(Py_None));
            return 1;
        }
    }
}

static int try_accept(IdkIoOp *op)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;
    PyObject *addr, *r;
    for (;;) {
        len = sizeof(ss);
        fd = accept4(op->sock->fd, (struct sockaddr *)&ss, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            break;
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno_would_block(errno))
            return 0;
        op_raise_errno(op, errno, NULL);
        return 1;
    }
    addr = addr_to_py((struct sockaddr *)&ss, len);
    if (addr == NULL) {
        close(fd);
        op_raise_current(op);
        return 1;
    }
    r = PyObject_CallFunction(op->args, "iO", fd, addr);
    Py_DECREF(addr);
    if (r == NULL) {
        close(fd);       /* the wrapper did not take it */
        op_raise_current(op);
        return 1;
    }
    op_return1(op, r);
    return 1;
}

/* connect: op->obj is connect_ex, op->args its args; op->done counts tries. */
static int try_connect(IdkIoOp *op)
{
    PyObject *r;
    long code;
    if (op->done > 0) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(op->sock->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err != 0 && err != EINPROGRESS && err != EALREADY) {
            op_raise_errno(op, err, NULL);
            return 1;
        }
    }
    op->done++;
    r = PyObject_Call(op->obj, op->args, NULL);
    if (r == NULL) {
        op_raise_current(op);
        return 1;
    }
    code = PyLong_AsLong(r);
    Py_DECREF(r);
    if (code == -1 && PyErr_Occurred()) {
        op_raise_current(op);
        return 1;
    }
    if (code == 0 || code == EISCONN) {
        op_return1(op, idk_newref(Py_None));
        return 1;
    }
    if (code == EINPROGRESS || code == EALREADY || errno_would_block((int)code))
        return 0;
    op_raise_errno(op, (int)code, NULL);
    return 1;
}

/* ---- call(..., want_read=, want_write=): BEGIN (issue 17, TLS; replaced by the
 * socket rewrite's own version at merge, same semantics) ----------------------------
 * When func raises an instance of want_read (want_write), the op waits for
 * readability (writability) and retries func in the waiting task's turn: it
 * moves to that direction's queue, behind the ops already waiting there. */

static void op_redirect(IdkIoOp *op, int d)
{
    if (op->dir == d)
        return;
    if (!op->queued) {
        op->dir = d;
        return;
    }
    Py_INCREF(op);
    op_dequeue(op);
    op->dir = d;
    op_enqueue(op);
    Py_DECREF(op);
}

/* Does the current error ask to wait (want_read/want_write)?  Clears it and
 * redirects the op if so. */
static int pyerr_wants(IdkIoOp *op)
{
    int d;
    for (d = IO_READ; d <= IO_WRITE; d++) {
        if (op->want[d] != NULL && PyErr_ExceptionMatches(op->want[d])) {
            PyErr_Clear();
            op_redirect(op, d);
            return 1;
        }
    }
    return 0;
}

/* None -> NULL; else an exception class or a tuple (stored, new reference). */
static int parse_want(PyObject *o, PyObject **out)
{
    *out = NULL;
    if (o == NULL || o == Py_None)
        return 0;
    if (!PyExceptionClass_Check(o) && !PyTuple_Check(o)) {
        PyErr_SetString(PyExc_TypeError,
                        "want_read/want_write must be an exception class, a tuple or None");
        return -1;
    }
    *out = idk_newref(o);
    return 0;
}
/* ---- call(..., want_read=, want_write=): END ----------------------------------------- */

static int try_call(IdkIoOp *op)
{
    PyObject *r = PyObject_Call(op->obj, op->args, NULL);
    if (r == NULL) {
        if (pyerr_wants(op) || pyerr_would_block())
            return 0;
        op_raise_current(op);
        return 1;
    }
    op_return1(op, r);
    return 1;
}

static int op_try(IdkIoOp *op)
{
    switch (op->kind) {
    case OP_RECV: return try_recv(op);
    case OP_RECV_INTO: return try_recv_into(op);
    case OP_SEND: return try_send(op, 0);
    case OP_SENDALL: return try_send(op, 1);
    case OP_ACCEPT: return try_accept(op);
    case OP_CONNECT: return try_connect(op);
    default: return try_call(op);
    }
}

static int op_is_read(IdkIoOp *op)
{
    return op->kind == OP_RECV || op->kind == OP_RECV_INTO;
}

/* A read that may wait (not timeout=0), started after a short read, before
 * the loop polled again. */
static int read_after_short_read(IdkIoOp *op, double timeout)
{
    return op_is_read(op) && timeout != 0.0 && op->sock->drained_at == loop_polls() + 1;
}

/* Whether an op started now tries its syscall first: reads after a short
 * read wait instead once the socket has learnt that such tries fail (see the
 * invariants at the top), and their tries are probes to learn from. */
enum { TRY_NONE, TRY_PLAIN, TRY_PROBE };

static int op_try_mode(IdkIoOp *op, double timeout)
{
    IdkIoSock *s = op->sock;
    if (!read_after_short_read(op, timeout))
        return TRY_PLAIN;
    if (s->read_waits && (++s->read_probe & 31) != 0)
        return TRY_NONE;
    return TRY_PROBE;
}

static void read_learn(IdkIoSock *s, int done)
{
    if (done)
        s->read_fails = s->read_waits = 0;
    else if (s->read_fails < 2 && ++s->read_fails == 2)
        s->read_waits = 1;
}

/* Try the syscall (a probe's outcome is learnt).  1 if the op finished. */
static int op_try_as(IdkIoOp *op, int mode)
{
    int done = op_try(op);
    if (mode == TRY_PROBE)
        read_learn(op->sock, done);
    return done;
}

/* A read that would try first on a socket whose reads are large is tried in
 * the turn of the task that waits on it instead of now.  The task resumes in
 * its next turn either way, and until then every other ready task runs and
 * reads too: data read now would have left the cache by the time the task
 * sends it on (100 KiB x 100 connections: the kernel's copy out of it took
 * five times as long as out of data read in the turn).  The op waits as if
 * the socket were ready (read_in_turn), without the watcher: a task that
 * hosts it schedules itself (op_on_hosted) and starts the watcher only if
 * its try would block; for anything else the loop starts it before its next
 * poll (idk_socket_flush_turn_reads).  1 if the op is left for the turn. */
static int read_in_next_turn(IdkIoOp *op, double timeout, int mode)
{
    if (!op_is_read(op) || timeout == 0.0 || op->sock->last_read < LARGE_READ_MIN
            || idk_loop == NULL
            || idk_vec_push(&idk_loop->l_turn_reads, op) < 0)
        return 0;
    Py_INCREF(op);
    op->ready_seen = 1;
    op->probe = mode == TRY_PROBE;
    return 1;
}

/* Before the loop polls, and when run() returns: reads left for a turn that
 * no scheduled task will take get the watcher, and the list lets go of its
 * ops. */
void idk_socket_flush_turn_reads(IdkLoop *loop)
{
    IdkVec *v = &loop->l_turn_reads;
    int i;
    for (i = 0; i < v->n; i++) {
        IdkIoOp *op = idk_vec_data(v)[i];
        if (op->queued && (op->l_host == NULL || !op->l_host->t_scheduled))
            sock_watch(op->sock, op->dir, 1);
        Py_DECREF(op);
    }
    v->n = 0;
}

/* ---- events: readiness, timeout, interruption -------------------------------------------- */

/* A read that one task waits on is done in that task's turn, not here: when
 * many sockets are ready at once, each task then sends what it read while
 * the data is still in the cache, instead of after every other ready
 * socket's read (100 KiB x 100 connections: the kernel's copies took twice
 * as long).  1 if the op is left for its task's turn. */
static int read_in_turn(IdkIoOp *op)
{
    if (!op_is_read(op) || op->l_host == NULL)
        return 0;
    op->ready_seen = 1;
    if (idk_loop_schedule(op->l_host) < 0) {
        PyErr_Clear();         /* out of memory: read now instead */
        return 0;
    }
    return 1;
}

/* Try a queued op (a deferred read's probe is learnt from). */
static int op_try_pending(IdkIoOp *op)
{
    int mode = op->probe ? TRY_PROBE : TRY_PLAIN;
    op->probe = 0;
    return op_try_as(op, mode);
}

static void op_on_turn(IdkStream *s)
{
    IdkIoOp *op = (IdkIoOp *)s;
    if (s->r_state != IDK_PENDING || !op->ready_seen || op->sock->head[op->dir] != op)
        return;
    op->ready_seen = 0;
    if (!op_try_pending(op))    /* the watcher reports the next readiness */
        sock_watch(op->sock, op->dir, 1);
}

/* Hosted by the task waiting on it: a read left for the task's turn
 * (read_in_next_turn) needs that turn. */
static void op_on_hosted(IdkStream *s)
{
    IdkIoOp *op = (IdkIoOp *)s;
    if (op->ready_seen && idk_loop_schedule(op->l_host) < 0)
        PyErr_Clear();     /* out of memory: read when the loop polls */
}

static void sock_on_ready(struct ev_loop *ev, ev_io *w, int revents)
{
    IdkIoSock *s = (IdkIoSock *)w->data;
    int dir = w == &s->w[IO_READ] ? IO_READ : IO_WRITE;
    (void)ev;
    (void)revents;
    Py_INCREF(s);
    while (s->head[dir] != NULL) {
        IdkIoOp *op = s->head[dir];
        int done;
        if (read_in_turn(op))
            break;
        Py_INCREF(op);
        done = op_try_pending(op);
        Py_DECREF(op);
        if (!done)
            break;
    }
    Py_DECREF(s);
}

static void op_on_timer(PyObject *owner)
{
    IdkIoOp *op = (IdkIoOp *)owner;
    if (op->base.base.r_state == IDK_PENDING)
        op_raise(op, exc_timeout());
}

static void op_on_input(IdkStream *s, int which)
{
    IdkIoOp *op = (IdkIoOp *)s;
    IdkMsg *m;
    (void)which;
    if (s->r_state != IDK_PENDING)
        return;
    m = idk_leaf_take(&op->base, 0);
    if (m == NULL)
        return;
    idk_leaf_unwatch(&op->base);
    Py_INCREF(s);
    op_dequeue(op);          /* cancelled: nothing more is read or written */
    idk_msg_consume(m);
    op_finish(op, OP_RAISED, m->m_payload);
    idk_msg_decref(m);
    Py_DECREF(s);
}

static int op_attach(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    (void)m;
    return idk_in_attach(s, NULL, sig, brk);
}

static void op_detach(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    (void)m;
    idk_in_detach(s, NULL, sig, brk);
}

static const IdkKind op_kind = {
    "socket", op_attach, op_detach, NULL, idk_in_input, op_on_input, NULL, 1, op_on_turn,
    op_on_hosted
};

/* ---- creating ops --------------------------------------------------------------------------- */

static int parse_timeout(PyObject *o, double *t)
{
    if (o == NULL || o == Py_None) {
        *t = -1.0;
        return 0;
    }
    *t = PyFloat_AsDouble(o);
    if (*t == -1.0 && PyErr_Occurred())
        return -1;
    if (*t != *t || *t < 0) {
        PyErr_SetString(PyExc_ValueError, "timeout must be None or a non-negative number");
        return -1;
    }
    return 0;
}

/* Ops are made per call: their memory is reused through a freelist, and
 * they stay out of the cyclic GC while they carry nothing that could lead
 * back to them (see op_finish).  A recycled op keeps what op_dealloc left:
 * empty, unlinked channels and a stopped timer that fires op_on_timer on
 * the same memory, so only a fresh one needs those set up. */
static IdkIoOp *op_alloc(void)
{
    IdkIoOp *op = (IdkIoOp *)idk_freelist_pop(IDK_FL_OP);
    if (op != NULL)
        return (IdkIoOp *)PyObject_Init((PyObject *)op, &IdkIoOp_Type);
    op = (IdkIoOp *)IdkIoOp_Type.tp_alloc(&IdkIoOp_Type, 0);
    if (op == NULL)
        return NULL;
    PyObject_GC_UnTrack(op);   /* tp_alloc tracked it */
    idk_in_init(&op->base);
    idk_timer_init(&op->timer, (PyObject *)op, op_on_timer);
    return op;
}

static IdkIoOp *op_new(IdkIoSock *s, int kind, int dir)
{
    IdkIoOp *op;
    if (!errors_ready() || (op = op_alloc()) == NULL)
        return NULL;
    idk_stream_init(&op->base.base, &op_kind);
    op->base.base.r_untracked = 1;
    op->base.in[IDK_SIGS].c_watch = 1;
    op->base.in[IDK_BROKEN].c_watch = 1;
    op->l_host = NULL;
    op->sock = (IdkIoSock *)idk_newref((PyObject *)s);
    op->prev = op->next = NULL;
    op->queued = 0;
    op->ready_seen = 0;
    op->probe = 0;
    op->kind = kind;
    op->dir = dir;
    op->flags = 0;
    op->obj = op->args = NULL;
    op->want[IO_READ] = op->want[IO_WRITE] = NULL;
    op->has_view = 0;
    op->size = op->done = 0;
    return op;
}

/* Try at once unless others wait (or the read is left for the task's
 * turn); else queue (and arm the timeout). */
static PyObject *op_start(IdkIoOp *op, double timeout)
{
    IdkIoSock *s = op->sock;
    int mode, in_turn = 0;
    if (s->closed) {
        op_raise_errno(op, EBADF, "socket is closed");
        return (PyObject *)op;
    }
    if (s->head[op->dir] == NULL && (mode = op_try_mode(op, timeout)) != TRY_NONE
            && !(in_turn = read_in_next_turn(op, timeout, mode)) && op_try_as(op, mode))
        return (PyObject *)op;
    if (timeout == 0.0) {
        op_raise(op, exc_timeout());
        return (PyObject *)op;
    }
    if (idk_loop_get() == NULL || (timeout > 0 && idk_timer_start(&op->timer, timeout) < 0)) {
        Py_DECREF(op);
        return NULL;
    }
    if (in_turn)
        op_enqueue_unwatched(op);
    else
        op_enqueue(op);
    return (PyObject *)op;
}

/* Arguments of the per-call methods, positional or by keyword, into out[] as
 * borrowed references (NULL when left out).  No tuple, no dict and no format
 * string on the way: PyArg_ParseTuple* showed up in the echo profile. */
static int args_by_name(PyObject *const *args, Py_ssize_t nargs, IdkKw kw, const char *fname,
                        const char *const *names, int nnames, int nrequired, PyObject **out)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    int i;
    if (nargs > nnames) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %d arguments (%d given)",
                     fname, nnames, (int)nargs);
        return -1;
    }
    for (i = 0; i < nnames; i++)
        out[i] = i < nargs ? args[i] : NULL;
    while (idk_kw_next(kw, args, nargs, &pos, &key, &value)) {
        for (i = 0; i < nnames && !idk_name_is(key, names[i]); i++)
            ;
        if (i == nnames) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%.100s'",
                         fname, idk_name_text(key));
            return -1;
        }
        if (out[i] != NULL) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'",
                         fname, names[i]);
            return -1;
        }
        out[i] = value;
    }
    for (i = 0; i < nrequired; i++) {
        if (out[i] == NULL) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", fname, names[i]);
            return -1;
        }
    }
    return 0;
}

static int arg_ssize(PyObject *o, Py_ssize_t *out)
{
    if (o == NULL)
        return 0;
    if (PyLong_CheckExact(o))
        *out = PyLong_AsSsize_t(o);
    else
        *out = PyNumber_AsSsize_t(o, PyExc_OverflowError);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

static int arg_int(PyObject *o, int *out)
{
    Py_ssize_t v;
    if (o == NULL)
        return 0;
    if (arg_ssize(o, &v) < 0)
        return -1;
    if (v < INT_MIN || v > INT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "flags out of range");
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* A timeout left out means the socket's default (s->timeout); an explicit
 * None means none. */
static int arg_timeout(IdkIoSock *s, PyObject *to, double *timeout)
{
    if (to == NULL) {
        *timeout = s->timeout;
        return 0;
    }
    return parse_timeout(to, timeout);
}

/* recv(bufsize, flags=0, timeout=<default>) */
static PyObject *iosock_recv_impl(IdkIoSock *s, PyObject *const *args, Py_ssize_t nargs, IdkKw kw)
{
    static const char *const names[] = {"bufsize", "flags", "timeout"};
    PyObject *a[3];
    Py_ssize_t size = 0;
    int flags = 0;
    double timeout;
    IdkIoOp *op;
    if (args_by_name(args, nargs, kw, "recv", names, 3, 1, a) < 0 || arg_ssize(a[0], &size) < 0
            || arg_int(a[1], &flags) < 0 || arg_timeout(s, a[2], &timeout) < 0)
        return NULL;
    if ((op = op_new(s, OP_RECV, IO_READ)) == NULL)
        return NULL;
    op->size = size;
    op->flags = flags;
    if (size <= 0) {     /* as the original: "" at once */
        op_return1(op, PyBytes_FromStringAndSize("", 0));
        return (PyObject *)op;
    }
    return op_start(op, timeout);
}

/* A new op that holds a buffer view of `obj` (writable for reads).  Data
 * to send in a bytes object is only referenced: its memory stays put while
 * the op holds it, and the buffer protocol would cost more than the rest
 * of a small send's setup. */
static IdkIoOp *op_new_with_buffer(IdkIoSock *s, int kind, int dir, PyObject *obj, int flags)
{
    IdkIoOp *op = op_new(s, kind, dir);
    if (op == NULL)
        return NULL;
    if (!(flags & PyBUF_WRITABLE) && PyBytes_CheckExact(obj)) {
        op->obj = idk_newref(obj);
        op->view.buf = PyBytes_AS_STRING(obj);
        op->view.len = PyBytes_GET_SIZE(obj);
        return op;
    }
    if (PyObject_GetBuffer(obj, &op->view, flags) < 0) {
        Py_DECREF(op);
        if ((flags & PyBUF_WRITABLE) && PyErr_ExceptionMatches(PyExc_BufferError)) {
            /* as the stdlib says it: a read-only buffer is the wrong type */
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "recv_into() argument 'buffer' must be read-write "
                         "bytes-like object, not %.100s", Py_TYPE(obj)->tp_name);
        }
        return NULL;
    }
    op->has_view = 1;
    return op;
}

/* recv_into(buffer, nbytes=0, flags=0, timeout=<default>) */
static PyObject *iosock_recv_into_impl(IdkIoSock *s, PyObject *const *args, Py_ssize_t nargs,
                                       IdkKw kw)
{
    static const char *const names[] = {"buffer", "nbytes", "flags", "timeout"};
    PyObject *a[4];
    Py_ssize_t nbytes = 0;
    int flags = 0;
    double timeout;
    IdkIoOp *op;
    if (args_by_name(args, nargs, kw, "recv_into", names, 4, 1, a) < 0
            || arg_ssize(a[1], &nbytes) < 0 || arg_int(a[2], &flags) < 0
            || arg_timeout(s, a[3], &timeout) < 0)
        return NULL;
    if (nbytes < 0) {
        PyErr_SetString(PyExc_ValueError, "negative buffersize in recv_into");
        return NULL;
    }
    if ((op = op_new_with_buffer(s, OP_RECV_INTO, IO_READ, a[0], PyBUF_WRITABLE)) == NULL)
        return NULL;
    if (nbytes == 0 || nbytes > op->view.len)
        nbytes = op->view.len;
    op->size = nbytes;
    op->flags = flags;
    if (nbytes == 0) {
        op_return1(op, PyLong_FromLong(0));
        return (PyObject *)op;
    }
    return op_start(op, timeout);
}

/* send/sendall(data, flags=0, timeout=<default>) */
static PyObject *iosock_send_common(IdkIoSock *s, PyObject *const *args, Py_ssize_t nargs,
                                    IdkKw kw, int kind)
{
    static const char *const names[] = {"data", "flags", "timeout"};
    PyObject *a[3];
    int flags = 0;
    double timeout;
    IdkIoOp *op;
    if (args_by_name(args, nargs, kw, kind == OP_SEND ? "send" : "sendall", names, 3, 1, a) < 0
            || arg_int(a[1], &flags) < 0 || arg_timeout(s, a[2], &timeout) < 0)
        return NULL;
    if (PyUnicode_Check(a[0])) {
        PyErr_SetString(PyExc_TypeError, "data must be bytes or a buffer, not text");
        return NULL;
    }
    if ((op = op_new_with_buffer(s, kind, IO_WRITE, a[0], PyBUF_SIMPLE)) == NULL)
        return NULL;
    op->flags = flags;
    return op_start(op, timeout);
}

static PyObject *iosock_send_impl(IdkIoSock *s, PyObject *const *args, Py_ssize_t nargs, IdkKw kw)
{
    return iosock_send_common(s, args, nargs, kw, OP_SEND);
}

static PyObject *iosock_sendall_impl(IdkIoSock *s, PyObject *const *args, Py_ssize_t nargs,
                                     IdkKw kw)
{
    return iosock_send_common(s, args, nargs, kw, OP_SENDALL);
}

IDK_FAST_METHOD(iosock_recv, iosock_recv_impl, IdkIoSock)
IDK_FAST_METHOD(iosock_recv_into, iosock_recv_into_impl, IdkIoSock)
IDK_FAST_METHOD(iosock_send, iosock_send_impl, IdkIoSock)
IDK_FAST_METHOD(iosock_sendall, iosock_sendall_impl, IdkIoSock)

/* accept(wrap[, timeout]): the result is wrap(fd, address). */
static PyObject *iosock_accept(IdkIoSock *s, PyObject *args)
{
    PyObject *wrap, *to = NULL;
    double timeout;
    IdkIoOp *op;
    if (!PyArg_ParseTuple(args, "O|O:accept", &wrap, &to) || parse_timeout(to, &timeout) < 0)
        return NULL;
    if ((op = op_new(s, OP_ACCEPT, IO_READ)) == NULL)
        return NULL;
    op->args = idk_newref(wrap);
    return op_start(op, timeout);
}

/* connect(connect_ex, args[, timeout]) */
static PyObject *iosock_connect(IdkIoSock *s, PyObject *args)
{
    PyObject *func, *cargs, *to = NULL;
    double timeout;
    IdkIoOp *op;
    if (!PyArg_ParseTuple(args, "OO!|O:connect", &func, &PyTuple_Type, &cargs, &to)
            || parse_timeout(to, &timeout) < 0)
        return NULL;
    if ((op = op_new(s, OP_CONNECT, IO_WRITE)) == NULL)
        return NULL;
    op->obj = idk_newref(func);
    op->args = idk_newref(cargs);
    return op_start(op, timeout);
}

/* call(write, func, args[, timeout], want_read=None, want_write=None):
 * func(*args), retried on readiness (want_*: see op_redirect). */
static PyObject *iosock_call(IdkIoSock *s, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"write", "func", "args", "timeout", "want_read", "want_write", NULL};
    PyObject *func, *cargs, *to = NULL, *wr = NULL, *ww = NULL;
    int write;
    double timeout;
    IdkIoOp *op;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "iOO!|OOO:call", kwlist, &write, &func,
                                     &PyTuple_Type, &cargs, &to, &wr, &ww)
            || parse_timeout(to, &timeout) < 0)
        return NULL;
    if ((op = op_new(s, OP_CALL, write ? IO_WRITE : IO_READ)) == NULL)
        return NULL;
    if (parse_want(wr, &op->want[IO_READ]) < 0 || parse_want(ww, &op->want[IO_WRITE]) < 0) {
        Py_DECREF(op);
        return NULL;
    }
    op->obj = idk_newref(func);
    op->args = idk_newref(cargs);
    return op_start(op, timeout);
}

/* ---- the IoSocket type ---------------------------------------------------------------------- */

static void sock_wake_all(IdkIoSock *s)
{
    int d;
    for (d = 0; d < 2; d++) {
        while (s->head[d] != NULL) {
            IdkIoOp *op = s->head[d];
            Py_INCREF(op);
            op_raise_errno(op, EBADF, "socket is closed");
            op_dequeue(op);
            Py_DECREF(op);
        }
        sock_watch(s, d, 0);
    }
}

static PyObject *iosock_close(IdkIoSock *s, PyObject *unused)
{
    PyObject *owner, *r;
    (void)unused;
    if (s->closed)
        Py_RETURN_NONE;
    s->closed = 1;
    Py_INCREF(s);
    sock_wake_all(s);
    s->fd = -1;
    owner = s->owner;
    s->owner = NULL;
    r = owner != NULL ? PyObject_CallMethod(owner, "close", NULL) : idk_newref(Py_None);
    Py_XDECREF(owner);
    Py_DECREF(s);
    if (r == NULL)
        return NULL;
    Py_DECREF(r);
    Py_RETURN_NONE;
}

static PyObject *iosock_fileno(IdkIoSock *s, PyObject *unused)
{
    (void)unused;
    return PyLong_FromLong(s->fd);
}

static PyObject *iosock_get_closed(IdkIoSock *s, void *unused)
{
    (void)unused;
    return PyBool_FromLong(s->closed);
}

static PyObject *iosock_get_waiting(IdkIoSock *s, void *unused)
{
    int n = 0, d;
    IdkIoOp *op;
    (void)unused;
    for (d = 0; d < 2; d++)
        for (op = s->head[d]; op != NULL; op = op->next)
            n++;
    return PyLong_FromLong(n);
}

/* Whether fd is a SOCK_STREAM socket (not a datagram, seqpacket or other fd). */
static unsigned char is_byte_stream(int fd)
{
    int type = 0;
    socklen_t len = sizeof(type);
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

/* _attach(owner, fd): start managing fd, once.  IoSocket(owner, fd) does it at creation; a
 * subclass (idiokit.socket.Socket) is created closed and calls it from its __init__. */
static PyObject *iosock_attach(IdkIoSock *s, PyObject *args)
{
    PyObject *owner;
    int fd, d;
    if (!PyArg_ParseTuple(args, "Oi:_attach", &owner, &fd))
        return NULL;
    if (fd < 0) {
        PyErr_SetString(PyExc_ValueError, "negative file descriptor");
        return NULL;
    }
    if (s->owner != NULL || s->fd >= 0) {
        PyErr_SetString(PyExc_RuntimeError, "IoSocket already attached");
        return NULL;
    }
    if (idk_loop_get() == NULL)
        return NULL;
    s->fd = fd;
    s->closed = 0;
    s->owner = idk_newref(owner);
    s->byte_stream = is_byte_stream(fd);
    for (d = 0; d < 2; d++) {
        ev_io_init(&s->w[d], sock_on_ready, fd, d == IO_READ ? EV_READ : EV_WRITE);
        s->w[d].data = s;
    }
    Py_RETURN_NONE;
}

static PyObject *iosock_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    IdkIoSock *s;
    static char *kwlist[] = {"owner", "fd", NULL};
    PyObject *owner, *r;
    int fd;
    if (type == &IdkIoSock_Type
            && !PyArg_ParseTupleAndKeywords(args, kw, "Oi:IoSocket", kwlist, &owner, &fd))
        return NULL;
    s = (IdkIoSock *)type->tp_alloc(type, 0);
    if (s == NULL)
        return NULL;
    s->fd = -1;
    s->closed = 1;
    s->timeout = -1.0;
    if (type != &IdkIoSock_Type)
        return (PyObject *)s;
    r = iosock_attach(s, args);
    if (r == NULL) {
        Py_DECREF(s);
        return NULL;
    }
    Py_DECREF(r);
    return (PyObject *)s;
}

static PyObject *iosock_get_timeout(IdkIoSock *s, void *unused)
{
    (void)unused;
    if (s->timeout < 0)
        Py_RETURN_NONE;
    return PyFloat_FromDouble(s->timeout);
}

static int iosock_set_timeout(IdkIoSock *s, PyObject *value, void *unused)
{
    (void)unused;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete timeout");
        return -1;
    }
    return parse_timeout(value, &s->timeout);
}

static void iosock_dealloc(IdkIoSock *s)
{
    /* No op can be queued: each queued op holds a reference. */
    sock_watch(s, IO_READ, 0);
    sock_watch(s, IO_WRITE, 0);
    Py_XDECREF(s->owner);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyMethodDef iosock_methods[] = {
    {"recv", (PyCFunction)(void (*)(void))iosock_recv, IDK_FAST_FLAGS,
     "recv(bufsize, flags=0[, timeout]) -> stream giving the bytes read (b'' at end of "
     "input); timeout left out: the socket's default"},
    {"recv_into", (PyCFunction)(void (*)(void))iosock_recv_into, IDK_FAST_FLAGS,
     "recv_into(buffer, nbytes=0, flags=0[, timeout]) -> stream giving the byte count"},
    {"send", (PyCFunction)(void (*)(void))iosock_send, IDK_FAST_FLAGS,
     "send(data, flags=0[, timeout]) -> stream giving the byte count sent"},
    {"sendall", (PyCFunction)(void (*)(void))iosock_sendall, IDK_FAST_FLAGS,
     "sendall(data, flags=0[, timeout]) -> stream; on failure op.sent counts what went out"},
    {"_attach", (PyCFunction)iosock_attach, METH_VARARGS, "_attach(owner, fd): manage fd (once)"},
    {"accept", (PyCFunction)iosock_accept, METH_VARARGS, "accept(wrap[, timeout]) -> stream"},
    {"connect", (PyCFunction)iosock_connect, METH_VARARGS,
     "connect(connect_ex, args[, timeout]) -> stream"},
    {"call", (PyCFunction)(void (*)(void))iosock_call, METH_VARARGS | METH_KEYWORDS,
     "call(write, func, args[, timeout], want_read=None, want_write=None) -> stream retrying func(*args) on readiness"},
    {"close", (PyCFunction)iosock_close, METH_NOARGS,
     "Wake every waiter with an error, stop watching, close the owner."},
    {"fileno", (PyCFunction)iosock_fileno, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}
};

static PyGetSetDef iosock_getset[] = {
    {"closed", (getter)iosock_get_closed, NULL, NULL, NULL},
    {"waiting", (getter)iosock_get_waiting, NULL, "number of queued operations", NULL},
    {"timeout", (getter)iosock_get_timeout, (setter)iosock_set_timeout,
     "default timeout of the waiting operations (None: wait forever)", NULL},
    {NULL, NULL, NULL, NULL, NULL}
};

/* ---- the SocketOp type ------------------------------------------------------------------------ */

static int op_traverse(IdkIoOp *op, visitproc visit, void *arg)
{
    int r;
    Py_VISIT(op->sock);
    Py_VISIT(op->obj);
    Py_VISIT(op->args);
    Py_VISIT(op->want[IO_READ]);
    Py_VISIT(op->want[IO_WRITE]);
    r = idk_in_traverse(&op->base, visit, arg);
    return r ? r : idk_stream_base_traverse(&op->base.base, visit, arg);
}

static int op_clear(IdkIoOp *op)
{
    int k;
    idk_timer_stop(&op->timer);
    op_release(op);
    for (k = 0; k < IDK_NCHANS; k++)
        idk_chan_clear(&op->base.in[k]);
    idk_stream_base_clear(&op->base.base);
    if (!op->queued)
        Py_CLEAR(op->sock);
    return 0;
}

/* Leaves the channels empty and the timer stopped, as op_alloc expects of a
 * recycled op (op_clear does the rest, with what the result holds). */
static void op_dealloc(IdkIoOp *op)
{
    PyObject_GC_UnTrack(op);
    idk_timer_stop(&op->timer);
    op_release(op);
    idk_in_clear(&op->base);
    Py_CLEAR(op->sock);
    idk_stream_base_release(&op->base.base);
    if (!idk_freelist_push(IDK_FL_OP, op))
        Py_TYPE(op)->tp_free((PyObject *)op);
}

static PyObject *op_get_sent(IdkIoOp *op, void *unused)
{
    (void)unused;
    return PyLong_FromSsize_t(op->kind == OP_SENDALL || op->kind == OP_SEND ? op->done : 0);
}

static PyGetSetDef op_getset[] = {
    {"sent", (getter)op_get_sent, NULL, "bytes a send/sendall wrote so far", NULL},
    {NULL, NULL, NULL, NULL, NULL}
};

PyTypeObject IdkIoSock_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.IoSocket", .tp_basicsize = sizeof(IdkIoSock)
};
PyTypeObject IdkIoOp_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.SocketOp", .tp_basicsize = sizeof(IdkIoOp)
};

/* _socket_setup(SocketError, SocketTimeout, convert) */
static PyObject *mod_socket_setup(PyObject *self, PyObject *args)
{
    PyObject *err, *tmo, *conv;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOO:_socket_setup", &err, &tmo, &conv))
        return NULL;
    Py_XSETREF(sock_error_cls, idk_newref(err));
    Py_XSETREF(sock_timeout_cls, idk_newref(tmo));
    Py_XSETREF(sock_convert, idk_newref(conv));
    Py_RETURN_NONE;
}

/* _own_fast_methods(cls): cls (an IoSocket subclass) gets descriptors of its
 * own for the per-call methods.  CPython specialises a call of a C method
 * only when the descriptor's type is exactly the instance's type; with
 * IoSocket's own descriptors every conn.recv(...) on an idiokit.socket.Socket
 * took the generic path (a subtype check and a vectorcall on each call). */
static PyObject *mod_own_fast_methods(PyObject *self, PyObject *cls)
{
    PyMethodDef *def;
    (void)self;
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &IdkIoSock_Type)) {
        PyErr_SetString(PyExc_TypeError, "_own_fast_methods() wants a subclass of IoSocket");
        return NULL;
    }
    for (def = iosock_methods; def->ml_name != NULL; def++) {
        PyObject *descr;
        int r;
        if (def->ml_flags != IDK_FAST_FLAGS)
            continue;
        if ((descr = PyDescr_NewMethod((PyTypeObject *)cls, def)) == NULL)
            return NULL;
        r = PyObject_SetAttrString(cls, def->ml_name, descr);
        Py_DECREF(descr);
        if (r < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef socket_module_methods[] = {
    {"_socket_setup", mod_socket_setup, METH_VARARGS,
     "_socket_setup(SocketError, SocketTimeout, convert): the classes the socket ops raise."},
    {"_own_fast_methods", mod_own_fast_methods, METH_O,
     "_own_fast_methods(cls): cls gets its own descriptors of recv, recv_into, send and "
     "sendall, so that CPython specialises their calls on cls's instances."},
    {NULL, NULL, 0, NULL}
};

int idk_io_module_init(PyObject *m);

int idk_socket_module_init(PyObject *m)
{
    PyMethodDef *def;
    IdkIoSock_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE;
    IdkIoSock_Type.tp_new = iosock_new;
    IdkIoSock_Type.tp_dealloc = (destructor)iosock_dealloc;
    IdkIoSock_Type.tp_methods = iosock_methods;
    IdkIoSock_Type.tp_getset = iosock_getset;
    IdkIoSock_Type.tp_doc = "IoSocket(owner, fd): the watchers and operation queues of a "
                            "non-blocking socket fd that owner owns.";
    IdkIoOp_Type.tp_base = &IdkStream_Type;
    IdkIoOp_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
    IdkIoOp_Type.tp_dealloc = (destructor)op_dealloc;
    IdkIoOp_Type.tp_traverse = (traverseproc)op_traverse;
    IdkIoOp_Type.tp_clear = (inquiry)op_clear;
    IdkIoOp_Type.tp_getset = op_getset;
    IdkIoOp_Type.tp_doc = "A socket operation in progress (a stream).";
    if (PyType_Ready(&IdkIoSock_Type) < 0 || PyType_Ready(&IdkIoOp_Type) < 0)
        return -1;
    Py_INCREF(&IdkIoSock_Type);
    if (PyModule_AddObject(m, "IoSocket", (PyObject *)&IdkIoSock_Type) < 0)
        return -1;
    for (def = socket_module_methods; def->ml_name != NULL; def++) {
        PyObject *f = PyCFunction_New(def, NULL);
        if (f == NULL || PyModule_AddObject(m, def->ml_name, f) < 0)
            return -1;
    }
    return idk_io_module_init(m);
}
