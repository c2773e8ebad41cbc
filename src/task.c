/* task.c: IdkTask, a stream that steps a generator, a coroutine, any
 * iterator with send/throw, or a C stepper (IdkStepper: map()'s iterator,
 * the asyncoro driver), which it steps directly without knowing its kind.
 *
 * Invariants:
 *  - A task is stepped only from the loop's ready queue, never re-entrantly.
 *  - While it waits, t_current is the stream it yielded; the child inherits
 *    the task's three channels and forwards its output into the task's.
 *    A shared Event (r_shared) inherits nothing: the task watches its own
 *    signal channels, and a signal makes it leave the Event, untouched.
 *  - The loop keeps every unfinished task alive (a blocked stream is kept
 *    like the original's _running set); finishing unlinks it.
 *  - Finishing: the result is set last, after the channels, the output and
 *    the generator are released.
 *  - A failed task whose result nobody observed is logged when collected.
 */
#include "core.h"

/* A task's output is allocated when first needed: an idle task that nobody
 * reads and that waits on something without output never has one. */
static IdkOutput *task_output(IdkStream *s)
{
    IdkTask *t = (IdkTask *)s;
    if (t->t_out == NULL) {
        t->t_out = (IdkOutput *)PyMem_Malloc(sizeof(IdkOutput));
        if (t->t_out == NULL)
            return NULL;
        idk_output_init(t->t_out, s);
    }
    return t->t_out;
}

static void task_leave_shared(IdkTask *t);

/* The task's channels are watched only while it hosts a leaf (core.h),
 * whose is what arrives, or while it waits on a shared Event, which a
 * signal makes it leave. */
static void task_on_input(IdkStream *s, int which)
{
    IdkTask *t = (IdkTask *)s;
    IdkStream *cur = t->t_current;
    if (cur == NULL)
        return;
    if (cur->r_shared)
        task_leave_shared(t);
    else if (idk_leaf_hosted_by(cur, t))
        cur->kind->on_input(cur, which);
}

static void task_watch_signals(IdkTask *t, unsigned char on)
{
    t->base.in[IDK_SIGS].c_watch = on;
    t->base.in[IDK_BROKEN].c_watch = on;
}

static const IdkKind task_kind = {
    "task", idk_in_attach, idk_in_detach, task_output, idk_in_input, task_on_input, NULL, 0
};

/* ---- liveness: an unfinished task keeps itself alive ------------------------ */

/* While it is unfinished the task holds a reference to itself, so nothing
 * reachable from it (its generator, the frame's locals) can be garbage:
 * the cyclic GC would traverse it on every collection for nothing, and with
 * many live tasks that was most of the cost of spawning them.  So an
 * unfinished task and its generator stay out of the GC; both are tracked
 * again when it finishes, before anything can free them. */
static void task_gc_hide(IdkTask *t)
{
    PyObject_GC_UnTrack(t);   /* tp_alloc tracked it */
    t->t_gc_hidden = 1;
    t->t_gen_hidden = (unsigned char)idk_gc_untrack_if_tracked(t->t_gen);
}

static void task_gc_show_gen(IdkTask *t)
{
    if (t->t_gen_hidden) {
        t->t_gen_hidden = 0;
        PyObject_GC_Track(t->t_gen);
    }
}

static void task_gc_show(IdkTask *t)
{
    task_gc_show_gen(t);
    if (t->t_gc_hidden) {
        t->t_gc_hidden = 0;
        PyObject_GC_Track(t);
    }
}

static void task_link_live(IdkTask *t)
{
    t->t_live = 1;
    Py_INCREF(t);
    idk_stats.tasks++;
}

static void task_unlink_live(IdkTask *t)
{
    if (!t->t_live)
        return;
    t->t_live = 0;
    idk_stats.tasks--;
    Py_DECREF(t);
}

/* ---- creation ----------------------------------------------------------------- */

static PyObject *task_new(PyObject *gen, int gen_kind);

PyObject *idk_task_new(PyObject *gen)
{
    return task_new(gen, idk_is_coroutine(gen) ? IDK_GEN_CORO : IDK_GEN_ITER);
}

PyObject *idk_task_new_stepped(IdkStepper *it)
{
    return task_new((PyObject *)it, IDK_GEN_STEPPER);
}

