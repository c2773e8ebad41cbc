/* sockobj.c: IoSocket, a non-blocking socket fd with its two watchers and
 * its two queues of waiting operations (sockop.c), and the module set-up of
 * the socket files.
 *
 * An IoSocket (_core.IoSocket(owner, fd)) holds a non-blocking fd that its
 * `owner` (a stdlib _socket.socket) owns and closes.  idiokit.socket.Socket
 * subclasses it.
 *
 * Invariants:
 *  - One read and one write ev_io watcher for the socket's life; w[d] is
 *    active iff ops wait in direction d (head[d] != NULL), and every active
 *    watcher is counted in idk_stats.watchers.
 *  - Readiness only wakes the waiters (idk_op_on_ready); no syscall of an
 *    operation is made here.
 *  - close() wakes every waiter with SocketError(EBADF, "socket is closed"),
 *    stops both watchers, then closes the owner once; later ops fail the
 *    same way.  The fd itself is only ever closed by the owner.
 *  - Every subclass gets descriptors of its own for the per-call methods
 *    (__init_subclass__): CPython specialises a call of a C method only
 *    when the descriptor's type is the instance's exact type.
 */
#include "sock.h"
#include <errno.h>

void idk_sock_watch(IdkIoSock *s, int dir, int on)
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

/* Readiness wakes the waiters.  EV_ERROR means libev could not watch the fd
 * (a failed epoll_ctl: libev stopped the watcher itself): the waiters in that
 * direction fail with the syscall's errno, which nothing since has reset (a
 * successful poll leaves it), or EIO if it no longer names the failure. */
static void sock_on_ready(struct ev_loop *ev, ev_io *w, int revents)
{
    IdkIoSock *s = (IdkIoSock *)w->data;
    int dir = w == &s->w[IO_READ] ? IO_READ : IO_WRITE, err = errno;
    (void)ev;
    if (revents & EV_ERROR) {
        if (s->active[dir]) {
            s->active[dir] = 0;
            idk_stats.watchers--;
        }
        Py_INCREF(s);
        idk_op_fail_dir(s, dir, err != 0 && !idk_errno_would_block(err) ? err : EIO, NULL);
        Py_DECREF(s);
        return;
    }
    idk_op_on_ready(s, dir);
}

static PyObject *iosock_close(IdkIoSock *s, PyObject *unused)
{
    PyObject *owner, *r;
    int d;
    (void)unused;
    if (s->closed)
        Py_RETURN_NONE;
    s->closed = 1;
    Py_INCREF(s);
    for (d = 0; d < 2; d++) {
        idk_op_fail_dir(s, d, EBADF, "socket is closed");
        idk_sock_watch(s, d, 0);
    }
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

/* _attach(owner, fd): start managing fd, once.  IoSocket(owner, fd) does it
 * at creation; a subclass is created closed and calls it from __init__. */
static PyObject *iosock_attach(IdkIoSock *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"owner", "fd", NULL};
    PyObject *owner;
    int fd, d;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "Oi:IoSocket", kwlist, &owner, &fd))
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
    for (d = 0; d < 2; d++) {
        ev_io_init(&s->w[d], sock_on_ready, fd, d == IO_READ ? EV_READ : EV_WRITE);
        s->w[d].data = s;
    }
    Py_RETURN_NONE;
}

static PyObject *iosock_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    IdkIoSock *s = (IdkIoSock *)type->tp_alloc(type, 0);
    PyObject *r;
    if (s == NULL)
        return NULL;
    s->fd = -1;
    s->closed = 1;
    s->timeout = -1.0;
    if (type != &IdkIoSock_Type)
        return (PyObject *)s;
    if ((r = iosock_attach(s, args, kw)) == NULL) {
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
    return idk_parse_timeout(value, &s->timeout);
}

