/* stream.c: IdkStream, the base of every stream: the write-once result and its
 * listeners, the protocol dispatch over kinds, and the Python-visible methods
 * shared by all streams (fork, send, throw, next, result, |, await).
 *
 * Invariants:
 *  - r_state goes PENDING -> RETURNED|RAISED once; r_value is then owned.
 *  - Listeners are detached from the stream before they are called, and each
 *    is called exactly once (at once if the result is already set).
 *  - A Proxy has no protocol of its own: idk_stream_resolve() follows it.
 */
#include "core.h"

/* ---- results and listeners ------------------------------------------------- */

void idk_stream_init(IdkStream *s, const IdkKind *kind)
{
    s->kind = kind;
    s->r_state = IDK_PENDING;
    s->r_observed = 0;
    s->r_untracked = 0;
    s->r_single = 0;
    s->r_shared = 0;
    s->r_value = NULL;
    s->r_nlisteners = 0;
    s->r_caplisteners = 1;
    s->r_listeners = s->r_inl;
    s->weakreflist = NULL;
    idk_stats.streams++;
}

IdkStream *idk_stream_resolve_slow(IdkStream *s)
{
    int depth = 0;
    while (s->kind == &idk_proxy_kind) {
        IdkStream *target = ((IdkProxy *)s)->p_target;
        if (target == NULL || ++depth > 1000)
            break;
        s = target;
    }
    return s;
}

static void listeners_run(IdkStream *s)
{
    IdkListener *ls = s->r_listeners;
    int n = s->r_nlisteners, i;
    IdkListener one;
    if (n == 0)
        return;
    if (ls == s->r_inl) {
        one = s->r_inl[0];
        ls = &one;
    }
    s->r_listeners = s->r_inl;
    s->r_nlisteners = 0;
    s->r_caplisteners = 1;
    for (i = 0; i < n; i++) {
        ls[i].fn(s, ls[i].ctx);
        Py_XDECREF(ls[i].ctx);
    }
    if (ls != &one)
        PyMem_Free(ls);
}

/* Set the result once (single: r_value is the one returned value) and run
 * the listeners, which see it complete.  0 if it was already set. */
static int stream_settle(IdkStream *s, int state, PyObject *value, int single)
{
    s = idk_stream_resolve(s);
    if (s->r_state != IDK_PENDING)
        return 0;
    s->r_state = state;
    s->r_single = (unsigned char)single;
    s->r_value = idk_newref(value);
    Py_INCREF(s);
    listeners_run(s);
    Py_DECREF(s);
    return 1;
}

int idk_stream_finish(IdkStream *s, int state, PyObject *value)
{
    return stream_settle(s, state, value, 0);
}

int idk_stream_finish1(IdkStream *s, PyObject *value)
{
    return stream_settle(s, IDK_RETURNED, value, 1);
}

PyObject *idk_stream_value(IdkStream *s)
{
    s = idk_stream_resolve(s);
    if (s->r_single)
        return PyTuple_Pack(1, s->r_value);
    return idk_newref(s->r_value);
}

int idk_stream_finish_like(IdkStream *s, IdkStream *done)
{
    done = idk_stream_resolve(done);
    return stream_settle(s, done->r_state, done->r_value, done->r_single);
}

int idk_stream_return(IdkStream *s, PyObject *args)
{
    return idk_stream_finish(s, IDK_RETURNED, args);
}

int idk_stream_raise(IdkStream *s, PyObject *exc)
{
    return idk_stream_finish(s, IDK_RAISED, exc);
}

