/* leaves.c: the streams a task waits on directly: Next (idiokit.next()),
 * Event, Sleep (an Event a timer completes), Send (idiokit.send()) and
 * Delivery (stream.send() / stream.throw() into another stream).
 *
 * Invariants:
 *  - A leaf watches the channels it inherits from its yielder(s); when an
 *    item is reachable it takes it, stops watching, and only then consumes
 *    it, so that a re-entrant push cannot make it take a second item.
 *  - Finishing a leaf unlinks its channels before the result is set.
 *  - A sender (Send, Delivery) withdraws its message when it is interrupted
 *    or collected, so a message never points to a dead sender.
 *  - On consumption the sender is told first: the sending task resumes
 *    before the receiving one, as in the original.
 */
#include "core.h"

typedef struct {
    IdkInStream base;
    IdkTask *l_host;      /* as IdkLeaf */
    IdkTimer sl_timer;
    PyObject *sl_exc;     /* raise this when the timer fires, or NULL */
} IdkSleep;

typedef struct {
    IdkInStream base;
    IdkTask *l_host;      /* as IdkLeaf */
    IdkOutput s_out;
    IdkMsg *s_msg;
} IdkSend;

typedef struct {
    IdkInStream base;
    IdkStream *d_target;
    IdkMsg *d_msg;
} IdkDelivery;

/* ---- shared leaf mechanics ------------------------------------------------------ */

static const IdkKind next_kind, event_kind, sleep_kind, send_kind;

static int kind_hostable(const IdkKind *k)
{
    return k->hostable;
}

static IdkTask *leaf_host(IdkStream *s)
{
    return kind_hostable(s->kind) ? ((IdkLeaf *)s)->l_host : NULL;
}

/* Take the first reachable item, signals first: from the leaf's own
 * channels (and what they link to) and from its host's channels. */
IdkMsg *idk_leaf_take(IdkInStream *s, int with_msgs)
{
    IdkTask *host = leaf_host(&s->base);
    int i;
    for (i = 0; i < IDK_NCHANS; i++) {
        int kind = idk_chan_priority[i];
        IdkChan *holder = NULL, *hosted = NULL;
        IdkMsg *m, *m2;
        if (kind == IDK_MSGS && !with_msgs)
            continue;
        m = idk_chan_peek(&s->in[kind], &holder);
        if (host != NULL) {
            m2 = idk_chan_peek(&host->base.in[kind], &hosted);
            if (m2 != NULL && (m == NULL || m2->m_seq < m->m_seq)) {
                m = m2;
                holder = hosted;
            }
        }
        if (m != NULL)
            return idk_chan_take(holder);
    }
    return NULL;
}

void idk_leaf_unwatch(IdkInStream *s)
{
    IdkTask *host = leaf_host(&s->base);
    int k;
    for (k = 0; k < IDK_NCHANS; k++) {
        s->in[k].c_watch = 0;
        if (host != NULL)
            host->base.in[k].c_watch = 0;
    }
}

static void leaf_finish(IdkStream *s, int state, PyObject *value)
{
    int k;
    if (s->r_state != IDK_PENDING)
        return;
    Py_INCREF(s);
    for (k = 0; k < IDK_NCHANS; k++)
        idk_chan_clear(&((IdkInStream *)s)->in[k]);
    /* A result other than () (an exception with its traceback, a message)
     * may lead back to the leaf: from now on the GC must see it. */
    if (s->r_untracked && !(PyTuple_Check(value) && PyTuple_GET_SIZE(value) == 0)) {
        s->r_untracked = 0;
        PyObject_GC_Track(s);
    }
    idk_stream_finish(s, state, value);
    Py_DECREF(s);
}

static void leaf_watch(IdkInStream *s, int with_msgs)
{
    s->in[IDK_SIGS].c_watch = 1;
    s->in[IDK_BROKEN].c_watch = 1;
    s->in[IDK_MSGS].c_watch = with_msgs;
}