static PyObject *iosock_settimeout(IdkIoSock *s, PyObject *value)
{
    if (iosock_set_timeout(s, value, NULL) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static void iosock_dealloc(IdkIoSock *s)
{
    /* No op can be queued: each queued op holds a reference. */
    idk_sock_watch(s, IO_READ, 0);
    idk_sock_watch(s, IO_WRITE, 0);
    Py_XDECREF(s->owner);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

/* Whether cls gets `name` from IoSocket's C methods: the first class of its
 * MRO that defines it holds a C method descriptor (not a Python override). */
static int inherits_c_method(PyTypeObject *cls, const char *name)
{
    PyObject *mro = cls->tp_mro, *ours = PyDict_GetItemString(IdkIoSock_Type.tp_dict, name);
    Py_ssize_t i;
    for (i = 0; ours != NULL && mro != NULL && i < PyTuple_GET_SIZE(mro); i++) {
        PyObject *dict = ((PyTypeObject *)PyTuple_GET_ITEM(mro, i))->tp_dict;
        PyObject *v = dict != NULL ? PyDict_GetItemString(dict, name) : NULL;
        if (v != NULL)      /* a descriptor of the same type as IoSocket's own */
            return Py_TYPE(v) == Py_TYPE(ours);
    }
    return 0;
}

/* cls gets its own descriptors of the per-call methods of defs it inherits
 * (see the invariants); one it overrides is left alone. */
int idk_sock_own_descriptors(PyObject *cls, PyMethodDef *defs)
{
    PyMethodDef *def;
    for (def = defs; def->ml_name != NULL; def++) {
        PyObject *descr;
        int r;
        if (def->ml_flags != IDK_FAST_FLAGS || !inherits_c_method((PyTypeObject *)cls, def->ml_name))
            continue;
        if ((descr = PyDescr_NewMethod((PyTypeObject *)cls, def)) == NULL)
            return -1;
        r = PyObject_SetAttrString(cls, def->ml_name, descr);
        Py_DECREF(descr);
        if (r < 0)
            return -1;
    }
    return 0;
}

/* __init_subclass__: idk_sock_own_descriptors.  Python 2 has no such hook,
 * and no specialisation to lose. */
static PyObject *iosock_init_subclass(PyObject *cls, PyObject *args, PyObject *kw)
{
    if (PyTuple_GET_SIZE(args) != 0 || (kw != NULL && PyDict_Size(kw) != 0)) {
        PyErr_SetString(PyExc_TypeError, "IoSocket.__init_subclass__() takes no arguments");
        return NULL;
    }
    if (idk_sock_own_descriptors(cls, idk_sock_methods) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef iosock_own_methods[] = {
    {"_attach", (PyCFunction)(void (*)(void))iosock_attach, METH_VARARGS | METH_KEYWORDS,
     "_attach(owner, fd): manage fd (once)"},
    {"close", (PyCFunction)iosock_close, METH_NOARGS,
     "Wake every waiter with an error, stop watching, close the owner."},
    {"fileno", (PyCFunction)iosock_fileno, METH_NOARGS, "The socket's fd; -1 once closed."},
    {"settimeout", (PyCFunction)iosock_settimeout, METH_O,
     "settimeout(t): the default timeout of the waiting operations (None: forever)"},
    {"__init_subclass__", (PyCFunction)(void (*)(void))iosock_init_subclass,
     METH_VARARGS | METH_KEYWORDS | METH_CLASS, NULL},
    {NULL, NULL, 0, NULL}
};

static PyGetSetDef iosock_getset[] = {
    {"closed", (getter)iosock_get_closed, NULL, "True once the socket is closed", NULL},
    {"waiting", (getter)iosock_get_waiting, NULL, "number of queued operations", NULL},
    {"timeout", (getter)iosock_get_timeout, (setter)iosock_set_timeout,
     "default timeout of the waiting operations (None: wait forever)", NULL},
    {NULL, NULL, NULL, NULL, NULL}
};

PyTypeObject IdkIoSock_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.IoSocket", .tp_basicsize = sizeof(IdkIoSock)
};

/* The type's methods: the operations (sockcalls.c) and its own. */
static PyMethodDef iosock_methods[32];

static int methods_join(void)
{
    int n = 0, i;
    for (i = 0; idk_sock_methods[i].ml_name != NULL; i++)
        iosock_methods[n++] = idk_sock_methods[i];
    for (i = 0; iosock_own_methods[i].ml_name != NULL; i++)
        iosock_methods[n++] = iosock_own_methods[i];
    return n < (int)(sizeof(iosock_methods) / sizeof(iosock_methods[0])) ? 0 : -1;
}

int idk_select_module_init(PyObject *m);
int idk_timeout_module_init(PyObject *m);

int idk_socket_module_init(PyObject *m)
{
    if (methods_join() < 0) {
        PyErr_SetString(PyExc_SystemError, "IoSocket: too many methods");
        return -1;
    }
    IdkIoSock_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE;
    IdkIoSock_Type.tp_new = iosock_new;
    IdkIoSock_Type.tp_dealloc = (destructor)iosock_dealloc;
    IdkIoSock_Type.tp_methods = iosock_methods;
    IdkIoSock_Type.tp_getset = iosock_getset;
    IdkIoSock_Type.tp_doc = "IoSocket(owner, fd): the watchers and operation queues of a "
                            "non-blocking socket fd that owner owns.";
    if (PyType_Ready(&IdkIoSock_Type) < 0 || idk_op_type_init() < 0
            || idk_sock_errors_init(m) < 0 || idk_timeout_module_init(m) < 0)
        return -1;
    Py_INCREF(&IdkIoSock_Type);
    if (PyModule_AddObject(m, "IoSocket", (PyObject *)&IdkIoSock_Type) < 0
            || idk_tls_type_init(m) < 0)
        return -1;
    return idk_select_module_init(m);
}