static PyObject *task_new(PyObject *gen, int gen_kind)
{
    IdkTask *t;
    if (idk_loop_get() == NULL)
        return NULL;
    t = IDK_ALLOC(IdkTask, &IdkTask_Type);
    if (t == NULL)
        return NULL;
    idk_stream_init(&t->base.base, &task_kind);
    idk_in_init(&t->base);
    t->t_out = NULL;
    t->t_gen = idk_newref(gen);
    t->t_current = NULL;
    t->t_fwd = NULL;
    t->t_gen_kind = (unsigned char)gen_kind;
    t->t_scheduled = 0;
    t->t_resume_throw = 0;
    t->t_resume_single = 0;
    t->t_in_turn = 0;
    t->t_turn = NULL;
    t->t_resume = NULL;
    t->t_live = 0;
    task_gc_hide(t);
    task_link_live(t);
    if (idk_loop_schedule(t) < 0) {
        task_unlink_live(t);
        Py_DECREF(t);
        return NULL;
    }
    return (PyObject *)t;
}

static void task_unforward(IdkTask *t)
{
    IdkOutput *fwd = t->t_fwd;
    if (fwd == NULL)
        return;
    t->t_fwd = NULL;
    idk_output_remove_forward(fwd, t->t_out);
    Py_DECREF(fwd->o_owner);
}

/* ---- finishing ------------------------------------------------------------------- */

static void task_finish(IdkTask *t, int state, PyObject *value)
{
    int k;
    Py_INCREF(t);
    task_gc_show(t);
    task_unforward(t);
    for (k = 0; k < IDK_NCHANS; k++)
        idk_chan_clear(&t->base.in[k]);
    if (t->t_out != NULL)
        idk_output_clear(t->t_out);
    task_unlink_live(t);
    /* A generator (finished) stays for repr(); a C stepper is let go: the
     * asyncoro Coro holds its task (coro.stream), and keeping the Coro would
     * leave the pair to the cyclic GC. */
    if (t->t_gen_kind == IDK_GEN_STEPPER)
        Py_CLEAR(t->t_gen);
    idk_stream_finish(&t->base.base, state, value);
    Py_DECREF(t);
}

static void task_fail_current_error(IdkTask *t)
{
    PyObject *exc = idk_exc_fetch();
    task_finish(t, IDK_RAISED, exc);
    Py_DECREF(exc);
}

/* The generator ended with an exception: StopIteration (and PEP 479's
 * RuntimeError caused by one, and EndOfInput in a coroutine) is a return. */
static void task_ended_by(IdkTask *t, PyObject *exc)
{
    PyObject *stop = NULL, *args;
    PyObject *value = idk_exc_value(exc);
    if (PyErr_GivenExceptionMatches(value, PyExc_StopIteration))
        stop = value;
    else if ((stop = idk_exc_pep479_cause(value)) != NULL)
        ;
    else if (PyErr_GivenExceptionMatches(value, IdkExc_EndOfInput))
        stop = value;
    if (stop == NULL) {
        task_finish(t, IDK_RAISED, exc);
        return;
    }
    args = idk_exc_args(stop);
    if (args == NULL || !PyTuple_Check(args)) {
        Py_XDECREF(args);
        PyErr_Clear();
        args = PyTuple_New(0);
    }
    task_finish(t, IDK_RETURNED, args);
    Py_DECREF(args);
}

/* Yielded something it cannot wait for (not a stream, or itself): fail with
 * the error that is set, and close the generator so its finally blocks run. */
static void task_bad_yield(IdkTask *t)
{
    PyObject *close_result, *exc;
    exc = idk_exc_fetch();
    close_result = PyObject_CallMethod(t->t_gen, "close", NULL);
    if (close_result == NULL)
        idk_loop_report_current();
    Py_XDECREF(close_result);
    task_finish(t, IDK_RAISED, exc);
    Py_DECREF(exc);
}

/* ---- waiting on a child ------------------------------------------------------------ */

/* The next step sends in (or throws) done's result. */
static void task_resume_with(IdkTask *t, IdkStream *done)
{
    Py_XSETREF(t->t_resume, idk_newref(done->r_value));
    t->t_resume_throw = done->r_state == IDK_RAISED;
    t->t_resume_single = done->r_single;
}

/* Whether a signal or the end of the downstream may wait for the task: the
 * cheap test first. */
static inline int task_may_have_signal(IdkTask *t)
{
    return idk_chan_may_hold(&t->base.in[IDK_SIGS]) || idk_chan_may_hold(&t->base.in[IDK_BROKEN]);
}