/* Take the first reachable item; finish with it (a message's args, or an
 * exception).  Returns 1 if the leaf finished. */
static int leaf_take_and_finish(IdkStream *s, int with_msgs)
{
    IdkMsg *m;
    if (s->r_state != IDK_PENDING)
        return 0;
    m = idk_leaf_take((IdkInStream *)s, with_msgs);
    if (m == NULL)
        return 0;
    idk_leaf_unwatch((IdkInStream *)s);
    Py_INCREF(s);
    idk_msg_consume(m);
    leaf_finish(s, m->m_throw ? IDK_RAISED : IDK_RETURNED, m->m_payload);
    idk_msg_decref(m);
    Py_DECREF(s);
    return 1;
}

static int leaf_attach_no_msgs(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    (void)m;
    return idk_in_attach(s, NULL, sig, brk);
}

static void leaf_detach_no_msgs(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    (void)m;
    idk_in_detach(s, NULL, sig, brk);
}

static int leaf_traverse(IdkInStream *s, visitproc visit, void *arg)
{
    int r = idk_in_traverse(s, visit, arg);
    return r ? r : idk_stream_base_traverse(&s->base, visit, arg);
}

static int leaf_clear(IdkInStream *s)
{
    int k;
    for (k = 0; k < IDK_NCHANS; k++)
        idk_chan_clear(&s->in[k]);
    idk_stream_base_clear(&s->base);
    return 0;
}

/* Freelists (on the loop) for the two leaves made per message, next and
 * send: their memory is reused as is, every field is set again by
 * leaf_alloc.  -1: the type has none. */
static int leaf_freelist(PyTypeObject *type)
{
    if (type == &IdkNext_Type)
        return IDK_FL_NEXT;
    if (type == &IdkSend_Type)
        return IDK_FL_SEND;
    return -1;
}

/* After the object's own clearing: keep its memory or free it. */
static void leaf_free(IdkStream *s)
{
    int fl = leaf_freelist(Py_TYPE(s));
    idk_stream_base_release(s);
    if (fl < 0 || !idk_freelist_push(fl, s))
        Py_TYPE(s)->tp_free((PyObject *)s);
}

static void leaf_dealloc(IdkInStream *s)
{
    PyObject_GC_UnTrack(s);
    leaf_clear(s);
    leaf_free(&s->base);
}

static IdkInStream *leaf_alloc(PyTypeObject *type, const IdkKind *kind, int with_msgs)
{
    int fl = leaf_freelist(type);
    IdkInStream *s = fl >= 0 ? (IdkInStream *)idk_freelist_pop(fl) : NULL;
    if (s != NULL)
        s = (IdkInStream *)PyObject_Init((PyObject *)s, type);
    else
        s = (IdkInStream *)type->tp_alloc(type, 0);
    if (s == NULL)
        return NULL;
    idk_stream_init(&s->base, kind);
    idk_in_init(s);
    leaf_watch(s, with_msgs);
    if (kind_hostable(kind))
        ((IdkLeaf *)s)->l_host = NULL;
    return s;
}

/* ---- hosting (see core.h) ---------------------------------------------------------- */

int idk_leaf_host(IdkStream *s, IdkTask *t)
{
    IdkChan *in = t->base.in;
    if (!kind_hostable(s->kind) || s->r_state != IDK_PENDING || ((IdkLeaf *)s)->l_host != NULL)
        return 0;
    ((IdkLeaf *)s)->l_host = t;
    in[IDK_SIGS].c_watch = 1;
    in[IDK_BROKEN].c_watch = 1;
    in[IDK_MSGS].c_watch = s->kind == &next_kind;
    s->kind->on_input(s, -1);   /* whatever is there already */
    return 1;
}

int idk_leaf_hosted_by(IdkStream *s, IdkTask *t)
{
    return t != NULL && leaf_host(s) == t;
}

void idk_leaf_unhost(IdkStream *s, IdkTask *t)
{
    int k;
    if (!idk_leaf_hosted_by(s, t))
        return;
    ((IdkLeaf *)s)->l_host = NULL;
    for (k = 0; k < IDK_NCHANS; k++)
        t->base.in[k].c_watch = 0;
}

