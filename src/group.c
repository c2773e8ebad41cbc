/* group.c: the C half of structured concurrency (idiokit/group.py and
 * idiokit/scope.py hold the rest): the Group type a task group is built on,
 * the Cancelled exception, current_task() and on_done().
 *
 * A Group owns the children started into it.  What runs once per child
 * (start, the end of a child) is here; what runs once per group (waiting,
 * raising the failures, the `with` spellings) is Python.
 *
 * Invariants:
 *  - g_kids holds one reference to each child started and not yet dropped;
 *    finished children are dropped in bulk when the array would grow, so a
 *    long-lived group holds at most about twice its pending children.
 *  - g_pending counts the started children whose result is not set; each of
 *    them holds one listener whose context is a reference to the group.
 *  - Once a child fails (and the group was not cancelled already), every
 *    pending child is thrown a fresh Cancelled; after the group is cancelled,
 *    a child that ends with Cancelled is not a failure.
 *  - g_joiners holds the Events handed out by _all_done(), one per wait, all
 *    completed when g_pending reaches 0.
 */
#include "core.h"

static PyObject *IdkExc_Cancelled = NULL;   /* set once at module init */

typedef struct {
    PyObject_HEAD
    PyObject **g_kids;        /* owned refs; g_n used of g_cap */
    Py_ssize_t g_n, g_cap;
    Py_ssize_t g_pending;     /* children not finished */
    PyObject *g_errors;       /* list of excs (stored form), or NULL */
    PyObject *g_joiners;      /* list of Events, or NULL */
    PyObject *g_on_failure;   /* called once, at the first failure, or NULL */
    unsigned char g_cancelled;
    unsigned char g_closed;   /* no more children may start */
} IdkGroup;

static PyTypeObject IdkGroup_Type;

/* ---- cancelling ----------------------------------------------------------------- */

/* A new Cancelled in the stored exc form; NULL with an error set. */
static PyObject *cancelled_new(void)
{
    PyObject *value = PyObject_CallObject(IdkExc_Cancelled, NULL), *exc;
    if (value == NULL)
        return NULL;
    exc = idk_exc_from_value(value);
    Py_DECREF(value);
    return exc;
}

/* Throw a fresh Cancelled into `kid` if it is pending.  The delivery keeps
 * itself alive until the kid takes it or ends. */
static int cancel_one(PyObject *kid)
{
    PyObject *exc, *delivery;
    if (idk_stream_resolve((IdkStream *)kid)->r_state != IDK_PENDING)
        return 0;
    if ((exc = cancelled_new()) == NULL)
        return -1;
    delivery = idk_delivery_new((IdkStream *)kid, IDK_SIGS, 1, exc);
    Py_DECREF(exc);
    if (delivery == NULL)
        return -1;
    Py_DECREF(delivery);
    return 0;
}

/* Cancel every pending child; errors are reported, not raised, so that one
 * child that takes no input cannot spare the others. */
static void group_cancel_all(IdkGroup *g)
{
    Py_ssize_t i;
    g->g_cancelled = 1;
    for (i = 0; i < g->g_n; i++) {
        PyObject *kid = g->g_kids[i];
        if (kid == NULL)
            continue;
        Py_INCREF(kid);
        if (cancel_one(kid) < 0)
            idk_loop_report_current();
        Py_DECREF(kid);
    }
}

/* ---- children ------------------------------------------------------------------- */

static void group_joiner_check(IdkGroup *g)
{
    PyObject *joiners = g->g_joiners, *args;
    Py_ssize_t i;
    if (g->g_pending != 0 || joiners == NULL)
        return;
    g->g_joiners = NULL;
    args = PyTuple_New(0);
    if (args == NULL)
        idk_loop_report_current();
    for (i = 0; args != NULL && i < PyList_GET_SIZE(joiners); i++)
        idk_event_complete((IdkStream *)PyList_GET_ITEM(joiners, i), IDK_RETURNED, args);
    Py_XDECREF(args);
    Py_DECREF(joiners);
}

static void group_record_failure(IdkGroup *g, PyObject *exc)
{
    if (g->g_errors == NULL && (g->g_errors = PyList_New(0)) == NULL) {
        idk_loop_report_current();
        return;
    }
    if (PyList_Append(g->g_errors, exc) < 0)
        idk_loop_report_current();
}

static void group_tell_failure(IdkGroup *g)
{
    PyObject *func = g->g_on_failure, *r;
    if (func == NULL)
        return;
    g->g_on_failure = NULL;
    r = PyObject_CallObject(func, NULL);
    if (r == NULL)
        idk_loop_report_current();
    Py_XDECREF(r);
    Py_DECREF(func);
}

static void group_on_child_done(IdkStream *child, PyObject *ctx)
{
    IdkGroup *g = (IdkGroup *)ctx;
    g->g_pending--;
    if (child->r_state == IDK_RAISED) {
        int absorbed = g->g_cancelled && idk_exc_matches(child->r_value, IdkExc_Cancelled);
        if (PyErr_Occurred())
            PyErr_Clear();
        if (!absorbed) {
            group_record_failure(g, child->r_value);
            if (!g->g_cancelled) {
                group_cancel_all(g);
                group_tell_failure(g);
            }
        }
    }
    group_joiner_check(g);
}

