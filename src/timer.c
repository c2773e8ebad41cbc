/* timer.c: one-shot timers on libev, sleep(delay[, exc]) (Sleep: an Event
 * completed by a timer) and timer.timeout(t, stream, exc).
 *
 * Invariants:
 *  - An active timer holds a reference to its owner; stopping drops it.
 *  - libev fires a batch of due timers in heap order; we collect them in
 *    the loop's TimerQueue (a loop client) and run them sorted by (deadline, sequence), so timers fire
 *    in deadline order and FIFO among equal deadlines.
 *  - Deadlines use libev's monotonic clock, refreshed at every start.
 */
#include "leaf.h"

/* The timers fired in one poll, on the loop (a loop client): run after the
 * poll in deadline order. */
typedef struct {
    IdkLoopClient base;
    IdkVec fired;         /* IdkTimer*: each holds the ref its owner had while active */
} TimerQueue;

static void timer_queue_flush(IdkLoopClient *c);

static void timer_queue_init(IdkLoopClient *c)
{
    idk_vec_init(&((TimerQueue *)c)->fired);
}

static void timer_queue_release(IdkLoopClient *c)
{
    idk_vec_free(&((TimerQueue *)c)->fired);
}

static const IdkLoopClientKind timer_queue_kind = {
    "timers", sizeof(TimerQueue), timer_queue_init, timer_queue_flush, NULL, timer_queue_release
};

static void timer_on_expire(struct ev_loop *ev, ev_timer *w, int revents)
{
    IdkTimer *tm = (IdkTimer *)w;   /* tm_w is the first member */
    TimerQueue *q = (TimerQueue *)w->data;
    (void)ev;
    (void)revents;
    if (!tm->tm_active)
        return;
    /* The reference held while active moves to the fired list. */
    tm->tm_active = 0;
    idk_stats.watchers--;
    idk_stats.timers--;
    if (idk_vec_push(&q->fired, tm) < 0) {
        PyErr_Clear();
        tm->tm_fire(tm->tm_owner);
        Py_DECREF(tm->tm_owner);
    }
}

void idk_timer_init(IdkTimer *tm, PyObject *owner, void (*fire)(PyObject *))
{
    ev_init(&tm->tm_w, timer_on_expire);
    tm->tm_owner = owner;
    tm->tm_fire = fire;
    tm->tm_active = 0;
    tm->tm_deadline = 0;
    tm->tm_seq = 0;
}

int idk_timer_start(IdkTimer *tm, double delay)
{
    IdkLoop *loop = idk_loop_get();
    IdkLoopClient *q = idk_loop_client(&timer_queue_kind, 1);
    if (loop == NULL || q == NULL)
        return -1;
    tm->tm_w.data = q;
    if (tm->tm_active)
        idk_timer_stop(tm);
    if (delay != delay || delay < 0)
        delay = 0;
    ev_now_update(loop->l_ev);
    tm->tm_deadline = ev_now(loop->l_ev) + delay;
    tm->tm_seq = idk_next_seq();
    ev_timer_set(&tm->tm_w, delay, 0.0);
    ev_timer_start(loop->l_ev, &tm->tm_w);
    tm->tm_active = 1;
    Py_INCREF(tm->tm_owner);
    idk_stats.watchers++;
    idk_stats.timers++;
    return 0;
}

void idk_timer_stop(IdkTimer *tm)
{
    if (!tm->tm_active)
        return;
    ev_timer_stop(idk_loop->l_ev, &tm->tm_w);
    tm->tm_active = 0;
    idk_stats.watchers--;
    idk_stats.timers--;
    Py_DECREF(tm->tm_owner);
}

static int timer_cmp(const void *a, const void *b)
{
    const IdkTimer *x = *(IdkTimer *const *)a, *y = *(IdkTimer *const *)b;
    if (x->tm_deadline != y->tm_deadline)
        return x->tm_deadline < y->tm_deadline ? -1 : 1;
    return x->tm_seq < y->tm_seq ? -1 : (x->tm_seq > y->tm_seq);
}

static void timer_queue_flush(IdkLoopClient *c)
{
    TimerQueue *q = (TimerQueue *)c;
    IdkVec fired;
    int i;
    if (q->fired.n == 0)
        return;
    fired = q->fired;   /* take the list: firing may add to it */
    idk_vec_init(&q->fired);
    if (fired.n > 1)
        qsort(idk_vec_data(&fired), fired.n, sizeof(void *), timer_cmp);
    for (i = 0; i < fired.n; i++) {
        IdkTimer *tm = (IdkTimer *)idk_vec_data(&fired)[i];
        PyObject *owner = tm->tm_owner;
        tm->tm_fire(owner);
        Py_DECREF(owner);
    }
    idk_vec_free(&fired);
}

/* ---- Sleep: an Event completed by a timer --------------------------------------------- */

typedef struct {
    IdkInStream base;
    IdkTask *l_host;      /* as IdkLeaf */
    IdkTimer sl_timer;
    PyObject *sl_exc;     /* raise this when the timer fires, or NULL */
} IdkSleep;

void idk_sleep_stop_timer(IdkStream *sleep)
{
    idk_timer_stop(&((IdkSleep *)sleep)->sl_timer);
}

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
    if (idk_leaf_take_and_finish(s, 0))
        idk_timer_stop(&((IdkSleep *)s)->sl_timer);
}

static const IdkKind sleep_kind = {
    "sleep", idk_leaf_attach_no_msgs, idk_leaf_detach_no_msgs, NULL, idk_in_input,
    sleep_on_input, NULL, 1
};