int idk_stream_listen(IdkStream *s, IdkListenFn fn, PyObject *ctx)
{
    s = idk_stream_resolve(s);
    s->r_observed = 1;
    if (s->r_state != IDK_PENDING) {
        fn(s, ctx);
        return 0;
    }
    if (s->r_nlisteners == s->r_caplisteners) {
        int cap = s->r_caplisteners * 2;
        IdkListener *ls = (IdkListener *)PyMem_Malloc(cap * sizeof(IdkListener));
        if (ls == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(ls, s->r_listeners, s->r_nlisteners * sizeof(IdkListener));
        if (s->r_listeners != s->r_inl)
            PyMem_Free(s->r_listeners);
        s->r_listeners = ls;
        s->r_caplisteners = cap;
    }
    s->r_listeners[s->r_nlisteners].fn = fn;
    s->r_listeners[s->r_nlisteners].ctx = idk_xnewref(ctx);
    s->r_nlisteners++;
    return 0;
}

void idk_stream_unlisten(IdkStream *s, IdkListenFn fn, PyObject *ctx)
{
    int i;
    s = idk_stream_resolve(s);
    for (i = 0; i < s->r_nlisteners; i++) {
        if (s->r_listeners[i].fn == fn && s->r_listeners[i].ctx == ctx) {
            PyObject *old = s->r_listeners[i].ctx;
            memmove(&s->r_listeners[i], &s->r_listeners[i + 1],
                    (s->r_nlisteners - i - 1) * sizeof(IdkListener));
            s->r_nlisteners--;
            Py_XDECREF(old);
            return;
        }
    }
}

/* ---- protocol dispatch --------------------------------------------------------- */

int idk_stream_attach(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    s = idk_stream_resolve(s);
    if (s->kind->attach == NULL)
        return 0;
    return s->kind->attach(s, m, sig, brk);
}

void idk_stream_detach(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    s = idk_stream_resolve(s);
    if (s->kind->detach != NULL)
        s->kind->detach(s, m, sig, brk);
}

IdkOutput *idk_stream_output(IdkStream *s)
{
    s = idk_stream_resolve(s);
    return s->kind->output != NULL ? s->kind->output(s) : NULL;
}

IdkChan *idk_stream_input(IdkStream *s, int which)
{
    s = idk_stream_resolve(s);
    return s->kind->input != NULL ? s->kind->input(s, which) : NULL;
}

/* ---- streams with their own channels -------------------------------------------- */

void idk_in_init(IdkInStream *s)
{
    int k;
    for (k = 0; k < IDK_NCHANS; k++)
        idk_chan_init(&s->in[k], &s->base, k);
}

int idk_in_attach(IdkStream *base, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    IdkInStream *s = (IdkInStream *)base;
    IdkChan *parents[IDK_NCHANS];
    int k;
    parents[IDK_MSGS] = m;
    parents[IDK_SIGS] = sig;
    parents[IDK_BROKEN] = brk;
    if (base->r_state != IDK_PENDING)
        return 0;
    for (k = 0; k < IDK_NCHANS; k++) {
        if (parents[k] != NULL && idk_chan_link(&s->in[k], parents[k]) < 0)
            return -1;
    }
    /* Whatever the new parents already hold may be for us (or our child):
     * look in priority order, signals, broken, then messages.  Only a parent
     * with something reachable pokes, so attaching many waiters to one
     * stream stays linear. */
    Py_INCREF(base);
    for (k = 0; k < IDK_NCHANS && base->r_state == IDK_PENDING; k++) {
        int kind = idk_chan_priority[k];
        IdkChan *holder = NULL;
        if (parents[kind] != NULL && idk_chan_peek(parents[kind], &holder) != NULL)
            idk_chan_poke(&s->in[kind]);
    }
    Py_DECREF(base);
    return 0;
}

void idk_in_detach(IdkStream *base, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    IdkInStream *s = (IdkInStream *)base;
    if (m != NULL)
        idk_chan_unlink(&s->in[IDK_MSGS], m);
    if (sig != NULL)
        idk_chan_unlink(&s->in[IDK_SIGS], sig);
    if (brk != NULL)
        idk_chan_unlink(&s->in[IDK_BROKEN], brk);
}

IdkChan *idk_in_input(IdkStream *base, int which)
{
    return &((IdkInStream *)base)->in[which];
}

void idk_in_unwatch(IdkInStream *s)
{
    int k;
    for (k = 0; k < IDK_NCHANS; k++)
        s->in[k].c_watch = 0;
}

void idk_in_finish(IdkInStream *s, int state, PyObject *value)
{
    idk_in_clear(s);
    idk_stream_finish(&s->base, state, value);
}

int idk_in_traverse(IdkInStream *s, visitproc visit, void *arg)
{
    int k;
    for (k = 0; k < IDK_NCHANS; k++) {
        int r = idk_chan_traverse(&s->in[k], visit, arg);
        if (r)
            return r;
    }
    return 0;
}

IdkMsg *idk_in_take(IdkInStream *s, int with_msgs, int which)
{
    int i;
    (void)which;
    for (i = 0; i < IDK_NCHANS; i++) {
        IdkChan *holder = NULL;
        IdkMsg *m;
        int kind = idk_chan_priority[i];
        if (kind == IDK_MSGS && !with_msgs)
            continue;
        m = idk_chan_peek(&s->in[kind], &holder);
        if (m != NULL)
            return idk_chan_take(holder);
    }
    return NULL;
}

/* ---- helpers ------------------------------------------------------------------------ */

PyObject *idk_peel(PyObject *args)
{
    Py_ssize_t n;
    if (!PyTuple_Check(args))
        return idk_newref(args);
    n = PyTuple_GET_SIZE(args);
    if (n == 0)
        Py_RETURN_NONE;
    if (n == 1)
        return idk_newref(PyTuple_GET_ITEM(args, 0));
    return idk_newref(args);
}

PyObject *idk_exc_new(PyObject *cls, PyObject *args)
{
    PyObject *value = PyObject_Call(cls, args, NULL), *exc;
    if (value == NULL)
        return NULL;
    exc = idk_exc_from_value(value);
    Py_DECREF(value);
    return exc;
}

PyObject *idk_exc_from_returned(PyObject *cls, IdkStream *done)
{
    PyObject *args = idk_stream_value(done), *exc;
    if (args == NULL)
        return NULL;
    exc = idk_exc_new(cls, args);
    Py_DECREF(args);
    return exc;
}

static int is_exc_class(PyObject *o)
{
    return PyType_Check(o) && PyType_IsSubtype((PyTypeObject *)o,
                                               (PyTypeObject *)PyExc_BaseException);
}

/* throw() accepts: an instance; a class; (class, value[, tb]); nothing (then
 * the exception being handled).  Anything else is a TypeError. */
PyObject *idk_exc_from_throw_args(PyObject *args)
{
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    PyObject *first, *value = NULL, *exc = NULL;
    if (n == 0) {
        PyObject *info = PySys_GetObject("exc_info");   /* borrowed */
        PyObject *t = info ? PyObject_CallObject(info, NULL) : NULL;
        if (t == NULL)
            return NULL;
        if (PyTuple_GET_ITEM(t, 0) == Py_None) {
            Py_DECREF(t);
            PyErr_SetString(PyExc_TypeError,
                            "throw() without arguments outside an except block");
            return NULL;
        }
        exc = idk_exc_from_throw_args(t);
        Py_DECREF(t);
        return exc;
    }
    first = PyTuple_GET_ITEM(args, 0);
    if (PyExceptionInstance_Check(first)) {
        value = idk_newref(first);
    } else if (is_exc_class(first)) {
        PyObject *second = n > 1 ? PyTuple_GET_ITEM(args, 1) : Py_None;
        if (PyExceptionInstance_Check(second))
            value = idk_newref(second);
        else if (second == Py_None)
            value = PyObject_CallObject(first, NULL);
        else if (PyTuple_Check(second))
            value = PyObject_CallObject(first, second);
        else
            value = PyObject_CallFunctionObjArgs(first, second, NULL);
        if (value == NULL)
            return NULL;
    } else {
        PyErr_Format(PyExc_TypeError,
                     "exceptions must be exception classes or instances, not %.200s",
                     Py_TYPE(first)->tp_name);
        return NULL;
    }
    exc = idk_exc_with_tb(value, n > 2 ? PyTuple_GET_ITEM(args, 2) : NULL);
    Py_DECREF(value);
    return exc;
}

/* ---- the result view: s.result() ------------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    IdkStream *rv_stream;
} ResultView;

static void rv_dealloc(ResultView *rv)
{
    Py_XDECREF(rv->rv_stream);
    PyObject_Del(rv);
}

static PyObject *rv_is_set(ResultView *rv, PyObject *unused)
{
    (void)unused;
    return PyBool_FromLong(idk_stream_resolve(rv->rv_stream)->r_state != IDK_PENDING);
}

/* (throw, args) as the original's Value held; ValueError while unset. */
static PyObject *rv_get(ResultView *rv, PyObject *unused)
{
    IdkStream *s = idk_stream_resolve(rv->rv_stream);
    (void)unused;
    if (s->r_state == IDK_PENDING) {
        PyErr_SetString(PyExc_ValueError, "value not set");
        return NULL;
    }
    if (s->r_state == IDK_RETURNED) {
        PyObject *args = idk_stream_value(s), *r;
        r = args ? Py_BuildValue("(OO)", Py_False, args) : NULL;
        Py_XDECREF(args);
        return r;
    }
    {
        PyObject *info = idk_exc_info(s->r_value), *r;
        r = info ? Py_BuildValue("(OO)", Py_True, info) : NULL;
        Py_XDECREF(info);
        return r;
    }
}

static PyMethodDef rv_methods[] = {
    {"unsafe_is_set", (PyCFunction)rv_is_set, METH_NOARGS, "Is the result set?"},
    {"is_set", (PyCFunction)rv_is_set, METH_NOARGS, "Is the result set?"},
    {"unsafe_get", (PyCFunction)rv_get, METH_NOARGS, "(throw, args) of the result."},
    {"get", (PyCFunction)rv_get, METH_NOARGS, "(throw, args) of the result."},
    {NULL, NULL, 0, NULL}
};

static PyTypeObject ResultView_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "idiokit._core.Result",
    .tp_basicsize = sizeof(ResultView),
    .tp_dealloc = (destructor)rv_dealloc,
};