/* Drop the finished children (at most one pass per doubling), or grow. */
static int group_make_room(IdkGroup *g)
{
    Py_ssize_t i, j = 0, cap;
    PyObject **kids;
    if (g->g_n - g->g_pending >= g->g_n / 2 && g->g_n > 0) {
        for (i = 0; i < g->g_n; i++) {
            PyObject *kid = g->g_kids[i];
            if (idk_stream_resolve((IdkStream *)kid)->r_state == IDK_PENDING)
                g->g_kids[j++] = kid;
            else
                Py_DECREF(kid);
        }
        g->g_n = j;
        if (g->g_n < g->g_cap)
            return 0;
    }
    cap = g->g_cap ? g->g_cap * 2 : 16;
    kids = (PyObject **)PyMem_Realloc(g->g_kids, cap * sizeof(PyObject *));
    if (kids == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    g->g_kids = kids;
    g->g_cap = cap;
    return 0;
}

/* start(stream_or_generator): the child, now owned by the group. */
static PyObject *group_start(IdkGroup *g, PyObject *obj)
{
    PyObject *kid;
    if (g->g_closed) {
        PyErr_SetString(PyExc_RuntimeError, "this task group has ended: start children "
                        "before waiting for it, or in its children");
        return NULL;
    }
    if (IdkStream_Check(obj)) {
        kid = idk_newref(obj);
    } else if (Py_TYPE(obj)->tp_iternext != NULL || idk_is_coroutine(obj)) {
        if ((kid = idk_task_new(obj)) == NULL)
            return NULL;
    } else {
        idk_err_repr(PyExc_TypeError, "expected a stream, a generator or a coroutine, got ",
                     obj, "");
        return NULL;
    }
    if (g->g_n == g->g_cap && group_make_room(g) < 0)
        goto fail;
    g->g_kids[g->g_n++] = idk_newref(kid);
    g->g_pending++;
    if (idk_stream_listen((IdkStream *)kid, group_on_child_done, (PyObject *)g) < 0) {
        g->g_pending--;
        g->g_n--;
        Py_DECREF(kid);
        goto fail;
    }
    if (g->g_cancelled && cancel_one(kid) < 0)
        idk_loop_report_current();   /* owned and counted: it is the group's now */
    return kid;
fail:
    Py_DECREF(kid);
    return NULL;
}

/* ---- Python-visible methods -------------------------------------------------------- */

static PyObject *group_cancel(IdkGroup *g, PyObject *unused)
{
    (void)unused;
    group_cancel_all(g);
    Py_RETURN_NONE;
}

/* _all_done(): a new Event that completes once no child is pending (one per
 * wait: a signal thrown into the waiter ends its Event only). */
static PyObject *group_all_done(IdkGroup *g, PyObject *unused)
{
    PyObject *ev;
    (void)unused;
    if ((ev = idk_event_new()) == NULL)
        return NULL;
    if (g->g_joiners == NULL && (g->g_joiners = PyList_New(0)) == NULL)
        goto fail;
    if (PyList_Append(g->g_joiners, ev) < 0)
        goto fail;
    group_joiner_check(g);   /* completes it at once if nothing is pending */
    return ev;
fail:
    Py_DECREF(ev);
    return NULL;
}

/* _on_failure(func): call func() once, at the first failure of a child. */
static PyObject *group_set_on_failure(IdkGroup *g, PyObject *func)
{
    Py_XSETREF(g->g_on_failure, func == Py_None ? NULL : idk_newref(func));
    Py_RETURN_NONE;
}

static PyObject *group_close(IdkGroup *g, PyObject *unused)
{
    (void)unused;
    g->g_closed = 1;
    Py_RETURN_NONE;
}

/* _failures(): the stored excs of the children that failed, in order. */
static PyObject *group_failures(IdkGroup *g, PyObject *unused)
{
    (void)unused;
    if (g->g_errors == NULL)
        return PyList_New(0);
    return PyList_GetSlice(g->g_errors, 0, PyList_GET_SIZE(g->g_errors));
}

static PyObject *group_get_pending(IdkGroup *g, void *unused)
{
    (void)unused;
    return PyLong_FromSsize_t(g->g_pending);
}

static PyObject *group_get_cancelled(IdkGroup *g, void *unused)
{
    (void)unused;
    return PyBool_FromLong(g->g_cancelled);
}

static PyObject *group_get_closed(IdkGroup *g, void *unused)
{
    (void)unused;
    return PyBool_FromLong(g->g_closed);
}

static PyMethodDef group_methods[] = {
    {"start", (PyCFunction)group_start, METH_O,
     "start(child): own a started stream (or run a generator or coroutine as one)."},
    {"cancel", (PyCFunction)group_cancel, METH_NOARGS,
     "Throw Cancelled into every pending child; their Cancelled is then no failure."},
    {"_all_done", (PyCFunction)group_all_done, METH_NOARGS, NULL},
    {"_close", (PyCFunction)group_close, METH_NOARGS, NULL},
    {"_on_failure", (PyCFunction)group_set_on_failure, METH_O, NULL},
    {"_failures", (PyCFunction)group_failures, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}
};

static PyGetSetDef group_getset[] = {
    {"pending", (getter)group_get_pending, NULL, "how many children have not ended", NULL},
    {"cancelled", (getter)group_get_cancelled, NULL, "whether the children were cancelled", NULL},
    {"closed", (getter)group_get_closed, NULL, "whether the group takes no more children", NULL},
    {NULL, NULL, NULL, NULL, NULL}
};

/* ---- type slots -------------------------------------------------------------------- */

static int group_traverse(IdkGroup *g, visitproc visit, void *arg)
{
    Py_ssize_t i;
    for (i = 0; i < g->g_n; i++)
        Py_VISIT(g->g_kids[i]);
    Py_VISIT(g->g_errors);
    Py_VISIT(g->g_joiners);
    Py_VISIT(g->g_on_failure);
    return 0;
}

static int group_clear(IdkGroup *g)
{
    Py_ssize_t i, n = g->g_n;
    PyObject **kids = g->g_kids;
    g->g_kids = NULL;
    g->g_n = g->g_cap = 0;
    for (i = 0; i < n; i++)
        Py_XDECREF(kids[i]);
    PyMem_Free(kids);
    Py_CLEAR(g->g_errors);
    Py_CLEAR(g->g_joiners);
    Py_CLEAR(g->g_on_failure);
    return 0;
}

static void group_dealloc(IdkGroup *g)
{
    PyObject_GC_UnTrack(g);
    group_clear(g);
    Py_TYPE(g)->tp_free((PyObject *)g);
}

static PyTypeObject IdkGroup_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "idiokit._core.Group",
    .tp_basicsize = sizeof(IdkGroup),
};

