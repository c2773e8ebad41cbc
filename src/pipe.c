/* pipe.c: the composite streams: Pipe (a | b), Fork (s.fork()) and Proxy.
 *
 * Pipe(left, right), as the original's pipe pair:
 *  - left's output is pushed into the pipe's message channel, which right
 *    inherits; left's end arrives there too: EndOfInput as StopIteration(*R)
 *    after its messages when it returns, or its exception on the signal
 *    channel (which right also inherits) when it raises;
 *  - right's end goes to the broken channel, which left inherits: its
 *    exception, or BrokenPipe(*R);
 *  - the pipe's own input goes to left (messages, signals) and right
 *    (broken); its output is right's; its result is right's, set once both
 *    sides have finished.
 * Fork(s): s inherits the fork's messages; signals or broken arriving at the
 * fork end only the fork; the fork's result is s's otherwise.
 * Proxy(s): every protocol call is resolved to s (see idk_stream_resolve).
 */
#include "core.h"

typedef struct {
    IdkStream base;
    IdkChan p_in[IDK_NCHANS];      /* what the sides inherit from each other;
                                      right after base: see IDK_CHAN_OWNER */
    IdkStream *p_left, *p_right;   /* owned */
    IdkOutput *p_src;              /* left's output feeding p_in[MSGS], or NULL */
    int p_wired;
} IdkPipe;

typedef struct {
    IdkInStream base;
    IdkStream *f_target;           /* owned while linked */
} IdkFork;

/* ---- Pipe ----------------------------------------------------------------------- */

static void pipe_unwire(IdkPipe *p)
{
    IdkOutput *src = p->p_src;
    int k;
    if (src != NULL) {
        p->p_src = NULL;
        idk_output_remove_chan(src, &p->p_in[IDK_MSGS]);
        Py_DECREF(src->o_owner);
    }
    if (!p->p_wired)
        return;
    p->p_wired = 0;
    idk_stream_detach(p->p_right, &p->p_in[IDK_MSGS], &p->p_in[IDK_SIGS], NULL);
    idk_stream_detach(p->p_left, NULL, NULL, &p->p_in[IDK_BROKEN]);
    for (k = 0; k < IDK_NCHANS; k++)
        idk_chan_clear(&p->p_in[k]);
}

static void pipe_maybe_finish(IdkPipe *p)
{
    IdkStream *left = idk_stream_resolve(p->p_left);
    IdkStream *right = idk_stream_resolve(p->p_right);
    if (left->r_state == IDK_PENDING || right->r_state == IDK_PENDING)
        return;
    Py_INCREF(p);
    pipe_unwire(p);
    idk_stream_finish_like(&p->base, right);
    Py_DECREF(p);
}

static void pipe_push_end(IdkChan *c, PyObject *exc)
{
    IdkMsg *m = idk_msg_new(1, exc, NULL);
    if (m == NULL) {
        idk_loop_report_current();
        return;
    }
    idk_chan_push(c, m);
    idk_msg_decref(m);
}

static void pipe_on_left(IdkStream *left, PyObject *ctx)
{
    IdkPipe *p = (IdkPipe *)ctx;
    if (p->p_wired) {
        if (left->r_state == IDK_RAISED) {
            pipe_push_end(&p->p_in[IDK_SIGS], left->r_value);
        } else {
            PyObject *eoi = idk_exc_from_returned(PyExc_StopIteration, left);
            if (eoi == NULL)
                eoi = idk_exc_fetch();
            pipe_push_end(&p->p_in[IDK_MSGS], eoi);
            Py_DECREF(eoi);
        }
    }
    pipe_maybe_finish(p);
}

static void pipe_on_right(IdkStream *right, PyObject *ctx)
{
    IdkPipe *p = (IdkPipe *)ctx;
    if (p->p_wired) {
        if (right->r_state == IDK_RAISED) {
            pipe_push_end(&p->p_in[IDK_BROKEN], right->r_value);
        } else {
            PyObject *bp = idk_exc_from_returned(IdkExc_BrokenPipe, right);
            if (bp == NULL)
                bp = idk_exc_fetch();
            pipe_push_end(&p->p_in[IDK_BROKEN], bp);
            Py_DECREF(bp);
        }
    }
    pipe_maybe_finish(p);
}