/* Short-lived leaves (next(), send(), a plain sleep()) stay out of the cyclic
 * GC: while pending they are only in cycles with the task waiting on them,
 * which keeps itself alive until it finishes; one that finishes with a
 * result other than () is tracked again (leaf_finish).  Tracking them made the collector traverse a third of
 * a spawn-heavy workload's objects for nothing. */
static PyObject *leaf_untracked(IdkInStream *s)
{
    if (s != NULL) {
        PyObject_GC_UnTrack(s);
        s->base.r_untracked = 1;
    }
    return (PyObject *)s;
}

/* ---- Next --------------------------------------------------------------------- */

static void next_on_input(IdkStream *s, int which)
{
    (void)which;
    leaf_take_and_finish(s, 1);
}

static const IdkKind next_kind = {
    "next", idk_in_attach, idk_in_detach, NULL, idk_in_input, next_on_input, NULL, 1
};

PyObject *idk_next_new(void)
{
    return leaf_untracked(leaf_alloc(&IdkNext_Type, &next_kind, 1));
}

static PyObject *next_tp_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    if (PyTuple_GET_SIZE(args) != 0 || (kw != NULL && PyDict_Size(kw) != 0)) {
        PyErr_SetString(PyExc_TypeError, "next() takes no arguments");
        return NULL;
    }
    if (type != &IdkNext_Type)
        return (PyObject *)leaf_alloc(type, &next_kind, 1);
    return leaf_untracked(leaf_alloc(type, &next_kind, 1));
}

/* ---- Event ------------------------------------------------------------------------ */

static void event_on_input(IdkStream *s, int which)
{
    (void)which;
    leaf_take_and_finish(s, 0);
}

static const IdkKind event_kind = {
    "event", leaf_attach_no_msgs, leaf_detach_no_msgs, NULL, idk_in_input,
    event_on_input, NULL, 1
};

PyObject *idk_event_new(void)
{
    return (PyObject *)leaf_alloc(&IdkEvent_Type, &event_kind, 0);
}

static PyObject *event_tp_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    (void)args;
    (void)kw;
    return (PyObject *)leaf_alloc(type, &event_kind, 0);
}

int idk_event_complete(IdkStream *ev, int state, PyObject *value)
{
    if (ev->r_state != IDK_PENDING)
        return 0;
    idk_leaf_unwatch((IdkInStream *)ev);
    leaf_finish(ev, state, value);
    if (Py_TYPE(ev) == &IdkSleep_Type)
        idk_timer_stop(&((IdkSleep *)ev)->sl_timer);
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
     "Complete the event: yielding it gives the (peeled) args.  Thread-safe."},
    {"fail", event_fail, METH_VARARGS,
     "Fail the event with an exception (default: the one being handled).  Thread-safe."},
    {"_succeed", event_succeed_posted, METH_O, NULL},
    {"_fail", event_fail_posted, METH_O, NULL},
    {NULL, NULL, 0, NULL}
};

/* ---- Sleep: an Event completed by a timer --------------------------------------------- */

static void sleep_fire(PyObject *owner)
{
    IdkSleep *sl = (IdkSleep *)owner;
    if (sl->sl_exc != NULL) {
        PyObject *exc = sl->sl_exc;
        sl->sl_exc = NULL;
        idk_event_complete((IdkStream *)sl, IDK_RAISED, exc);
        Py_DECREF(exc);
    } else {
        PyObject *args = PyTuple_New(0);
        idk_event_complete((IdkStream *)sl, IDK_RETURNED, args);
        Py_XDECREF(args);
    }
}

static void sleep_on_input(IdkStream *s, int which)
{
    (void)which;
    if (leaf_take_and_finish(s, 0))
        idk_timer_stop(&((IdkSleep *)s)->sl_timer);
}