/* ---- Python-visible methods ------------------------------------------------------------- */

static PyObject *stream_fork(IdkStream *self, PyObject *unused)
{
    (void)unused;
    return idk_fork_new(self);
}

static PyObject *stream_send(IdkStream *self, PyObject *args)
{
    return idk_delivery_new(self, IDK_MSGS, 0, args);
}

static PyObject *stream_throw(IdkStream *self, PyObject *args)
{
    PyObject *exc = idk_exc_from_throw_args(args), *r;
    if (exc == NULL)
        return NULL;
    r = idk_delivery_new(self, IDK_SIGS, 1, exc);
    Py_DECREF(exc);
    return r;
}

/* s.next(): Event() | s.fork() | Next(), as the original. */
static PyObject *stream_next(IdkStream *self, PyObject *unused)
{
    PyObject *ev = NULL, *fork = NULL, *nx = NULL, *p1 = NULL, *p2 = NULL;
    (void)unused;
    if ((ev = idk_event_new()) == NULL)
        goto done;
    if ((fork = idk_fork_new(self)) == NULL)
        goto done;
    if ((nx = idk_next_new()) == NULL)
        goto done;
    if ((p1 = idk_pipe_new((IdkStream *)ev, (IdkStream *)fork)) == NULL)
        goto done;
    p2 = idk_pipe_new((IdkStream *)p1, (IdkStream *)nx);
done:
    Py_XDECREF(ev);
    Py_XDECREF(fork);
    Py_XDECREF(nx);
    Py_XDECREF(p1);
    return p2;
}