/* Resume with the first signal (or end of the downstream) waiting in the
 * task's own channels: 1 if there was one.
 * Also when the task yields a stream that is already finished: such a
 * signal wins over a result that carries nothing, as it would at a pending
 * yield, so a loop of `yield idiokit.sleep(0)`, or of a finished Event, can
 * be thrown into; a result with a value (a recv's data) is never dropped for
 * it, the signal then waits for the next yield. */
static IDK_NOINLINE int task_resume_with_signal(IdkTask *t)
{
    int i;
    for (i = 0; i < IDK_NCHANS; i++) {
        int kind = idk_chan_priority[i];
        IdkChan *holder = NULL;
        IdkMsg *m;
        if (kind == IDK_MSGS || idk_chan_peek(&t->base.in[kind], &holder) == NULL)
            continue;
        m = idk_chan_take(holder);
        idk_msg_consume(m);
        Py_XSETREF(t->t_resume, idk_newref(m->m_payload));
        t->t_resume_throw = m->m_throw;
        t->t_resume_single = 0;
        idk_msg_decref(m);
        return 1;
    }
    return 0;
}

static int result_is_empty(IdkStream *done)
{
    return done->r_state == IDK_RETURNED && !done->r_single && PyTuple_Check(done->r_value)
        && PyTuple_GET_SIZE(done->r_value) == 0;
}

static void task_on_child_done(IdkStream *child, PyObject *ctx)
{
    IdkTask *t = (IdkTask *)ctx;
    IdkStream *cur = t->t_current;
    if (cur == NULL)
        return;
    t->t_current = NULL;
    t->t_turn = NULL;
    if (idk_leaf_hosted_by(cur, t))
        idk_leaf_unhost(cur, t);
    else if (cur->r_shared)
        task_watch_signals(t, 0);
    else
        idk_stream_detach(cur, &t->base.in[IDK_MSGS], &t->base.in[IDK_SIGS],
                          &t->base.in[IDK_BROKEN]);
    task_unforward(t);
    task_resume_with(t, child);
    if (!t->t_in_turn && idk_loop_schedule(t) < 0)
        idk_loop_report_current();
    Py_DECREF(cur);
}

/* A signal reached a task waiting on a shared Event: the task leaves the
 * Event as it is (the other waiters go on waiting) and resumes with it. */
static void task_leave_shared(IdkTask *t)
{
    IdkStream *cur = t->t_current;
    if (!task_resume_with_signal(t))
        return;
    task_watch_signals(t, 0);
    t->t_current = NULL;
    t->t_turn = NULL;
    idk_stream_unlisten(cur, task_on_child_done, (PyObject *)t);
    if (!t->t_in_turn && idk_loop_schedule(t) < 0)
        idk_loop_report_current();
    Py_DECREF(cur);
}