static const IdkKind sleep_kind = {
    "sleep", leaf_attach_no_msgs, leaf_detach_no_msgs, NULL, idk_in_input,
    sleep_on_input, NULL, 1
};

static IdkSleep *sleep_alloc(PyObject *exc)
{
    IdkSleep *sl = (IdkSleep *)leaf_alloc(&IdkSleep_Type, &sleep_kind, 0);
    if (sl == NULL)
        return NULL;
    sl->sl_exc = idk_xnewref(exc);
    if (exc == NULL)
        leaf_untracked(&sl->base);   /* with an exception it may be in cycles */
    idk_timer_init(&sl->sl_timer, (PyObject *)sl, sleep_fire);
    return sl;
}

/* sleep(delay[, exc]): an Event that succeeds (or raises exc) after delay
 * seconds of monotonic time; delay <= 0 is done at once, so yielding it
 * costs one turn of the ready queue. */
PyObject *idk_sleep_new(double delay, PyObject *exc)
{
    IdkSleep *sl = sleep_alloc(exc);
    if (sl == NULL)
        return NULL;
    if (delay > 0 || exc != NULL) {
        if (idk_timer_start(&sl->sl_timer, delay > 0 ? delay : 0.0) < 0) {
            Py_DECREF(sl);
            return NULL;
        }
    } else {
        PyObject *args = PyTuple_New(0);
        if (args == NULL) {
            Py_DECREF(sl);
            return NULL;
        }
        idk_event_complete((IdkStream *)sl, IDK_RETURNED, args);
        Py_DECREF(args);
    }
    return (PyObject *)sl;
}

/* A sleep(0) that is not done at once but at the loop's next poll, so that a
 * throw() into the task waiting on it interrupts it (asyncoro's plain yield
 * point: other coroutines and I/O run, and terminate() gets through). */
PyObject *idk_sleep_turn_new(void)
{
    IdkSleep *sl = sleep_alloc(NULL);
    if (sl != NULL && idk_timer_start(&sl->sl_timer, 0.0) < 0)
        Py_CLEAR(sl);
    return (PyObject *)sl;
}

static int sleep_clear(IdkSleep *sl)
{
    idk_timer_stop(&sl->sl_timer);
    Py_CLEAR(sl->sl_exc);
    return leaf_clear(&sl->base);
}

static int sleep_traverse(IdkSleep *sl, visitproc visit, void *arg)
{
    Py_VISIT(sl->sl_exc);
    return leaf_traverse(&sl->base, visit, arg);
}

static void sleep_dealloc(IdkSleep *sl)
{
    PyObject_GC_UnTrack(sl);
    sleep_clear(sl);
    idk_stream_base_dealloc(&sl->base.base);
}

/* ---- Send: idiokit.send(*args) ---------------------------------------------------------- */

static IdkOutput *send_output(IdkStream *s)
{
    return &((IdkSend *)s)->s_out;
}

static void send_on_input(IdkStream *s, int which)
{
    IdkSend *sd = (IdkSend *)s;
    IdkMsg *m;
    (void)which;
    if (s->r_state != IDK_PENDING || sd->s_msg->m_state != IDK_OFFERED)
        return;
    m = idk_leaf_take(&sd->base, 0);
    if (m == NULL)
        return;
    idk_leaf_unwatch(&sd->base);
    idk_msg_withdraw(sd->s_msg);
    Py_INCREF(s);
    idk_msg_consume(m);
    leaf_finish(s, IDK_RAISED, m->m_payload);
    idk_msg_decref(m);
    Py_DECREF(s);
}

static void send_on_consumed(IdkStream *s, IdkMsg *m)
{
    PyObject *args = PyTuple_New(0);
    (void)m;
    idk_leaf_unwatch((IdkInStream *)s);
    if (args != NULL)
        leaf_finish(s, IDK_RETURNED, args);
    Py_XDECREF(args);
}

static const IdkKind send_kind = {
    "send", leaf_attach_no_msgs, leaf_detach_no_msgs, send_output, idk_in_input,
    send_on_input, send_on_consumed, 1
};