static PyObject *stream_result(IdkStream *self, PyObject *unused)
{
    ResultView *rv = IDK_ALLOC(ResultView, &ResultView_Type);
    (void)unused;
    if (rv == NULL)
        return NULL;
    rv->rv_stream = (IdkStream *)idk_newref((PyObject *)self);
    idk_stream_resolve(self)->r_observed = 1;
    return (PyObject *)rv;
}

/* (state, value): 0 pending; 1 returned with the args tuple; 2 raised with
 * the exception (an instance on Python 3, a (type, value, tb) on Python 2). */
static PyObject *stream_outcome(IdkStream *self, PyObject *unused)
{
    IdkStream *s = idk_stream_resolve(self);
    PyObject *value, *r;
    (void)unused;
    s->r_observed = 1;
    if (s->r_state == IDK_PENDING)
        return Py_BuildValue("(iO)", s->r_state, Py_None);
    if ((value = idk_stream_value(s)) == NULL)
        return NULL;
    r = Py_BuildValue("(iO)", s->r_state, value);
    Py_DECREF(value);
    return r;
}

PyObject *idk_await_new(PyObject *stream);

static PyObject *stream_await(IdkStream *self)
{
    return idk_await_new((PyObject *)self);
}

static PyObject *stream_or(PyObject *a, PyObject *b)
{
    if (!IdkStream_Check(a)) {
        idk_err_repr(PyExc_TypeError, "expected a stream, got ", a, "");
        return NULL;
    }
    if (!IdkStream_Check(b)) {
        idk_err_repr(PyExc_TypeError, "expected a stream, got ", b, "");
        return NULL;
    }
    return idk_pipe_new((IdkStream *)a, (IdkStream *)b);
}