static int pipe_attach(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    IdkPipe *p = (IdkPipe *)s;
    if ((m != NULL || sig != NULL) && idk_stream_attach(p->p_left, m, sig, NULL) < 0)
        return -1;
    if (brk != NULL)
        return idk_stream_attach(p->p_right, NULL, NULL, brk);
    return 0;
}

static void pipe_detach(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    IdkPipe *p = (IdkPipe *)s;
    if (m != NULL || sig != NULL)
        idk_stream_detach(p->p_left, m, sig, NULL);
    if (brk != NULL)
        idk_stream_detach(p->p_right, NULL, NULL, brk);
}

static IdkOutput *pipe_output(IdkStream *s)
{
    return idk_stream_output(((IdkPipe *)s)->p_right);
}

static IdkChan *pipe_input(IdkStream *s, int which)
{
    IdkPipe *p = (IdkPipe *)s;
    return idk_stream_input(which == IDK_BROKEN ? p->p_right : p->p_left, which);
}

static const IdkKind pipe_kind = {
    "pipe", pipe_attach, pipe_detach, pipe_output, pipe_input, NULL, NULL, 0
};

PyObject *idk_pipe_new(IdkStream *left, IdkStream *right)
{
    IdkPipe *p = IDK_ALLOC(IdkPipe, &IdkPipe_Type);
    IdkOutput *out;
    int k;
    if (p == NULL)
        return NULL;
    idk_stream_init(&p->base, &pipe_kind);
    p->p_left = (IdkStream *)idk_newref((PyObject *)left);
    p->p_right = (IdkStream *)idk_newref((PyObject *)right);
    for (k = 0; k < IDK_NCHANS; k++)
        idk_chan_init(&p->p_in[k], &p->base, k);
    p->p_src = NULL;
    p->p_wired = 1;
    if (idk_stream_attach(right, &p->p_in[IDK_MSGS], &p->p_in[IDK_SIGS], NULL) < 0
            || idk_stream_attach(left, NULL, NULL, &p->p_in[IDK_BROKEN]) < 0)
        goto fail;
    if (idk_stream_listen(right, pipe_on_right, (PyObject *)p) < 0
            || idk_stream_listen(left, pipe_on_left, (PyObject *)p) < 0)
        goto fail;
    out = idk_stream_output(left);
    if (p->p_wired && out != NULL) {
        if (idk_output_add_chan(out, &p->p_in[IDK_MSGS]) < 0)
            goto fail;
        p->p_src = out;
        Py_INCREF(out->o_owner);
    }
    return (PyObject *)p;
fail:
    pipe_unwire(p);
    Py_DECREF(p);
    return NULL;
}

static int pipe_traverse(IdkPipe *p, visitproc visit, void *arg)
{
    Py_VISIT(p->p_left);
    Py_VISIT(p->p_right);
    return idk_stream_base_traverse(&p->base, visit, arg);
}

static int pipe_clear(IdkPipe *p)
{
    int k;
    if (p->p_left != NULL && p->p_right != NULL)
        pipe_unwire(p);
    for (k = 0; k < IDK_NCHANS; k++)
        idk_chan_clear(&p->p_in[k]);
    Py_CLEAR(p->p_left);
    Py_CLEAR(p->p_right);
    idk_stream_base_clear(&p->base);
    return 0;
}

static void pipe_dealloc(IdkPipe *p)
{
    PyObject_GC_UnTrack(p);
    pipe_clear(p);
    idk_stream_base_dealloc(&p->base);
}

/* ---- Fork ------------------------------------------------------------------------- */