PyObject *idk_send_new(PyObject *args)
{
    IdkSend *sd = (IdkSend *)leaf_alloc(&IdkSend_Type, &send_kind, 0);
    if (sd == NULL)
        return NULL;
    idk_output_init(&sd->s_out, &sd->base.base);
    sd->s_msg = idk_msg_new(0, args, &sd->base.base);
    if (sd->s_msg == NULL) {
        Py_DECREF(sd);
        return NULL;
    }
    idk_output_offer(&sd->s_out, sd->s_msg);
    return leaf_untracked(&sd->base);
}

static int send_clear(IdkSend *sd)
{
    if (sd->s_msg != NULL) {
        idk_msg_withdraw(sd->s_msg);
        idk_msg_decref(sd->s_msg);
        sd->s_msg = NULL;
    }
    idk_output_clear(&sd->s_out);
    return leaf_clear(&sd->base);
}

static void send_dealloc(IdkSend *sd)
{
    PyObject_GC_UnTrack(sd);
    send_clear(sd);
    leaf_free(&sd->base.base);
}

/* ---- Delivery: stream.send(*args) / stream.throw(exc) ----------------------------------- */

static void delivery_on_target_done(IdkStream *target, PyObject *ctx)
{
    IdkDelivery *d = (IdkDelivery *)ctx;
    PyObject *exc;
    if (d->base.base.r_state != IDK_PENDING)
        return;
    idk_msg_withdraw(d->d_msg);
    idk_leaf_unwatch(&d->base);
    if (target->r_state == IDK_RAISED) {
        leaf_finish(&d->base.base, IDK_RAISED, target->r_value);
        return;
    }
    exc = idk_exc_from_returned(IdkExc_BrokenPipe, target);
    if (exc == NULL) {
        exc = idk_exc_fetch();
    }
    leaf_finish(&d->base.base, IDK_RAISED, exc);
    Py_DECREF(exc);
}

static void delivery_stop_listening(IdkDelivery *d)
{
    if (d->d_target != NULL) {
        idk_stream_unlisten(d->d_target, delivery_on_target_done, (PyObject *)d);
    }
}

static void delivery_on_consumed(IdkStream *s, IdkMsg *m)
{
    IdkDelivery *d = (IdkDelivery *)s;
    PyObject *args = PyTuple_New(0);
    (void)m;
    idk_leaf_unwatch(&d->base);
    delivery_stop_listening(d);
    if (args != NULL)
        leaf_finish(s, IDK_RETURNED, args);
    Py_XDECREF(args);
}

static void delivery_on_input(IdkStream *s, int which)
{
    IdkDelivery *d = (IdkDelivery *)s;
    IdkMsg *m;
    (void)which;
    if (s->r_state != IDK_PENDING)
        return;
    m = idk_in_take(&d->base, 0, -1);
    if (m == NULL)
        return;
    idk_leaf_unwatch(&d->base);
    idk_msg_withdraw(d->d_msg);
    delivery_stop_listening(d);
    Py_INCREF(s);
    idk_msg_consume(m);
    leaf_finish(s, IDK_RAISED, m->m_payload);
    idk_msg_decref(m);
    Py_DECREF(s);
}

static const IdkKind delivery_kind = {
    "delivery", leaf_attach_no_msgs, leaf_detach_no_msgs, NULL, idk_in_input,
    delivery_on_input, delivery_on_consumed, 0
};

PyObject *idk_delivery_new(IdkStream *target, int which, int is_throw,
                           PyObject *payload)
{
    IdkDelivery *d;
    IdkChan *chan = idk_stream_input(target, which);
    if (chan == NULL) {
        idk_err_repr(PyExc_TypeError, "", (PyObject *)target, " takes no input");
        return NULL;
    }
    d = (IdkDelivery *)leaf_alloc(&IdkDelivery_Type, &delivery_kind, 0);
    if (d == NULL)
        return NULL;
    d->d_target = (IdkStream *)idk_newref((PyObject *)target);
    d->d_msg = idk_msg_new(is_throw, payload, &d->base.base);
    if (d->d_msg == NULL) {
        Py_DECREF(d);
        return NULL;
    }
    if (idk_stream_listen(target, delivery_on_target_done, (PyObject *)d) < 0) {
        Py_DECREF(d);
        return NULL;
    }
    if (d->base.base.r_state == IDK_PENDING)
        idk_chan_push(chan, d->d_msg);
    return (PyObject *)d;
}