static PyMethodDef stream_methods[] = {
    {"fork", (PyCFunction)stream_fork, METH_NOARGS,
     "fork(): a view of this stream that can be piped or yielded without exposing it."},
    {"send", (PyCFunction)stream_send, METH_VARARGS,
     "send(*args): a stream that puts one message into this stream's input and ends "
     "when it is consumed."},
    {"throw", (PyCFunction)stream_throw, METH_VARARGS,
     "throw(*exc): a stream that raises an exception (an instance, a class, or type, "
     "value, traceback; none: the one being handled) at this stream's innermost yield."},
    {"next", (PyCFunction)stream_next, METH_NOARGS,
     "next(): a stream that takes the next message this stream outputs."},
    {"result", (PyCFunction)stream_result, METH_NOARGS,
     "result(): the result cell: is_set(), get(), unsafe_is_set(), unsafe_get()."},
    {"_outcome", (PyCFunction)stream_outcome, METH_NOARGS,
     "(state, value) of the result."},
    {NULL, NULL, 0, NULL}
};

void idk_stream_base_clear(IdkStream *s)
{
    int i, n = s->r_nlisteners;
    IdkListener *ls = s->r_listeners;
    s->r_nlisteners = 0;
    for (i = 0; i < n; i++)
        Py_XDECREF(ls[i].ctx);
    if (ls != s->r_inl)
        PyMem_Free(ls);
    s->r_listeners = s->r_inl;
    s->r_caplisteners = 1;
    Py_CLEAR(s->r_value);
}

int idk_stream_base_traverse(IdkStream *s, visitproc visit, void *arg)
{
    int i;
    for (i = 0; i < s->r_nlisteners; i++)
        Py_VISIT(s->r_listeners[i].ctx);
    Py_VISIT(s->r_value);
    return 0;
}

void idk_stream_base_release(IdkStream *s)
{
    if (s->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)s);
    idk_stream_base_clear(s);
    idk_stats.streams--;
}

void idk_stream_base_dealloc(IdkStream *s)
{
    idk_stream_base_release(s);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyNumberMethods stream_as_number;
IDK_DECLARE_ASYNC(stream_as_async);

PyTypeObject IdkStream_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "idiokit.Stream",
    .tp_basicsize = sizeof(IdkStream),
};

int idk_stream_types_ready(void)
{
    ResultView_Type.tp_flags = IDK_TPFLAGS_DEFAULT;
    ResultView_Type.tp_methods = rv_methods;
    ResultView_Type.tp_doc = "The result of a stream (the original's Value).";
    if (PyType_Ready(&ResultView_Type) < 0)
        return -1;
    stream_as_number.nb_or = stream_or;
    IDK_SET_AWAIT(IdkStream_Type, stream_as_async, stream_await);
    IdkStream_Type.tp_as_number = &stream_as_number;
    IdkStream_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | IDK_TPFLAGS_CHECKTYPES;
    IdkStream_Type.tp_methods = stream_methods;
    IdkStream_Type.tp_weaklistoffset = offsetof(IdkStream, weakreflist);
    IdkStream_Type.tp_doc = "The base of every stream.";
    return PyType_Ready(&IdkStream_Type);
}
