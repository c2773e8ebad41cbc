/* sockcalls.c: the syscalls of the socket operations, and the IoSocket
 * methods that make them (recv, recv_into, send, sendall, accept, connect,
 * and call, which retries a stdlib or TLS function on readiness).
 *
 * Invariants:
 *  - idk_op_try makes one attempt: it finishes the op (TRY_DONE) or says
 *    which direction to wait for; a would-block (EAGAIN, EWOULDBLOCK, EINTR,
 *    ENOBUFS) leaves the op unfinished with nothing consumed, except the
 *    bytes a sendall has sent (op->done).  An interrupted syscall (EINTR)
 *    is a would-block too: it is retried on readiness, which is there.
 *  - A recv reads first into a buffer on the C stack (RECV_STACK bytes)
 *    and copies what it got into a bytes object of that size; only a read
 *    that fills the buffer asks the socket how much more it holds
 *    (FIONREAD) and reads that, at most the size asked for, into one bytes
 *    object.  One rule for every read, at the call or after readiness.
 *    Never a bytes object of the size asked for: recv(262144) of 10 KiB
 *    would allocate 256 KiB, which glibc maps, shrinks and unmaps, page
 *    faults and all, on every read.  Nothing is guessed or learnt.
 *  - Each kind of op is one row of kinds[]: its method's arguments, what
 *    it takes from them and its syscall.  Bad input is an exception at the
 *    call, never a failed stream.
 */
#include "sock.h"
#include "iptext.h"
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

/* ---- the syscalls ------------------------------------------------------------------ */