static int delivery_clear(IdkDelivery *d)
{
    if (d->d_msg != NULL) {
        idk_msg_withdraw(d->d_msg);
        idk_msg_decref(d->d_msg);
        d->d_msg = NULL;
    }
    Py_CLEAR(d->d_target);
    return leaf_clear(&d->base);
}

static int delivery_traverse(IdkDelivery *d, visitproc visit, void *arg)
{
    Py_VISIT(d->d_target);
    return leaf_traverse(&d->base, visit, arg);
}

static void delivery_dealloc(IdkDelivery *d)
{
    PyObject_GC_UnTrack(d);
    delivery_clear(d);
    idk_stream_base_dealloc(&d->base.base);
}

/* ---- await: the iterator behind `await stream` ------------------------------------------ */

typedef struct {
    PyObject_HEAD
    PyObject *aw_stream;   /* yielded once, then cleared */
} IdkAwait;

/* One is made per `await stream`: their memory is reused (freelist on the loop). */

static PyObject *await_next(IdkAwait *aw)
{
    PyObject *s = aw->aw_stream;
    if (s != NULL) {
        aw->aw_stream = NULL;
        return s;                  /* the task sees the stream itself */
    }
    return NULL;                   /* resumed with None: the await gives None */
}

static PyObject *await_send(IdkAwait *aw, PyObject *value)
{
    PyObject *stop;
    if (aw->aw_stream != NULL) {
        if (value != Py_None) {
            PyErr_SetString(PyExc_TypeError, "can't send non-None value to a just-started await");
            return NULL;
        }
        return await_next(aw);
    }
    stop = PyObject_CallFunctionObjArgs(PyExc_StopIteration, value, NULL);
    if (stop != NULL) {
        PyErr_SetObject(PyExc_StopIteration, stop);
        Py_DECREF(stop);
    }
    return NULL;
}

static PyObject *await_throw(IdkAwait *aw, PyObject *args)
{
    PyObject *exc = idk_exc_from_throw_args(args);
    Py_CLEAR(aw->aw_stream);
    if (exc != NULL) {
        idk_exc_restore(exc);
        Py_DECREF(exc);
    }
    return NULL;
}

static PyObject *await_close(IdkAwait *aw, PyObject *unused)
{
    (void)unused;
    Py_CLEAR(aw->aw_stream);
    Py_RETURN_NONE;
}

static void await_dealloc(IdkAwait *aw)
{
    Py_XDECREF(aw->aw_stream);
    if (!idk_freelist_push(IDK_FL_AWAIT, aw))
        PyObject_Del(aw);
}

PyObject *idk_await_new(PyObject *stream)
{
    IdkAwait *aw = (IdkAwait *)idk_freelist_pop(IDK_FL_AWAIT);
    if (aw != NULL)
        aw = (IdkAwait *)PyObject_Init((PyObject *)aw, &IdkAwait_Type);
    else
        aw = IDK_ALLOC(IdkAwait, &IdkAwait_Type);
    if (aw == NULL)
        return NULL;
    aw->aw_stream = idk_newref(stream);
    return (PyObject *)aw;
}

#if IDK_HAS_AM_SEND
/* The coroutine resumes its await through this slot (3.10+): the value comes
 * back as a return, with no StopIteration built for it. */
static PySendResult await_am_send(IdkAwait *aw, PyObject *value, PyObject **result)
{
    if (aw->aw_stream != NULL) {
        if (value != Py_None) {
            PyErr_SetString(PyExc_TypeError, "can't send non-None value to a just-started await");
            *result = NULL;
            return PYGEN_ERROR;
        }
        *result = aw->aw_stream;
        aw->aw_stream = NULL;
        return PYGEN_NEXT;
    }
    *result = idk_newref(value);
    return PYGEN_RETURN;
}

