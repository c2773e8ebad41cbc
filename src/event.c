/* event.c: Event, the one-shot stream completed by succeed(*args) or
 * fail(*exc) (first wins, thread-safe: from another thread the completion is
 * posted to the loop's thread).  It derives from next (the original's
 * Event is a Next), and Sleep (timer.c) derives from it.
 *
 * Invariants:
 *  - An Event takes no messages: it finishes early only with a signal or
 *    the end of its downstream that reaches it (throw(), timeout()).
 *  - Completing it stops watching, then sets the result once; completing a
 *    Sleep also stops its timer.
 */
#include "leaf.h"

static void event_on_input(IdkStream *s, int which)
{
    (void)which;
    idk_leaf_take_and_finish(s, 0);
}

static const IdkKind event_kind = {
    "event", idk_leaf_attach_no_msgs, idk_leaf_detach_no_msgs, NULL, idk_in_input,
    event_on_input, NULL, 1
};

PyObject *idk_event_new(void)
{
    return (PyObject *)idk_leaf_alloc(&IdkEvent_Type, &event_kind, 0);
}

/* A thrown-into waiter leaves a shared Event instead of failing it for all
 * (task.c), so many waiters can share one with no object of their own. */
PyObject *idk_shared_event_func(PyObject *self, PyObject *noargs)
{
    PyObject *ev = idk_event_new();
    (void)self;
    (void)noargs;
    if (ev != NULL)
        ((IdkStream *)ev)->r_shared = 1;
    return ev;
}

static PyObject *event_tp_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    (void)args;
    (void)kw;
    return (PyObject *)idk_leaf_alloc(type, &event_kind, 0);
}

int idk_event_complete(IdkStream *ev, int state, PyObject *value)
{
    if (ev->r_state != IDK_PENDING)
        return 0;
    idk_leaf_unwatch((IdkInStream *)ev);
    idk_leaf_finish(ev, state, value);
    if (Py_TYPE(ev) == &IdkSleep_Type)
        idk_sleep_stop_timer(ev);
    return 1;
}

/* Completion from another thread is posted to the loop's thread. */
static PyObject *event_complete_or_post(PyObject *self, int state, PyObject *value)
{
    if (!idk_loop_on_thread()) {
        PyObject *meth = PyObject_GetAttrString(self, state == IDK_RETURNED ? "_succeed" : "_fail");
        int r;
        if (meth == NULL)
            return NULL;
        r = idk_loop_post_call(meth, value);
        Py_DECREF(meth);
        if (r < 0)
            return NULL;
        Py_RETURN_NONE;
    }
    idk_event_complete((IdkStream *)self, state, value);
    Py_RETURN_NONE;
}

static PyObject *event_succeed(PyObject *self, PyObject *args)
{
    return event_complete_or_post(self, IDK_RETURNED, args);
}

static PyObject *event_fail(PyObject *self, PyObject *args)
{
    PyObject *exc = idk_exc_from_throw_args(args), *r;
    if (exc == NULL)
        return NULL;
    r = event_complete_or_post(self, IDK_RAISED, exc);
    Py_DECREF(exc);
    return r;
}

/* Loop-thread halves of posted completions: one argument each. */
static PyObject *event_succeed_posted(PyObject *self, PyObject *args)
{
    idk_event_complete((IdkStream *)self, IDK_RETURNED, args);
    Py_RETURN_NONE;
}

static PyObject *event_fail_posted(PyObject *self, PyObject *exc)
{
    idk_event_complete((IdkStream *)self, IDK_RAISED, exc);
    Py_RETURN_NONE;
}

static PyMethodDef event_methods[] = {
    {"succeed", event_succeed, METH_VARARGS,
     "succeed(*args): complete the event: yielding it gives the (peeled) args.  "
     "Thread-safe."},
    {"fail", event_fail, METH_VARARGS,
     "fail(*exc): fail the event with an exception (as Stream.throw takes it; none: "
     "the one being handled).  Thread-safe."},
    {"_succeed", event_succeed_posted, METH_O, NULL},
    {"_fail", event_fail_posted, METH_O, NULL},
    {NULL, NULL, 0, NULL}
};

PyTypeObject IdkEvent_Type = {PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit.Event", .tp_basicsize = sizeof(IdkLeaf)};

int idk_event_type_ready(void)
{
    IdkEvent_Type.tp_new = event_tp_new;
    IdkEvent_Type.tp_methods = event_methods;
    /* a subclass of next, as in the original (2.8.2's Event derives from Next):
     * isinstance(Event(), idiokit.next), and so for sleep(), timeout() and
     * thread(), which make Events */
    if (idk_leaf_type_ready(&IdkEvent_Type, &IdkNext_Type, (destructor)idk_leaf_dealloc,
                            (traverseproc)idk_leaf_traverse, (inquiry)idk_leaf_clear,
                            "A one-shot event: succeed(*args) or fail(*exc), first wins.") < 0)
        return -1;
    IdkEvent_Type.tp_flags |= Py_TPFLAGS_BASETYPE;
    return 0;
}
