/* sockcalls.c: the syscalls of the socket operations, and the IoSocket
 * methods that make them (recv, recv_into, send, sendall, accept, connect,
 * and call, which retries a stdlib or TLS function on readiness).
 *
 * Invariants:
 *  - idk_op_try makes one attempt: it finishes the op (TRY_DONE) or says
 *    which direction to wait for; a would-block (EAGAIN, EWOULDBLOCK, EINTR,
 *    ENOBUFS) leaves the op unfinished with nothing consumed, except the
 *    bytes a sendall has sent (op->done).
 *  - A recv retried after readiness (data is there) of more than
 *    RECV_STACK bytes reads straight into a bytes object of the size the
 *    socket holds (FIONREAD), at most the size asked for: no copy.  A recv
 *    tried at the call (which may well find nothing) lands first in a
 *    buffer on the C stack (RECV_STACK bytes), copied into a bytes object
 *    of the size it got; one that fills it goes on as after readiness.
 *    Never a bytes object of the size asked for: recv(262144) of 10 KiB
 *    would allocate 256 KiB, which glibc maps, shrinks and unmaps, page
 *    faults and all, on every read.  Nothing is guessed or learnt.
 *  - Arguments are checked before an op is made: bad input is an exception
 *    at the call, never a failed stream.
 */
#include "sock.h"
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

static ssize_t recv_retry(int fd, char *buf, Py_ssize_t size, int flags)
{
    ssize_t n;
    do
        n = recv(fd, buf, size, flags);
    while (n < 0 && errno == EINTR);
    return n;
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

/* Read into a bytes object of the size the socket holds (FIONREAD), at
 * most the size asked for, after the `have` bytes already read into
 * `first`: no copy but of those (and of all, after a short read).
 * NOT_TAKEN when the socket says it holds nothing and nothing was read. */
#define NOT_TAKEN (-2)

static int recv_sized(IdkIoOp *op, const char *first, Py_ssize_t have)
{
    int avail = 0;
    Py_ssize_t want;
    PyObject *bytes;
    ssize_t n = 0;
    if (ioctl(op->sock->fd, FIONREAD, &avail) < 0 || avail <= 0) {
        if (have == 0)
            return NOT_TAKEN;
        avail = 0;
    }
    want = have + (avail < op->size - have ? avail : op->size - have);
    if ((bytes = PyBytes_FromStringAndSize(NULL, want)) == NULL) {
        idk_op_return1(op, NULL);
        return TRY_DONE;
    }
    if (have > 0)
        memcpy(PyBytes_AS_STRING(bytes), first, have);
    if (want > have)
        n = recv_retry(op->sock->fd, PyBytes_AS_STRING(bytes) + have, want - have, op->flags);
    if (n < 0 && have == 0) {
        int err = errno;
        Py_DECREF(bytes);
        return failed(op, err, IO_READ);
    }
    n = have + (n > 0 ? n : 0);     /* after bytes read, an error comes again next time */
    if (n < want) {                 /* rare: the socket held less than FIONREAD said */
        PyObject *exact = PyBytes_FromStringAndSize(PyBytes_AS_STRING(bytes), n);
        Py_DECREF(bytes);
        bytes = exact;
    }
    idk_op_return1(op, bytes);
    return TRY_DONE;
}

static int try_recv(IdkIoOp *op)
{
    char first[RECV_STACK];
    ssize_t n;
    int r;
    if (op->woken && op->size > RECV_STACK && (r = recv_sized(op, NULL, 0)) != NOT_TAKEN)
        return r;
    n = recv_retry(op->sock->fd, first, op->size < RECV_STACK ? op->size : RECV_STACK, op->flags);
    if (n < 0)
        return failed(op, errno, IO_READ);
    if (n == RECV_STACK && op->size > RECV_STACK)
        return recv_sized(op, first, n);
    idk_op_return1(op, PyBytes_FromStringAndSize(first, n));
    return TRY_DONE;
}

static int try_recv_into(IdkIoOp *op)
{
    ssize_t n = recv_retry(op->sock->fd, op->view.buf, op->size, op->flags);
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
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return failed(op, errno, IO_WRITE);
        }
        op->done += n;
        if (op->kind == OP_SEND) {
            idk_op_return1(op, PyLong_FromSsize_t(n));
            return TRY_DONE;
        }
        if (op->done >= op->view.len) {
            idk_op_return1(op, idk_newref(Py_None));
            return TRY_DONE;
        }
    }
}

