/* socktls.c: TlsSocket, the IoSocket under idiokit.ssl's SSLSocket: its
 * recv, recv_into, send and sendall are C methods, each one IoSocket `call`
 * op (sockop.c) of the stdlib ssl object's own read or write.  TLS itself
 * stays the standard ssl module's: nothing here reads a record or a byte of
 * OpenSSL's; idiokit.ssl makes the ssl object and hands its read and write
 * over once (_tls_set).
 *
 * Invariants:
 *  - A recv/send on a TLS socket runs no Python code of idiokit's: the
 *    method makes the op, the op tries read/write at once (the core's I/O
 *    model) and waits for the readiness the ssl object's SSLWantReadError /
 *    SSLWantWriteError names, then retries in the waiting task's turn.
 *  - A read asks for at most one TLS record's plaintext (16 KiB): OpenSSL
 *    gives no more per call, and the ssl module allocates the size asked for.
 *    A send writes at most one record's worth; sendall writes all of it (the
 *    ssl module writes whole buffers) and gives None.
 *  - The socket owns its references to read, write and the two exception
 *    classes from _tls_set until it is freed (close leaves them: a later op
 *    fails on the closed socket before it calls them).
 *  - Subclasses get descriptors of their own for these methods, as
 *    IoSocket's (sockobj.c): CPython specialises a C method call only when
 *    the descriptor's type is the instance's exact type.
 */
#include "sock.h"

#define TLS_RECORD (16 * 1024)     /* a TLS record's plaintext at most */

typedef struct {
    IdkIoSock base;
    PyObject *read;                 /* read(n[, buffer]) of the ssl object (or a wrapper) */
    PyObject *write_all;            /* write(data), giving None (a C function) */
    PyObject *write;                /* write(data) of the ssl object */
    PyObject *want[2];              /* SSLWantReadError, SSLWantWriteError */
    PyObject *read_args;            /* (TLS_RECORD,): the common read's arguments */
} IdkTlsSock;

static PyTypeObject IdkTlsSock_Type;

/* write_all(data): self is the ssl object's write; None once all is out. */
static PyObject *tls_write_all(PyObject *write, PyObject *data)
{
    PyObject *r = PyObject_CallFunctionObjArgs(write, data, NULL);
    if (r == NULL)
        return NULL;
    Py_DECREF(r);
    Py_RETURN_NONE;
}

static PyMethodDef tls_write_all_def = {"write_all", tls_write_all, METH_O, NULL};

/* _tls_set(read, write, want_read, want_write), once. */
static PyObject *tls_set(IdkTlsSock *s, PyObject *args)
{
    PyObject *read, *write, *wr, *ww;
    if (!PyArg_ParseTuple(args, "OOOO:_tls_set", &read, &write, &wr, &ww))
        return NULL;
    if (!PyCallable_Check(read) || !PyCallable_Check(write)
            || !PyExceptionClass_Check(wr) || !PyExceptionClass_Check(ww)) {
        PyErr_SetString(PyExc_TypeError, "_tls_set(read, write, want_read, want_write): two "
                        "callables and two exception classes");
        return NULL;
    }
    if (s->read != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "TLS already set up on this socket");
        return NULL;
    }
    if ((s->read_args = Py_BuildValue("(n)", (Py_ssize_t)TLS_RECORD)) == NULL
            || (s->write_all = PyCFunction_New(&tls_write_all_def, write)) == NULL) {
        Py_CLEAR(s->read_args);
        return NULL;
    }
    s->read = idk_newref(read);
    s->write = idk_newref(write);
    s->want[IO_READ] = idk_newref(wr);
    s->want[IO_WRITE] = idk_newref(ww);
    Py_RETURN_NONE;
}

/* ---- the methods ------------------------------------------------------------------------ */

static int tls_ready(IdkTlsSock *s, int flags)
{
    if (flags != 0) {
        PyErr_SetString(PyExc_ValueError, "flags not supported by SSL sockets");
        return -1;
    }
    if (s->read == NULL) {
        PyErr_SetString(PyExc_ValueError, "TLS not set up on this socket");
        return -1;
    }
    return 0;
}

/* The op calling func(*args) (args stolen) in direction dir, or at once an
 * op giving `now` (stolen) if it is not NULL. */
static PyObject *tls_op(IdkTlsSock *s, int dir, PyObject *func, PyObject *args, double timeout,
                        PyObject *now)
{
    IdkIoOp *op;
    if (args == NULL || (op = idk_op_new(&s->base, OP_CALL, dir)) == NULL) {
        Py_XDECREF(args);
        Py_XDECREF(now);
        return NULL;
    }
    op->flags = dir;
    if (now != NULL) {
        Py_DECREF(args);
        idk_op_return1(op, now);
        return (PyObject *)op;
    }
    op->obj = idk_newref(func);
    op->args = args;
    op->want[IO_READ] = idk_newref(s->want[IO_READ]);
    op->want[IO_WRITE] = idk_newref(s->want[IO_WRITE]);
    return idk_op_start(op, timeout);
}