static void fork_unlink_target(IdkFork *f)
{
    IdkStream *t = f->f_target;
    if (t == NULL)
        return;
    f->f_target = NULL;
    idk_stream_detach(t, &f->base.in[IDK_MSGS], NULL, NULL);
    Py_DECREF(t);
}

static void fork_finish(IdkFork *f, int state, PyObject *value)
{
    if (f->base.base.r_state != IDK_PENDING)
        return;
    Py_INCREF(f);
    fork_unlink_target(f);
    idk_in_finish(&f->base, state, value);
    Py_DECREF(f);
}

static void fork_on_target_done(IdkStream *target, PyObject *ctx)
{
    PyObject *value = idk_stream_value(target);
    if (value == NULL) {
        PyObject *exc = idk_exc_fetch();
        fork_finish((IdkFork *)ctx, IDK_RAISED, exc);
        Py_DECREF(exc);
        return;
    }
    fork_finish((IdkFork *)ctx, target->r_state, value);
    Py_DECREF(value);
}

/* A signal or broken item closes only the fork. */
static void fork_on_input(IdkStream *s, int which)
{
    IdkFork *f = (IdkFork *)s;
    IdkMsg *m;
    (void)which;
    if (s->r_state != IDK_PENDING)
        return;
    m = idk_in_take(&f->base, 0, -1);
    if (m == NULL)
        return;
    f->base.in[IDK_SIGS].c_watch = f->base.in[IDK_BROKEN].c_watch = 0;
    Py_INCREF(f);
    idk_msg_consume(m);
    if (f->f_target != NULL)
        idk_stream_unlisten(f->f_target, fork_on_target_done, (PyObject *)f);
    fork_finish(f, IDK_RAISED, m->m_payload);
    idk_msg_decref(m);
    Py_DECREF(f);
}

static IdkOutput *fork_output(IdkStream *s)
{
    IdkFork *f = (IdkFork *)s;
    return f->f_target != NULL ? idk_stream_output(f->f_target) : NULL;
}

static const IdkKind fork_kind = {
    "fork", idk_in_attach, idk_in_detach, fork_output, idk_in_input, fork_on_input, NULL, 0
};

PyObject *idk_fork_new(IdkStream *target)
{
    IdkFork *f = IDK_ALLOC(IdkFork, &IdkFork_Type);
    if (f == NULL)
        return NULL;
    idk_stream_init(&f->base.base, &fork_kind);
    idk_in_init(&f->base);
    f->base.in[IDK_SIGS].c_watch = f->base.in[IDK_BROKEN].c_watch = 1;
    f->f_target = (IdkStream *)idk_newref((PyObject *)target);
    if (idk_stream_attach(target, &f->base.in[IDK_MSGS], NULL, NULL) < 0
            || idk_stream_listen(target, fork_on_target_done, (PyObject *)f) < 0) {
        fork_unlink_target(f);
        Py_DECREF(f);
        return NULL;
    }
    return (PyObject *)f;
}

static int fork_traverse(IdkFork *f, visitproc visit, void *arg)
{
    int r;
    Py_VISIT(f->f_target);
    r = idk_in_traverse(&f->base, visit, arg);
    return r ? r : idk_stream_base_traverse(&f->base.base, visit, arg);
}

static int fork_clear(IdkFork *f)
{
    int k;
    fork_unlink_target(f);
    for (k = 0; k < IDK_NCHANS; k++)
        idk_chan_clear(&f->base.in[k]);
    idk_stream_base_clear(&f->base.base);
    return 0;
}

static void fork_dealloc(IdkFork *f)
{
    PyObject_GC_UnTrack(f);
    fork_clear(f);
    idk_stream_base_dealloc(&f->base.base);
}

/* ---- Proxy -------------------------------------------------------------------------- */

const IdkKind idk_proxy_kind = {"proxy", NULL, NULL, NULL, NULL, NULL, NULL, 0};

static PyObject *proxy_tp_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    IdkProxy *p = (IdkProxy *)type->tp_alloc(type, 0);
    (void)args;
    (void)kw;
    if (p == NULL)
        return NULL;
    idk_stream_init(&p->base, &idk_proxy_kind);
    p->p_target = NULL;
    return (PyObject *)p;
}