/* op->args is the wrapper: the result is wrap(fd, address). */
static int try_accept(IdkIoOp *op)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;
    PyObject *addr, *r;
    for (;;) {
        len = sizeof(ss);
        fd = accept4(op->sock->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            break;
        if (errno != EINTR && errno != ECONNABORTED)
            return failed(op, errno, IO_READ);
    }
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

int idk_op_try(IdkIoOp *op)
{
    switch (op->kind) {
    case OP_RECV: return try_recv(op);
    case OP_RECV_INTO: return try_recv_into(op);
    case OP_SEND:
    case OP_SENDALL: return try_send(op);
    case OP_ACCEPT: return try_accept(op);
    case OP_CONNECT: return try_connect(op);
    default: return try_call(op);
    }
}

/* ---- arguments ----------------------------------------------------------------------- */

/* Arguments of the per-call methods, positional or by keyword, into out[] as
 * borrowed references (NULL when left out).  No tuple, no dict and no format
 * string on the way: PyArg_ParseTuple* showed up in the echo profile. */
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
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", fname, names[i]);
            return -1;
        }
    }
    return 0;
}

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
        PyErr_SetString(PyExc_OverflowError, "flags out of range");
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

int arg_size(Py_ssize_t size, const char *fname)
{
    if (size >= 0)
        return 0;
    PyErr_Format(PyExc_ValueError, "negative buffersize in %s", fname);
    return -1;
}

/* ---- the methods ------------------------------------------------------------------------ */

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
            || arg_size(size, "recv") < 0 || arg_int(a[1], &flags) < 0
            || arg_timeout(s, a[2], &timeout) < 0 || (op = idk_op_new(s, OP_RECV, IO_READ)) == NULL)
        return NULL;
    op->size = size;
    op->flags = flags;
    if (size == 0) {     /* as the original: b"" at once */
        idk_op_return1(op, PyBytes_FromStringAndSize("", 0));
        return (PyObject *)op;
    }
    return idk_op_start(op, timeout);
}

/* A new op holding a buffer view of `obj` (writable for reads).  Data to
 * send in a bytes object is only referenced: its memory stays put while the
 * op holds it. */
static IdkIoOp *op_new_with_buffer(IdkIoSock *s, int kind, int dir, PyObject *obj, int flags)
{
    IdkIoOp *op = idk_op_new(s, kind, dir);
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
            PyErr_Clear();     /* as the stdlib says it */
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
            || arg_ssize(a[1], &nbytes) < 0 || arg_size(nbytes, "recv_into") < 0
            || arg_int(a[2], &flags) < 0 || arg_timeout(s, a[3], &timeout) < 0)
        return NULL;
    if ((op = op_new_with_buffer(s, OP_RECV_INTO, IO_READ, a[0], PyBUF_WRITABLE)) == NULL)
        return NULL;
    if (nbytes > op->view.len) {
        Py_DECREF(op);
        PyErr_SetString(PyExc_ValueError, "buffer too small for requested bytes");
        return NULL;
    }
    op->size = nbytes == 0 ? op->view.len : nbytes;
    op->flags = flags;
    if (op->size == 0) {
        idk_op_return1(op, PyLong_FromLong(0));
        return (PyObject *)op;
    }
    return idk_op_start(op, timeout);
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
    return idk_op_start(op, timeout);
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
    if (!PyArg_ParseTuple(args, "O|O:accept", &wrap, &to) || idk_parse_timeout(to, &timeout) < 0
            || (op = idk_op_new(s, OP_ACCEPT, IO_READ)) == NULL)
        return NULL;
    op->args = idk_newref(wrap);
    return idk_op_start(op, timeout);
}