static PyAsyncMethods await_as_async;
#endif

static PyMethodDef await_methods[] = {
    {"send", (PyCFunction)await_send, METH_O, NULL},
    {"throw", (PyCFunction)await_throw, METH_VARARGS, NULL},
    {"close", (PyCFunction)await_close, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}
};

/* ---- types ----------------------------------------------------------------------------- */

PyTypeObject IdkNext_Type = {PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit.next", .tp_basicsize = sizeof(IdkLeaf)};
PyTypeObject IdkEvent_Type = {PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit.Event", .tp_basicsize = sizeof(IdkLeaf)};
PyTypeObject IdkSleep_Type = {PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.Sleep", .tp_basicsize = sizeof(IdkSleep)};
PyTypeObject IdkSend_Type = {PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.Send", .tp_basicsize = sizeof(IdkSend)};
PyTypeObject IdkDelivery_Type = {PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.Delivery", .tp_basicsize = sizeof(IdkDelivery)};
PyTypeObject IdkAwait_Type = {PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.Await", .tp_basicsize = sizeof(IdkAwait)};

static int leaf_type_ready(PyTypeObject *t, PyTypeObject *base, destructor dealloc,
                           traverseproc trav, inquiry clear, const char *doc)
{
    t->tp_base = base;
    t->tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
    t->tp_dealloc = dealloc;
    t->tp_traverse = trav;
    t->tp_clear = clear;
    t->tp_doc = doc;
    return PyType_Ready(t);
}

int idk_leaf_types_ready(void)
{
    IdkNext_Type.tp_new = next_tp_new;
    IdkEvent_Type.tp_new = event_tp_new;
    IdkEvent_Type.tp_methods = event_methods;
    if (leaf_type_ready(&IdkNext_Type, &IdkStream_Type, (destructor)leaf_dealloc,
                        (traverseproc)leaf_traverse, (inquiry)leaf_clear,
                        "next(): take the next item of the current stream's input.") < 0
        || leaf_type_ready(&IdkEvent_Type, &IdkStream_Type, (destructor)leaf_dealloc,
                           (traverseproc)leaf_traverse, (inquiry)leaf_clear,
                           "A one-shot event: succeed(*args) or fail(*exc), first wins.") < 0)
        return -1;
    IdkEvent_Type.tp_flags |= Py_TPFLAGS_BASETYPE;
    if (leaf_type_ready(&IdkSleep_Type, &IdkEvent_Type, (destructor)sleep_dealloc,
                        (traverseproc)sleep_traverse, (inquiry)sleep_clear,
                        "An Event completed by a timer.") < 0
        || leaf_type_ready(&IdkSend_Type, &IdkStream_Type, (destructor)send_dealloc,
                           (traverseproc)leaf_traverse, (inquiry)send_clear,
                           "send(*args): offer one message on the current stream's output.") < 0
        || leaf_type_ready(&IdkDelivery_Type, &IdkStream_Type, (destructor)delivery_dealloc,
                           (traverseproc)delivery_traverse, (inquiry)delivery_clear,
                           "A message or exception sent into a stream.") < 0)
        return -1;
    IdkAwait_Type.tp_flags = IDK_TPFLAGS_DEFAULT;
    IdkAwait_Type.tp_dealloc = (destructor)await_dealloc;
    IdkAwait_Type.tp_iter = PyObject_SelfIter;
    IdkAwait_Type.tp_iternext = (iternextfunc)await_next;
    IdkAwait_Type.tp_methods = await_methods;
#if IDK_HAS_AM_SEND
    await_as_async.am_send = (sendfunc)await_am_send;
    IdkAwait_Type.tp_as_async = &await_as_async;
#endif
    return PyType_Ready(&IdkAwait_Type);
}