static int proxy_init(IdkProxy *p, PyObject *args, PyObject *kw)
{
    PyObject *target;
    static char *kwlist[] = {"proxied", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:Proxy", kwlist, &target))
        return -1;
    if (!IdkStream_Check(target)) {
        idk_err_repr(PyExc_TypeError, "expected a stream, got ", target, "");
        return -1;
    }
    if (idk_stream_resolve((IdkStream *)target) == &p->base) {
        PyErr_SetString(PyExc_ValueError, "a proxy cannot proxy itself");
        return -1;
    }
    Py_XSETREF(p->p_target, (IdkStream *)idk_newref(target));
    return 0;
}

static int proxy_traverse(IdkProxy *p, visitproc visit, void *arg)
{
    Py_VISIT(p->p_target);
    return idk_stream_base_traverse(&p->base, visit, arg);
}

static int proxy_clear(IdkProxy *p)
{
    Py_CLEAR(p->p_target);
    idk_stream_base_clear(&p->base);
    return 0;
}

static void proxy_dealloc(IdkProxy *p)
{
    PyObject_GC_UnTrack(p);
    proxy_clear(p);
    idk_stream_base_dealloc(&p->base);
}

static PyObject *proxy_get_proxied(IdkProxy *p, void *closure)
{
    (void)closure;
    if (p->p_target == NULL)
        Py_RETURN_NONE;
    return idk_newref((PyObject *)p->p_target);
}

static PyGetSetDef proxy_getset[] = {
    {"_proxied", (getter)proxy_get_proxied, NULL, "The proxied stream.", NULL},
    {NULL, NULL, NULL, NULL, NULL}
};

/* ---- types ------------------------------------------------------------------------------ */

PyTypeObject IdkPipe_Type = {PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.Pipe", .tp_basicsize = sizeof(IdkPipe)};
PyTypeObject IdkFork_Type = {PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.Fork", .tp_basicsize = sizeof(IdkFork)};
PyTypeObject IdkProxy_Type = {PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit.Proxy", .tp_basicsize = sizeof(IdkProxy)};

int idk_pipe_types_ready(void)
{
    IdkPipe_Type.tp_base = &IdkStream_Type;
    IdkPipe_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
    IdkPipe_Type.tp_dealloc = (destructor)pipe_dealloc;
    IdkPipe_Type.tp_traverse = (traverseproc)pipe_traverse;
    IdkPipe_Type.tp_clear = (inquiry)pipe_clear;
    IdkPipe_Type.tp_doc = "a | b: b reads what a sends; the result is b's.";
    if (PyType_Ready(&IdkPipe_Type) < 0)
        return -1;

    IdkFork_Type.tp_base = &IdkStream_Type;
    IdkFork_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
    IdkFork_Type.tp_dealloc = (destructor)fork_dealloc;
    IdkFork_Type.tp_traverse = (traverseproc)fork_traverse;
    IdkFork_Type.tp_clear = (inquiry)fork_clear;
    IdkFork_Type.tp_doc = "A view of a stream that cannot fail it.";
    if (PyType_Ready(&IdkFork_Type) < 0)
        return -1;

    IdkProxy_Type.tp_base = &IdkStream_Type;
    IdkProxy_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE;
    IdkProxy_Type.tp_new = proxy_tp_new;
    IdkProxy_Type.tp_init = (initproc)proxy_init;
    IdkProxy_Type.tp_dealloc = (destructor)proxy_dealloc;
    IdkProxy_Type.tp_traverse = (traverseproc)proxy_traverse;
    IdkProxy_Type.tp_clear = (inquiry)proxy_clear;
    IdkProxy_Type.tp_getset = proxy_getset;
    IdkProxy_Type.tp_doc = "Proxy(stream): a stream that forwards everything to another.";
    return PyType_Ready(&IdkProxy_Type);
}