static IdkSleep *sleep_alloc(PyObject *exc)
{
    IdkSleep *sl = (IdkSleep *)idk_leaf_alloc(&IdkSleep_Type, &sleep_kind, 0);
    if (sl == NULL)
        return NULL;
    sl->sl_exc = idk_xnewref(exc);
    if (exc == NULL)
        idk_leaf_untracked(&sl->base);   /* with an exception it may be in cycles */
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
    return idk_leaf_clear(&sl->base);
}

static int sleep_traverse(IdkSleep *sl, visitproc visit, void *arg)
{
    Py_VISIT(sl->sl_exc);
    return idk_leaf_traverse(&sl->base, visit, arg);
}

static void sleep_dealloc(IdkSleep *sl)
{
    PyObject_GC_UnTrack(sl);
    sleep_clear(sl);
    idk_stream_base_dealloc(&sl->base.base);
}

PyTypeObject IdkSleep_Type = {PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.Sleep", .tp_basicsize = sizeof(IdkSleep)};

/* ---- timeout(t, stream, exc): throw exc into stream after t seconds ------------------ */

typedef struct {
    PyObject_HEAD
    IdkTimer to_timer;
    PyObject *to_stream;   /* owned while armed */
    PyObject *to_exc;      /* owned while armed */
} IdkTimeout;

static void timeout_disarm(IdkTimeout *to)
{
    idk_timer_stop(&to->to_timer);
    Py_CLEAR(to->to_stream);
    Py_CLEAR(to->to_exc);
}

static void timeout_on_stream_done(IdkStream *s, PyObject *ctx);

static void timeout_fire(PyObject *owner)
{
    IdkTimeout *to = (IdkTimeout *)owner;
    PyObject *stream = to->to_stream, *exc = to->to_exc, *d;
    if (stream == NULL)
        return;
    to->to_stream = to->to_exc = NULL;
    idk_stream_unlisten((IdkStream *)stream, timeout_on_stream_done, owner);
    d = idk_delivery_new((IdkStream *)stream, IDK_SIGS, 1, exc);
    if (d == NULL)
        idk_loop_report_current();
    Py_XDECREF(d);
    Py_DECREF(stream);
    Py_DECREF(exc);
}

static void timeout_on_stream_done(IdkStream *s, PyObject *ctx)
{
    (void)s;
    timeout_disarm((IdkTimeout *)ctx);
}

static void timeout_dealloc(IdkTimeout *to)
{
    timeout_disarm(to);
    PyObject_Del(to);
}

PyTypeObject IdkTimeout_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.Timeout", .tp_basicsize = sizeof(IdkTimeout)
};

/* The exc that throw(excarg) would raise; new reference or NULL. */
static PyObject *exc_from_one(PyObject *excarg)
{
    PyObject *t = PyTuple_Pack(1, excarg), *exc;
    if (t == NULL)
        return NULL;
    exc = idk_exc_from_throw_args(t);
    Py_DECREF(t);
    return exc;
}

/* _core.timeout(delay, stream, exc) -> stream */
PyObject *idk_timeout_arm(PyObject *self, PyObject *args)
{
    double delay;
    PyObject *delayarg, *stream, *excarg, *exc;
    IdkTimeout *to;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOO:timeout", &delayarg, &stream, &excarg)
            || idk_parse_timeout(delayarg, &delay) < 0)
        return NULL;
    if (!IdkStream_Check(stream)) {
        idk_err_repr(PyExc_TypeError, "expected a stream, got ", stream, "");
        return NULL;
    }
    if (delay < 0)           /* None: no timeout */
        return idk_newref(stream);
    if ((exc = exc_from_one(excarg)) == NULL)
        return NULL;
    to = IDK_ALLOC(IdkTimeout, &IdkTimeout_Type);
    if (to == NULL) {
        Py_DECREF(exc);
        return NULL;
    }
    to->to_stream = idk_newref(stream);
    to->to_exc = exc;
    idk_timer_init(&to->to_timer, (PyObject *)to, timeout_fire);
    if (idk_timer_start(&to->to_timer, delay) < 0
            || idk_stream_listen((IdkStream *)stream, timeout_on_stream_done,
                                 (PyObject *)to) < 0) {
        timeout_disarm(to);
        Py_DECREF(to);
        return NULL;
    }
    Py_DECREF(to);   /* the timer and the listener keep it while armed */
    return idk_newref(stream);
}

/* _core.sleep(delay[, exc]); delay None: an Event that never ends. */

PyObject *idk_sleep_func(PyObject *self, PyObject *args)
{
    double delay;
    PyObject *delayarg, *excarg = NULL, *exc = NULL, *r;
    (void)self;
    if (!PyArg_ParseTuple(args, "O|O:sleep", &delayarg, &excarg)
            || idk_parse_timeout(delayarg, &delay) < 0)
        return NULL;
    if (delay < 0)
        return idk_event_new();
    if (excarg != NULL && excarg != Py_None && (exc = exc_from_one(excarg)) == NULL)
        return NULL;
    r = idk_sleep_new(delay, exc);
    Py_XDECREF(exc);
    return r;
}

/* After Event's (Sleep derives from it). */
int idk_timer_types_ready(void)
{
    IdkTimeout_Type.tp_flags = IDK_TPFLAGS_DEFAULT;
    IdkTimeout_Type.tp_dealloc = (destructor)timeout_dealloc;
    if (PyType_Ready(&IdkTimeout_Type) < 0)
        return -1;
    return idk_leaf_type_ready(&IdkSleep_Type, &IdkEvent_Type, (destructor)sleep_dealloc,
                               (traverseproc)sleep_traverse, (inquiry)sleep_clear,
                               "An Event completed by a timer.");
}