static void task_wait_on(IdkTask *t, PyObject *obj)
{
    IdkStream *child;
    IdkOutput *out;
    if (!IdkStream_Check(obj)) {
        idk_err_repr(PyExc_TypeError, "expected a stream, got ", obj, "");
        task_bad_yield(t);
        return;
    }
    if (idk_stream_resolve((IdkStream *)obj) == &t->base.base) {
        PyErr_SetString(PyExc_RuntimeError, "a stream cannot wait for itself");
        task_bad_yield(t);
        return;
    }
    if (idk_stream_resolve((IdkStream *)obj)->r_state != IDK_PENDING) {
        /* Already finished: its stored result (or a signal that waits),
         * next turn, no wiring. */
        IdkStream *done = idk_stream_resolve((IdkStream *)obj);
        done->r_observed = 1;
        if (!task_may_have_signal(t) || !result_is_empty(done) || !task_resume_with_signal(t))
            task_resume_with(t, done);
        if (idk_loop_schedule(t) < 0)
            task_fail_current_error(t);
        return;
    }
    child = (IdkStream *)idk_newref(obj);
    t->t_current = child;
    if (child->r_shared)
        task_watch_signals(t, 1);
    else if (!idk_leaf_host(child, t)
            && idk_stream_attach(child, &t->base.in[IDK_MSGS], &t->base.in[IDK_SIGS],
                                 &t->base.in[IDK_BROKEN]) < 0)
        goto fail;
    out = idk_stream_output(child);
    if (t->t_current == child && out != NULL) {
        IdkOutput *mine = task_output(&t->base.base);
        if (mine == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        if (idk_output_add_forward(out, mine) < 0)
            goto fail;
        t->t_fwd = out;
        Py_INCREF(out->o_owner);
    }
    if (idk_stream_listen(child, task_on_child_done, (PyObject *)t) < 0)
        goto fail;
    if (child->r_shared && task_may_have_signal(t))
        task_leave_shared(t);   /* a signal that came before */
    return;
fail:
    /* Out of memory while wiring: the task fails with that error. */
    task_unforward(t);
    if (t->t_current == child) {
        idk_leaf_unhost(child, t);
        task_watch_signals(t, 0);
        t->t_current = NULL;
        Py_DECREF(child);
    }
    task_fail_current_error(t);
}

/* ---- stepping -------------------------------------------------------------------------- */

/* In a coroutine, end of input is EndOfInput, never a StopIteration: Python
 * would turn a StopIteration at an await into the await's value. */
static PyObject *task_coro_exc(PyObject *exc)
{
    PyObject *args, *eoi;
    if (!PyErr_GivenExceptionMatches(idk_exc_value(exc), PyExc_StopIteration))
        return idk_newref(exc);
    args = idk_exc_args(idk_exc_value(exc));
    if (args == NULL)
        return NULL;
    eoi = idk_exc_new(IdkExc_EndOfInput, args);
    Py_DECREF(args);
    return eoi;
}

int idk_task_wake(IdkTask *t, IdkTurnFn fn)
{
    if (idk_loop_schedule(t) < 0)
        return -1;
    t->t_turn = fn;
    return 0;
}

/* A task stepped while it waits: the leaf it waits on woke it to act in its
 * turn (idk_task_wake).  1 if the task goes on waiting. */
static int task_still_waiting(IdkTask *t)
{
    IdkStream *cur = t->t_current;
    IdkTurnFn fn = t->t_turn;
    t->t_turn = NULL;
    if (fn != NULL) {
        Py_INCREF(cur);
        t->t_in_turn = 1;
        fn(cur);
        t->t_in_turn = 0;
        Py_DECREF(cur);
    }
    return t->t_current != NULL;
}

/* Send value (borrowed) into what the task steps: a C stepper directly,
 * anything else as an iterator. */
static int task_send(IdkTask *t, PyObject *value, PyObject **out)
{
    if (t->t_gen_kind == IDK_GEN_STEPPER)
        return ((IdkStepper *)t->t_gen)->st_step(t->t_gen, value, NULL, out);
    return idk_iter_send(t->t_gen, value, out);
}

/* Throw exc (borrowed) into it; a coroutine gets EndOfInput for end of input. */
static int task_throw(IdkTask *t, PyObject *exc, PyObject **out)
{
    int r;
    if (t->t_gen_kind == IDK_GEN_STEPPER)
        return ((IdkStepper *)t->t_gen)->st_step(t->t_gen, NULL, exc, out);
    exc = t->t_gen_kind == IDK_GEN_CORO ? task_coro_exc(exc) : idk_newref(exc);
    r = exc == NULL ? IDK_SEND_ERROR : idk_iter_throw(t->t_gen, exc, out);
    Py_XDECREF(exc);
    return r;
}

void idk_task_step(IdkTask *t)
{
    PyObject *resume, *out = NULL, *value;
    IdkTask *prev;
    int throw_, single, r;
    if (t->t_current != NULL && task_still_waiting(t))
        return;
    resume = t->t_resume;
    throw_ = t->t_resume_throw;
    single = t->t_resume_single;
    t->t_resume = NULL;
    t->t_resume_throw = 0;
    t->t_resume_single = 0;
    if (t->t_gen == NULL || t->base.base.r_state != IDK_PENDING) {
        Py_XDECREF(resume);
        return;
    }
    prev = idk_loop->l_task;     /* what current_task() returns (group.c) */
    idk_loop->l_task = t;
    if (throw_) {
        r = task_throw(t, resume, &out);
    } else {
        if (resume == NULL)
            value = idk_newref(Py_None);
        else
            value = single ? idk_newref(resume) : idk_peel(resume);
        r = task_send(t, value, &out);
        Py_DECREF(value);
    }
    idk_loop->l_task = prev;
    Py_XDECREF(resume);
    if (r == IDK_SEND_YIELD) {
        task_wait_on(t, out);
        Py_DECREF(out);
    } else if (r == IDK_SEND_RETURN) {
        PyObject *args = out == Py_None ? PyTuple_New(0) : PyTuple_Pack(1, out);
        Py_DECREF(out);
        if (args == NULL) {
            task_fail_current_error(t);
            return;
        }
        task_finish(t, IDK_RETURNED, args);
        Py_DECREF(args);
    } else {
        PyObject *exc = idk_exc_fetch();
        task_ended_by(t, exc);
        Py_DECREF(exc);
    }
}

/* ---- unobserved failures ------------------------------------------------------------ */

/* tp_finalize: log a failure whose result nobody retrieved. */
static void task_finalize(IdkTask *t)
{
    PyObject *saved, *r = NULL, *kw = NULL, *info = NULL, *meth = NULL, *args = NULL;
    IdkStream *s = &t->base.base;
    if (s->r_state != IDK_RAISED || s->r_observed || idk_logger == NULL)
        return;
    s->r_observed = 1;
    saved = PyErr_Occurred() ? idk_exc_fetch() : NULL;
    info = idk_exc_info(s->r_value);
    if (info == NULL)
        goto done;
    kw = Py_BuildValue("{sO}", "exc_info", info);
    meth = PyObject_GetAttrString(idk_logger, "error");
    /* N: the repr's reference is the tuple's (a failed repr fails the tuple) */
    args = Py_BuildValue("(sN)", "exception in %s was never retrieved",
                         PyObject_Repr((PyObject *)t));
    if (kw != NULL && meth != NULL && args != NULL)
        r = PyObject_Call(meth, args, kw);
done:
    Py_XDECREF(r);
    Py_XDECREF(args);
    Py_XDECREF(meth);
    Py_XDECREF(kw);
    Py_XDECREF(info);
    PyErr_Clear();
    if (saved != NULL) {
        idk_exc_restore(saved);
        Py_DECREF(saved);
    }
}

/* ---- type slots ------------------------------------------------------------------------ */

static int task_traverse(IdkTask *t, visitproc visit, void *arg)
{
    Py_VISIT(t->t_gen);
    Py_VISIT(t->t_current);
    Py_VISIT(t->t_resume);
    return idk_stream_base_traverse(&t->base.base, visit, arg);
}

static int task_clear(IdkTask *t)
{
    task_gc_show_gen(t);   /* the generator must be tracked when it is freed */
    Py_CLEAR(t->t_gen);
    Py_CLEAR(t->t_current);
    Py_CLEAR(t->t_resume);
    idk_stream_base_clear(&t->base.base);
    return 0;
}

static void task_dealloc(IdkTask *t)
{
    int k;
    if (idk_finalize_from_dealloc((PyObject *)t, (destructor)task_finalize))
        return;   /* resurrected by the logger */
    PyObject_GC_UnTrack(t);
    task_unforward(t);
    for (k = 0; k < IDK_NCHANS; k++)
        idk_chan_clear(&t->base.in[k]);
    if (t->t_out != NULL) {
        idk_output_clear(t->t_out);
        PyMem_Free(t->t_out);
        t->t_out = NULL;
    }
    task_clear(t);
    idk_stream_base_dealloc(&t->base.base);
}

static PyObject *task_repr(IdkTask *t)
{
    PyObject *name = NULL, *r;
    if (t->t_gen != NULL)
        name = PyObject_GetAttrString(t->t_gen, "__name__");
    if (name == NULL) {
        PyErr_Clear();
        return IDK_STR_FROM_FORMAT("<idiokit stream at %p>", (void *)t);
    }
    r = IDK_STR_FROM_FORMAT("<idiokit stream %s at %p>", idk_str_utf8(name), (void *)t);
    Py_DECREF(name);
    return r;
}

PyTypeObject IdkTask_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "idiokit._core.Task",
    .tp_basicsize = sizeof(IdkTask),
};

int idk_task_type_ready(void)
{
    IdkTask_Type.tp_base = &IdkStream_Type;
    IdkTask_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | IDK_TPFLAGS_FINALIZE;
    IdkTask_Type.tp_dealloc = (destructor)task_dealloc;
    IdkTask_Type.tp_traverse = (traverseproc)task_traverse;
    IdkTask_Type.tp_clear = (inquiry)task_clear;
    IdkTask_Type.tp_repr = (reprfunc)task_repr;
    IDK_SET_FINALIZE(IdkTask_Type, task_finalize);
    IdkTask_Type.tp_doc = "A stream that runs a generator or a coroutine.";
    return PyType_Ready(&IdkTask_Type);
}