/* ---- module functions ------------------------------------------------------------------ */

/* current_task(): the task whose generator or coroutine is running, or None. */
static PyObject *mod_current_task(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    if (idk_loop != NULL && idk_loop->l_task != NULL)
        return idk_newref((PyObject *)idk_loop->l_task);
    Py_RETURN_NONE;
}

static void on_done_call(IdkStream *done, PyObject *func)
{
    PyObject *r = PyObject_CallFunctionObjArgs(func, (PyObject *)done, NULL);
    if (r == NULL)
        idk_loop_report_current();
    Py_XDECREF(r);
}

/* on_done(stream, func): call func(stream) when the stream's result is set
 * (at once if it is); errors from func are logged. */
static PyObject *mod_on_done(PyObject *self, PyObject *args)
{
    PyObject *stream, *func;
    (void)self;
    if (!PyArg_ParseTuple(args, "O!O:on_done", &IdkStream_Type, &stream, &func))
        return NULL;
    if (!PyCallable_Check(func)) {
        idk_err_repr(PyExc_TypeError, "on_done() needs a callable, got ", func, "");
        return NULL;
    }
    if (idk_stream_listen((IdkStream *)stream, on_done_call, func) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef group_module_methods[] = {
    {"current_task", mod_current_task, METH_NOARGS,
     "The task whose generator or coroutine is running now, or None."},
    {"on_done", mod_on_done, METH_VARARGS,
     "on_done(stream, func): call func(stream) once the stream has its result."},
    {NULL, NULL, 0, NULL}
};

/* Registered by module.c when linked in (see module_add_subsystems). */
int idk_group_module_init(PyObject *m)
{
    PyMethodDef *def;
    IdkGroup_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE;
    IdkGroup_Type.tp_new = PyType_GenericNew;
    IdkGroup_Type.tp_dealloc = (destructor)group_dealloc;
    IdkGroup_Type.tp_traverse = (traverseproc)group_traverse;
    IdkGroup_Type.tp_clear = (inquiry)group_clear;
    IdkGroup_Type.tp_methods = group_methods;
    IdkGroup_Type.tp_getset = group_getset;
    IdkGroup_Type.tp_doc = "The children of a task group (idiokit.TaskGroup builds on it).";
    if (PyType_Ready(&IdkGroup_Type) < 0)
        return -1;
    Py_INCREF(&IdkGroup_Type);
    if (PyModule_AddObject(m, "Group", (PyObject *)&IdkGroup_Type) < 0)
        return -1;
    IdkExc_Cancelled = PyErr_NewExceptionWithDoc(
        "idiokit.Cancelled",
        "Thrown into a stream whose task group or cancel scope was cancelled.\n"
        "A BaseException, so that `except Exception` does not swallow it.",
        PyExc_BaseException, NULL);
    if (IdkExc_Cancelled == NULL)
        return -1;
    Py_INCREF(IdkExc_Cancelled);
    if (PyModule_AddObject(m, "Cancelled", IdkExc_Cancelled) < 0)
        return -1;
    for (def = group_module_methods; def->ml_name != NULL; def++) {
        PyObject *f = PyCFunction_New(def, NULL);
        if (f == NULL || PyModule_AddObject(m, def->ml_name, f) < 0) {
            Py_XDECREF(f);
            return -1;
        }
    }
    return 0;
}