static PyObject *addr_to_py(struct sockaddr *sa, socklen_t len)
{
    char text[IDK_IPTEXT_SIZE];
    switch (sa->sa_family) {
    case AF_INET: {
        struct sockaddr_in *in = (struct sockaddr_in *)sa;
        idk_ip_text(AF_INET, &in->sin_addr, text);
        return Py_BuildValue("(si)", text, ntohs(in->sin_port));
    }
    case AF_INET6: {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
        idk_ip_text(AF_INET6, &in6->sin6_addr, text);
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

/* A failed syscall of op: wait for `dir` if it would block, else fail. */
static int failed(IdkIoOp *op, int err, int dir)
{
    if (idk_errno_would_block(err))
        return dir;
    idk_op_raise(op, idk_sock_exc_errno(err, NULL));
    return TRY_DONE;
}

#define RECV_STACK (16 * 1024)

/* The rest of a read that filled the stack buffer: the `have` bytes in
 * `first` and what else the socket holds (FIONREAD), at most the size asked
 * for, in one bytes object; a new reference or NULL. */
static PyObject *recv_rest(IdkIoOp *op, const char *first, Py_ssize_t have)
{
    int avail = 0;
    Py_ssize_t want;
    PyObject *bytes, *exact;
    ssize_t n = 0;
    if (ioctl(op->sock->fd, FIONREAD, &avail) < 0 || avail < 0)
        avail = 0;
    want = have + (avail < op->size - have ? avail : op->size - have);
    if ((bytes = PyBytes_FromStringAndSize(NULL, want)) == NULL)
        return NULL;
    memcpy(PyBytes_AS_STRING(bytes), first, have);
    if (want > have)
        n = recv(op->sock->fd, PyBytes_AS_STRING(bytes) + have, want - have, op->flags);
    n = have + (n > 0 ? n : 0);     /* an error after bytes read comes again next time */
    if (n == want)
        return bytes;
    exact = PyBytes_FromStringAndSize(PyBytes_AS_STRING(bytes), n);  /* held less than it said */
    Py_DECREF(bytes);
    return exact;
}

static int try_recv(IdkIoOp *op)
{
    char first[RECV_STACK];
    ssize_t n = recv(op->sock->fd, first, op->size < RECV_STACK ? op->size : RECV_STACK, op->flags);
    if (n < 0)
        return failed(op, errno, IO_READ);
    if (n == RECV_STACK && op->size > RECV_STACK)
        idk_op_return1(op, recv_rest(op, first, n));
    else
        idk_op_return1(op, PyBytes_FromStringAndSize(first, n));
    return TRY_DONE;
}

static int try_recv_into(IdkIoOp *op)
{
    ssize_t n = recv(op->sock->fd, op->view.buf, op->size, op->flags);
    if (n < 0)
        return failed(op, errno, IO_READ);
    idk_op_return1(op, PyLong_FromSsize_t(n));
    return TRY_DONE;
}

static int try_send(IdkIoOp *op)
{
    for (;;) {
        ssize_t n = send(op->sock->fd, (char *)op->view.buf + op->done,
                         op->view.len - op->done, op->flags | MSG_NOSIGNAL);
        if (n < 0)
            return failed(op, errno, IO_WRITE);
        op->done += n;
        if (op->kind == OP_SEND || op->done >= op->view.len) {
            idk_op_return1(op, op->kind == OP_SEND ? PyLong_FromSsize_t(n) : idk_newref(Py_None));
            return TRY_DONE;
        }
    }
}

/* op->args is the wrapper: the result is wrap(fd, address).  A connection
 * that was aborted before it was accepted is waited past, as a would-block. */
static int try_accept(IdkIoOp *op)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = accept4(op->sock->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    PyObject *addr, *r;
    if (fd < 0)
        return failed(op, errno == ECONNABORTED ? EAGAIN : errno, IO_READ);
    addr = addr_to_py((struct sockaddr *)&ss, len);
    r = addr != NULL ? PyObject_CallFunction(op->args, "iO", fd, addr) : NULL;
    Py_XDECREF(addr);
    if (r == NULL)
        close(fd);       /* the wrapper did not take it */
    idk_op_return1(op, r);
    return TRY_DONE;
}

/* op->obj is connect_ex, op->args its args; op->done counts the tries. */
static int try_connect(IdkIoOp *op)
{
    PyObject *r;
    long code;
    if (op->done++ > 0) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(op->sock->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err != 0 && err != EINPROGRESS && err != EALREADY)
            return failed(op, err, IO_WRITE);
    }
    r = PyObject_Call(op->obj, op->args, NULL);
    code = r != NULL ? PyLong_AsLong(r) : -1;
    Py_XDECREF(r);
    if (code == -1 && PyErr_Occurred()) {
        idk_op_return1(op, NULL);
        return TRY_DONE;
    }
    if (code == 0 || code == EISCONN) {
        idk_op_return1(op, idk_newref(Py_None));
        return TRY_DONE;
    }
    if (code == EINPROGRESS || code == EALREADY)
        return IO_WRITE;
    return failed(op, (int)code, IO_WRITE);
}

/* Whether the error that is set carries a would-block errno. */
static int pyerr_would_block(void)
{
    PyObject *exc = idk_exc_fetch(), *e;
    long code = -1;
    e = PyObject_GetAttrString(idk_exc_value(exc), "errno");
    if (e != NULL && e != Py_None)
        code = PyLong_AsLong(e);
    Py_XDECREF(e);
    PyErr_Clear();
    idk_exc_restore(exc);
    Py_DECREF(exc);
    return code >= 0 && idk_errno_would_block((int)code);
}

/* op->obj(*op->args); its own direction is op->flags.  An exception of
 * want[d] waits for d, a would-block errno for the own direction. */
static int try_call(IdkIoOp *op)
{
    PyObject *r = PyObject_Call(op->obj, op->args, NULL);
    int d;
    if (r != NULL) {
        idk_op_return1(op, r);
        return TRY_DONE;
    }
    for (d = 0; d < 2; d++) {
        if (op->want[d] != NULL && PyErr_ExceptionMatches(op->want[d])) {
            PyErr_Clear();
            return d;
        }
    }
    if (pyerr_would_block()) {
        PyErr_Clear();
        return op->flags;
    }
    idk_op_return1(op, NULL);
    return TRY_DONE;
}

/* ---- arguments ----------------------------------------------------------------------- */

/* What each method takes: its arguments, positionally or by keyword, in the
 * order of `names`; the first `required` are required.  `flags` is the
 * index of the flags (0: none), `timeout` that of the timeout. */
typedef struct {
    const char *name;
    unsigned char dir, required, nnames, flags, timeout;
    const char *names[6];
} Signature;

/* Into out[] as borrowed references (NULL when left out).  No tuple, no
 * dict and no format string on the way: PyArg_ParseTuple* showed up in the
 * echo profile. */
int args_by_name(PyObject *const *args, Py_ssize_t nargs, IdkKw kw, const char *fname,
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
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", fname,
                         names[i]);
            return -1;
        }
    }
    return 0;
}