/* recv(bufsize, flags=0, timeout=<default>): up to bufsize bytes of plaintext (one record's at
 * most); b"" at the end. */
static PyObject *tls_recv_impl(IdkTlsSock *s, PyObject *const *args, Py_ssize_t nargs, IdkKw kw)
{
    static const char *const names[] = {"bufsize", "flags", "timeout"};
    PyObject *a[3], *cargs;
    Py_ssize_t size = 0;
    int flags = 0;
    double timeout;
    if (args_by_name(args, nargs, kw, "recv", names, 3, 1, a) < 0
            || arg_size(a[0], "recv", &size) < 0 || arg_int(a[1], &flags) < 0
            || tls_ready(s, flags) < 0 || arg_timeout(&s->base, a[2], &timeout) < 0)
        return NULL;
    if (size >= TLS_RECORD)
        cargs = idk_newref(s->read_args);
    else
        cargs = Py_BuildValue("(n)", size);
    return tls_op(s, IO_READ, s->read, cargs, timeout,
                  size == 0 ? PyBytes_FromStringAndSize("", 0) : NULL);
}

/* recv_into(buffer, nbytes=0, flags=0, timeout=<default>): the count read into buffer. */
static PyObject *tls_recv_into_impl(IdkTlsSock *s, PyObject *const *args, Py_ssize_t nargs,
                                    IdkKw kw)
{
    static const char *const names[] = {"buffer", "nbytes", "flags", "timeout"};
    PyObject *a[4];
    Py_buffer view;
    Py_ssize_t nbytes = 0;
    int flags = 0;
    double timeout;
    if (args_by_name(args, nargs, kw, "recv_into", names, 4, 1, a) < 0
            || arg_size(a[1], "recv_into", &nbytes) < 0
            || arg_int(a[2], &flags) < 0 || tls_ready(s, flags) < 0
            || arg_timeout(&s->base, a[3], &timeout) < 0)
        return NULL;
    if (PyObject_GetBuffer(a[0], &view, PyBUF_WRITABLE) < 0) {
        if (PyErr_ExceptionMatches(PyExc_BufferError)) {
            PyErr_Clear();      /* as the stdlib (and the plain socket) say it */
            PyErr_Format(PyExc_TypeError, "recv_into() argument 'buffer' must be read-write "
                         "bytes-like object, not %.100s", Py_TYPE(a[0])->tp_name);
        }
        return NULL;
    }
    if (nbytes == 0 || nbytes > view.len)
        nbytes = view.len;
    PyBuffer_Release(&view);
    return tls_op(s, IO_READ, s->read, Py_BuildValue("(nO)", nbytes, a[0]), timeout,
                  nbytes == 0 ? PyLong_FromLong(0) : NULL);
}

/* The data a send takes (new reference): bytes, bytearray or memoryview (a
 * Python 2 buffer as bytes), never text. */
static PyObject *tls_data(PyObject *data)
{
    if (PyBytes_Check(data) || PyByteArray_Check(data) || PyMemoryView_Check(data))
        return idk_newref(data);
#if !IDK_PY3
    if (PyBuffer_Check(data))
        return PyObject_Str(data);
#endif
    PyErr_Format(PyExc_TypeError, "data must be bytes or a buffer, not %.100s",
                 Py_TYPE(data)->tp_name);
    return NULL;
}

/* Of data, the first TLS_RECORD bytes at most (a memoryview if it is longer). */
static PyObject *tls_first_record(PyObject *data)
{
    PyObject *view, *part;
    if (PyObject_Size(data) <= TLS_RECORD)
        return PyErr_Occurred() ? NULL : idk_newref(data);
    if ((view = PyMemoryView_FromObject(data)) == NULL)
        return NULL;
    part = PySequence_GetSlice(view, 0, TLS_RECORD);
    Py_DECREF(view);
    return part;
}

/* send/sendall(data, flags=0, timeout=<default>) */
static PyObject *tls_send_common(IdkTlsSock *s, PyObject *const *args, Py_ssize_t nargs,
                                 IdkKw kw, int all)
{
    static const char *const names[] = {"data", "flags", "timeout"};
    PyObject *a[3], *data, *cargs;
    int flags = 0;
    double timeout;
    if (args_by_name(args, nargs, kw, all ? "sendall" : "send", names, 3, 1, a) < 0
            || arg_int(a[1], &flags) < 0 || tls_ready(s, flags) < 0
            || arg_timeout(&s->base, a[2], &timeout) < 0 || (data = tls_data(a[0])) == NULL)
        return NULL;
    if (!all) {
        PyObject *part = tls_first_record(data);
        Py_DECREF(data);
        if ((data = part) == NULL)
            return NULL;
    }
    cargs = PyTuple_Pack(1, data);
    Py_DECREF(data);
    return tls_op(s, IO_WRITE, all ? s->write_all : s->write, cargs, timeout, NULL);
}

static PyObject *tls_send_impl(IdkTlsSock *s, PyObject *const *args, Py_ssize_t nargs, IdkKw kw)
{
    return tls_send_common(s, args, nargs, kw, 0);
}