/* connect(connect_ex, args[, timeout]) */
static PyObject *iosock_connect(IdkIoSock *s, PyObject *args)
{
    PyObject *func, *cargs, *to = NULL;
    double timeout;
    IdkIoOp *op;
    if (!PyArg_ParseTuple(args, "OO!|O:connect", &func, &PyTuple_Type, &cargs, &to)
            || idk_parse_timeout(to, &timeout) < 0
            || (op = idk_op_new(s, OP_CONNECT, IO_WRITE)) == NULL)
        return NULL;
    op->obj = idk_newref(func);
    op->args = idk_newref(cargs);
    return idk_op_start(op, timeout);
}

/* want_read/want_write: None, an exception class or a tuple of them. */
static int arg_want(PyObject *o, PyObject **out)
{
    Py_ssize_t i;
    *out = NULL;
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

/* call(write, func, args, timeout=None, want_read=None, want_write=None) */
static PyObject *iosock_call(IdkIoSock *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"write", "func", "args", "timeout", "want_read", "want_write", NULL};
    PyObject *func, *cargs, *to = NULL, *wr = NULL, *ww = NULL, *want[2];
    int write;
    double timeout;
    IdkIoOp *op;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "iOO!|OOO:call", kwlist, &write, &func,
                                     &PyTuple_Type, &cargs, &to, &wr, &ww)
            || idk_parse_timeout(to, &timeout) < 0 || arg_want(wr, &want[IO_READ]) < 0)
        return NULL;
    if (arg_want(ww, &want[IO_WRITE]) < 0
            || (op = idk_op_new(s, OP_CALL, write ? IO_WRITE : IO_READ)) == NULL) {
        Py_XDECREF(want[IO_READ]);
        Py_XDECREF(want[IO_WRITE]);
        return NULL;
    }
    op->flags = write ? IO_WRITE : IO_READ;
    op->obj = idk_newref(func);
    op->args = idk_newref(cargs);
    op->want[IO_READ] = want[IO_READ];
    op->want[IO_WRITE] = want[IO_WRITE];
    return idk_op_start(op, timeout);
}

PyMethodDef idk_sock_methods[] = {
    {"recv", (PyCFunction)(void (*)(void))iosock_recv, IDK_FAST_FLAGS,
     "recv(bufsize, flags=0[, timeout]) -> stream giving the bytes read (b'' at end of "
     "input); timeout left out: the socket's default"},
    {"recv_into", (PyCFunction)(void (*)(void))iosock_recv_into, IDK_FAST_FLAGS,
     "recv_into(buffer, nbytes=0, flags=0[, timeout]) -> stream giving the byte count"},
    {"send", (PyCFunction)(void (*)(void))iosock_send, IDK_FAST_FLAGS,
     "send(data, flags=0[, timeout]) -> stream giving the byte count sent"},
    {"sendall", (PyCFunction)(void (*)(void))iosock_sendall, IDK_FAST_FLAGS,
     "sendall(data, flags=0[, timeout]) -> stream; on failure op.sent counts what went out"},
    {"accept", (PyCFunction)iosock_accept, METH_VARARGS, "accept(wrap[, timeout]) -> stream"},
    {"connect", (PyCFunction)iosock_connect, METH_VARARGS,
     "connect(connect_ex, args[, timeout]) -> stream"},
    {"call", (PyCFunction)(void (*)(void))iosock_call, METH_VARARGS | METH_KEYWORDS,
     "call(write, func, args, timeout=None, want_read=None, want_write=None) -> stream "
     "retrying func(*args) on readiness: when it raises an instance of want_read (want_write) "
     "once the socket is readable (writable); a would-block errno waits for the own "
     "direction (write true: writable)"},
    {NULL, NULL, 0, NULL}
};