/* An index (left out: *out unchanged). */
int arg_ssize(PyObject *o, Py_ssize_t *out)
{
    if (o == NULL)
        return 0;
    *out = PyLong_CheckExact(o) ? PyLong_AsSsize_t(o) : PyNumber_AsSsize_t(o, PyExc_OverflowError);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

int arg_int(PyObject *o, int *out)
{
    Py_ssize_t v = 0;
    if (o == NULL || arg_ssize(o, &v) < 0)
        return o == NULL ? 0 : -1;
    if (v < INT_MIN || v > INT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "Python int too large to convert to C int");
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* A timeout left out is the socket's default; None is none. */
int arg_timeout(IdkIoSock *s, PyObject *to, double *timeout)
{
    if (to == NULL) {
        *timeout = s->timeout;
        return 0;
    }
    return idk_parse_timeout(to, timeout);
}

/* A buffer size: not negative (left out: *out unchanged). */
int arg_size(PyObject *o, const char *fname, Py_ssize_t *out)
{
    if (arg_ssize(o, out) < 0)
        return -1;
    if (*out >= 0)
        return 0;
    PyErr_Format(PyExc_ValueError, "negative buffersize in %s", fname);
    return -1;
}

/* want_read/want_write: None, an exception class or a tuple of them. */
static int arg_want(PyObject *o, PyObject **out)
{
    Py_ssize_t i;
    if (o == NULL || o == Py_None)
        return 0;
    if (PyTuple_Check(o)) {
        for (i = 0; i < PyTuple_GET_SIZE(o); i++) {
            if (!PyExceptionClass_Check(PyTuple_GET_ITEM(o, i)))
                goto bad;
        }
    } else if (!PyExceptionClass_Check(o)) {
        goto bad;
    }
    *out = idk_newref(o);
    return 0;
bad:
    PyErr_SetString(PyExc_TypeError, "want_read/want_write must be None, an exception class "
                    "or a tuple of them");
    return -1;
}

/* ---- what each op takes ----------------------------------------------------------------- */

/* recv(bufsize, flags=0, timeout): b"" at once for 0, as the original. */
static int take_recv(IdkIoOp *op, PyObject **a)
{
    if (arg_size(a[0], "recv", &op->size) < 0)
        return -1;
    if (op->size == 0)
        idk_op_return1(op, PyBytes_FromStringAndSize("", 0));
    return 0;
}

/* A view of the buffer `obj` (writable for reads).  Data to send in a bytes
 * object is only referenced: its memory stays put while the op holds it. */
static int take_buffer(IdkIoOp *op, PyObject *obj, int flags)
{
    if (!(flags & PyBUF_WRITABLE) && PyBytes_CheckExact(obj)) {
        op->obj = idk_newref(obj);
        op->view.buf = PyBytes_AS_STRING(obj);
        op->view.len = PyBytes_GET_SIZE(obj);
        return 0;
    }
    if (PyObject_GetBuffer(obj, &op->view, flags) < 0) {
        if ((flags & PyBUF_WRITABLE) && PyErr_ExceptionMatches(PyExc_BufferError)) {
            PyErr_Clear();     /* as the stdlib says it */
            PyErr_Format(PyExc_TypeError, "recv_into() argument 'buffer' must be read-write "
                         "bytes-like object, not %.100s", Py_TYPE(obj)->tp_name);
        }
        return -1;
    }
    op->has_view = 1;
    return 0;
}

/* recv_into(buffer, nbytes=0, flags=0, timeout): 0 at once for an empty one. */
static int take_recv_into(IdkIoOp *op, PyObject **a)
{
    Py_ssize_t nbytes = 0;
    if (arg_size(a[1], "recv_into", &nbytes) < 0 || take_buffer(op, a[0], PyBUF_WRITABLE) < 0)
        return -1;
    if (nbytes > op->view.len) {
        PyErr_SetString(PyExc_ValueError, "buffer too small for requested bytes");
        return -1;
    }
    op->size = nbytes == 0 ? op->view.len : nbytes;
    if (op->size == 0)
        idk_op_return1(op, PyLong_FromLong(0));
    return 0;
}

/* send/sendall(data, flags=0, timeout) */
static int take_send(IdkIoOp *op, PyObject **a)
{
    if (PyUnicode_Check(a[0])) {
        PyErr_SetString(PyExc_TypeError, "data must be bytes or a buffer, not text");
        return -1;
    }
    return take_buffer(op, a[0], PyBUF_SIMPLE);
}

/* accept(wrap, timeout): the result is wrap(fd, address). */
static int take_accept(IdkIoOp *op, PyObject **a)
{
    op->args = idk_newref(a[0]);
    return 0;
}

/* func and its args tuple (connect's connect_ex, call's func). */
static int take_func(IdkIoOp *op, PyObject *func, PyObject *args)
{
    if (!PyTuple_Check(args)) {
        PyErr_Format(PyExc_TypeError, "%s() argument 'args' must be a tuple, not %.100s",
                     op->kind == OP_CALL ? "call" : "connect", Py_TYPE(args)->tp_name);
        return -1;
    }
    op->obj = idk_newref(func);
    op->args = idk_newref(args);
    return 0;
}

/* connect(connect_ex, args, timeout) */
static int take_connect(IdkIoOp *op, PyObject **a)
{
    return take_func(op, a[0], a[1]);
}

/* call(write, func, args, timeout, want_read=None, want_write=None) */
static int take_call(IdkIoOp *op, PyObject **a)
{
    int write = 0;
    if (arg_int(a[0], &write) < 0 || take_func(op, a[1], a[2]) < 0
            || arg_want(a[4], &op->want[IO_READ]) < 0 || arg_want(a[5], &op->want[IO_WRITE]) < 0)
        return -1;
    op->dir = op->flags = write ? IO_WRITE : IO_READ;
    return 0;
}

/* ---- the ops ------------------------------------------------------------------------------ */

/* One row per OP_* kind: the method's signature, what it takes, its syscall. */
static const struct {
    Signature sig;
    int (*take)(IdkIoOp *op, PyObject **args);
    int (*try_)(IdkIoOp *op);
} kinds[] = {
    [OP_RECV] = {{"recv", IO_READ, 1, 3, 1, 2, {"bufsize", "flags", "timeout"}},
                 take_recv, try_recv},
    [OP_RECV_INTO] = {{"recv_into", IO_READ, 1, 4, 2, 3, {"buffer", "nbytes", "flags", "timeout"}},
                      take_recv_into, try_recv_into},
    [OP_SEND] = {{"send", IO_WRITE, 1, 3, 1, 2, {"data", "flags", "timeout"}}, take_send, try_send},
    [OP_SENDALL] = {{"sendall", IO_WRITE, 1, 3, 1, 2, {"data", "flags", "timeout"}},
                    take_send, try_send},
    [OP_ACCEPT] = {{"accept", IO_READ, 1, 2, 0, 1, {"wrap", "timeout"}}, take_accept, try_accept},
    [OP_CONNECT] = {{"connect", IO_WRITE, 2, 3, 0, 2, {"connect_ex", "args", "timeout"}},
                    take_connect, try_connect},
    [OP_CALL] = {{"call", IO_READ, 3, 6, 0, 3,
                  {"write", "func", "args", "timeout", "want_read", "want_write"}},
                 take_call, try_call},
};

int idk_op_try(IdkIoOp *op)
{
    return kinds[op->kind].try_(op);
}

/* A method: check the arguments, make the op, start it (sockop.c).  Bad
 * input is an exception at the call, never a failed stream.  A timeout
 * left out is the socket's default. */
static PyObject *op_method(IdkIoSock *s, PyObject *const *args, Py_ssize_t nargs, IdkKw kw,
                           int kind)
{
    const Signature *sig = &kinds[kind].sig;
    PyObject *a[6];
    int flags = 0;
    double timeout;
    IdkIoOp *op;
    if (args_by_name(args, nargs, kw, sig->name, sig->names, sig->nnames, sig->required, a) < 0
            || (sig->flags != 0 && arg_int(a[sig->flags], &flags) < 0)
            || arg_timeout(s, a[sig->timeout], &timeout) < 0
            || (op = idk_op_new(s, kind, sig->dir)) == NULL)
        return NULL;
    op->flags = flags;
    if (kinds[kind].take(op, a) < 0) {
        Py_DECREF(op);
        return NULL;
    }
    if (op->base.base.r_state != IDK_PENDING)   /* answered at once (size 0) */
        return (PyObject *)op;
    return idk_op_start(op, timeout);
}

#define OP_METHOD(name, kind)                                                               \
    static PyObject *iosock_##name##_impl(IdkIoSock *s, PyObject *const *args,               \
                                          Py_ssize_t nargs, IdkKw kw)                       \
    {                                                                                       \
        return op_method(s, args, nargs, kw, kind);                                         \
    }                                                                                       \
    IDK_FAST_METHOD(iosock_##name, iosock_##name##_impl, IdkIoSock)

OP_METHOD(recv, OP_RECV)
OP_METHOD(recv_into, OP_RECV_INTO)
OP_METHOD(send, OP_SEND)
OP_METHOD(sendall, OP_SENDALL)
OP_METHOD(accept, OP_ACCEPT)
OP_METHOD(connect, OP_CONNECT)
OP_METHOD(call, OP_CALL)

#define OP_DEF(name, doc) {#name, (PyCFunction)(void (*)(void))iosock_##name, IDK_FAST_FLAGS, doc}

/* A timeout left out is the socket's default (None: forever). */
PyMethodDef idk_sock_methods[] = {
    OP_DEF(recv, "recv(bufsize, flags=0[, timeout]) -> stream giving the bytes read (b'' at "
           "end of input)"),
    OP_DEF(recv_into, "recv_into(buffer, nbytes=0, flags=0[, timeout]) -> stream giving the "
           "byte count"),
    OP_DEF(send, "send(data, flags=0[, timeout]) -> stream giving the byte count sent"),
    OP_DEF(sendall, "sendall(data, flags=0[, timeout]) -> stream; on failure op.sent counts "
           "what went out"),
    OP_DEF(accept, "accept(wrap[, timeout]) -> stream giving wrap(fd, address)"),
    OP_DEF(connect, "connect(connect_ex, args[, timeout]) -> stream retrying connect_ex(*args) "
           "until it connects"),
    OP_DEF(call, "call(write, func, args[, timeout], want_read=None, want_write=None) -> stream "
           "retrying func(*args) on readiness: when it raises an instance of want_read "
           "(want_write) once the socket is readable (writable); a would-block errno waits for "
           "the own direction (write true: writable)"),
    {NULL, NULL, 0, NULL}
};