static PyObject *tls_sendall_impl(IdkTlsSock *s, PyObject *const *args, Py_ssize_t nargs,
                                  IdkKw kw)
{
    return tls_send_common(s, args, nargs, kw, 1);
}

IDK_FAST_METHOD(tls_recv, tls_recv_impl, IdkTlsSock)
IDK_FAST_METHOD(tls_recv_into, tls_recv_into_impl, IdkTlsSock)
IDK_FAST_METHOD(tls_send, tls_send_impl, IdkTlsSock)
IDK_FAST_METHOD(tls_sendall, tls_sendall_impl, IdkTlsSock)

#define TLS_FAST(f) ((PyCFunction)(void (*)(void))(f))

static PyMethodDef tls_io_methods[] = {
    {"recv", TLS_FAST(tls_recv), IDK_FAST_FLAGS,
     "recv(bufsize, flags=0[, timeout]) -> stream giving up to bufsize bytes of plaintext "
     "(one TLS record's at most); b'' at the end (close_notify, or a close without it)"},
    {"recv_into", TLS_FAST(tls_recv_into), IDK_FAST_FLAGS,
     "recv_into(buffer, nbytes=0, flags=0[, timeout]) -> stream giving the count of plaintext "
     "bytes read into buffer"},
    {"send", TLS_FAST(tls_send), IDK_FAST_FLAGS,
     "send(data, flags=0[, timeout]) -> stream writing up to 16 KiB of data; gives the count"},
    {"sendall", TLS_FAST(tls_sendall), IDK_FAST_FLAGS,
     "sendall(data, flags=0[, timeout]) -> stream writing all of data; the timeout covers all"},
    {NULL, NULL, 0, NULL}
};

/* ---- the type ---------------------------------------------------------------------------- */

#if IDK_PY3
/* __init_subclass__: IoSocket's, then descriptors of the subclass's own for
 * the TLS methods it inherits (IoSocket's hook gives it the plain ones). */
static PyObject *tls_init_subclass(PyObject *cls, PyObject *args, PyObject *kw)
{
    PyObject *hook = PyDict_GetItemString(IdkIoSock_Type.tp_dict, "__init_subclass__"), *bound, *r;
    if (hook == NULL || Py_TYPE(hook)->tp_descr_get == NULL) {
        PyErr_SetString(PyExc_SystemError, "IoSocket.__init_subclass__ missing");
        return NULL;
    }
    if ((bound = Py_TYPE(hook)->tp_descr_get(hook, NULL, cls)) == NULL)
        return NULL;
    r = PyObject_Call(bound, args, kw);
    Py_DECREF(bound);
    if (r == NULL)
        return NULL;
    Py_DECREF(r);
    if (idk_sock_own_descriptors(cls, tls_io_methods) < 0)
        return NULL;
    Py_RETURN_NONE;
}
#endif

static void tls_dealloc(IdkTlsSock *s)
{
    Py_CLEAR(s->read);
    Py_CLEAR(s->write_all);
    Py_CLEAR(s->write);
    Py_CLEAR(s->want[IO_READ]);
    Py_CLEAR(s->want[IO_WRITE]);
    Py_CLEAR(s->read_args);
    IdkIoSock_Type.tp_dealloc((PyObject *)s);
}

static PyMethodDef tls_methods[8];

static PyMethodDef tls_own_methods[] = {
    {"_tls_set", (PyCFunction)tls_set, METH_VARARGS,
     "_tls_set(read, write, want_read, want_write): the ssl object's read and write, and the "
     "exceptions meaning 'wait until readable' and 'wait until writable' (once)"},
#if IDK_PY3
    {"__init_subclass__", (PyCFunction)(void (*)(void))tls_init_subclass,
     METH_VARARGS | METH_KEYWORDS | METH_CLASS, NULL},
#endif
    {NULL, NULL, 0, NULL}
};

static PyTypeObject IdkTlsSock_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.TlsSocket",
    .tp_basicsize = sizeof(IdkTlsSock)
};

int idk_tls_type_init(PyObject *m)
{
    int n = 0, i;
    for (i = 0; tls_io_methods[i].ml_name != NULL; i++)
        tls_methods[n++] = tls_io_methods[i];
    for (i = 0; tls_own_methods[i].ml_name != NULL; i++)
        tls_methods[n++] = tls_own_methods[i];
    IdkTlsSock_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE;
    IdkTlsSock_Type.tp_base = &IdkIoSock_Type;
    IdkTlsSock_Type.tp_dealloc = (destructor)tls_dealloc;
    IdkTlsSock_Type.tp_methods = tls_methods;
    IdkTlsSock_Type.tp_doc = "TlsSocket: an IoSocket whose recv, recv_into, send and sendall "
                             "are the ssl object's read and write given to _tls_set "
                             "(idiokit.ssl.SSLSocket's base).";
    if (PyType_Ready(&IdkTlsSock_Type) < 0)
        return -1;
    Py_INCREF(&IdkTlsSock_Type);
    return PyModule_AddObject(m, "TlsSocket", (PyObject *)&IdkTlsSock_Type);
}
