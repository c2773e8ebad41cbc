/* coro_wait.c: what an asyncoro coroutine yields to wait (coro.h): its
 * mailbox (send, receive), suspend/sleep and resume, and finish().
 *
 * A wait is a core leaf whenever it can be: an Event with no timeout, a Sleep
 * (a core timer) with a timeout and no alarm value; only a timeout with an
 * alarm value asks the Python class for a _Waiter (_make_waiter).  receive()
 * and suspend() keep their wait in the mailbox (one at a time: a coroutine waits
 * on one thing), which send() (a receive's) or resume() (a suspend's)
 * completes with the value.
 *
 * Invariants:
 *  - The mailbox and the waits are touched on the loop's thread only: send()
 *    and resume() from another thread are posted to it (never blocking).
 *  - A message is never dropped: one that finds no pending receive (none, or
 *    one already over, say thrown into) goes to the mailbox.
 *  - finish() of a Coro that has ended is its task, whose result is the
 *    coroutine's (coro.c); before that, an Event (or a Sleep, with a timeout)
 *    that a listener on the task completes with that result.
 */
#include "coro.h"

/* ---- arguments ---------------------------------------------------------------------- */

/* (timeout=None, alarm_value=None), the first `nmax` of them: borrowed. */
static int wait_args(const char *fname, PyObject *const *args, Py_ssize_t nargs, IdkKw kw,
                     int nmax, PyObject **timeout, PyObject **alarm)
{
    static const char *const names[] = {"timeout", "alarm_value"};
    PyObject *key, *value, **slots[2];
    Py_ssize_t pos = 0;
    int i;
    slots[0] = timeout;
    slots[1] = alarm;
    *timeout = *alarm = Py_None;
    if (nargs > nmax) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %d arguments (%d given)", fname,
                     nmax, (int)nargs);
        return -1;
    }
    for (i = 0; i < nargs; i++)
        *slots[i] = args[i];
    while (idk_kw_next(kw, args, nargs, &pos, &key, &value)) {
        for (i = 0; i < nmax && !idk_name_is(key, names[i]); i++)
            ;
        if (i == nmax || i < nargs) {
            PyErr_Format(PyExc_TypeError, "%s() got %s keyword argument '%s'", fname,
                         i == nmax ? "an unexpected" : "a repeated", idk_name_text(key));
            return -1;
        }
        *slots[i] = value;
    }
    return 0;
}

/* ---- waits ---------------------------------------------------------------------------- */

PyObject *idk_coro_done(PyObject *value)
{
    PyObject *ev = idk_event_new(), *args;
    if (ev == NULL)
        return NULL;
    if ((args = PyTuple_Pack(1, value)) == NULL) {
        Py_DECREF(ev);
        return NULL;
    }
    idk_event_complete((IdkStream *)ev, IDK_RETURNED, args);
    Py_DECREF(args);
    return ev;
}

/* An Event for no timeout (or an infinite one), else a Sleep; new ref. */
static PyObject *timed_wait(PyObject *timeout)
{
    double t = -1.0;
    if (timeout != Py_None && idk_parse_timeout(timeout, &t) < 0)
        return NULL;
    return t < 0 ? idk_event_new() : idk_sleep_new(t, NULL);
}

/* The wait of receive()/suspend(): the waiter to keep (new ref) and, in
 * *yielded, what the coroutine yields (new ref): the same object, but for a
 * _Waiter, whose event it is. */
static PyObject *make_wait(IdkCoro *co, PyObject *timeout, PyObject *alarm, PyObject **yielded)
{
    PyObject *w;
    if (timeout == Py_None || alarm == Py_None) {
        w = timed_wait(timeout);
        *yielded = idk_xnewref(w);
        return w;
    }
    w = PyObject_CallMethod((PyObject *)co, "_make_waiter", "OO", timeout, alarm);
    if (w != NULL && (*yielded = PyObject_GetAttrString(w, "event")) == NULL)
        Py_CLEAR(w);
    return w;
}

/* Wake the wait of `kind` with value and forget it: 1 if it was waiting,
 * 0 if there was none or it was over, -1 with an error set. */
static int wake(IdkCoro *co, int kind, PyObject *value)
{
    IdkCoroMail *mb = co->co_mail;
    PyObject *w = mb != NULL ? mb->mb_wait : NULL, *r;
    int woke = 0;
    if (w == NULL || mb->mb_wait_kind != kind)
        return 0;
    mb->mb_wait = NULL;
    if (PyObject_TypeCheck(w, &IdkEvent_Type)) {
        if (((IdkStream *)w)->r_state == IDK_PENDING) {
            PyObject *args = PyTuple_Pack(1, value);
            woke = args != NULL ? 1 : -1;
            if (args != NULL)
                idk_event_complete((IdkStream *)w, IDK_RETURNED, args);
            Py_XDECREF(args);
        }
    } else {
        r = PyObject_CallMethod(w, "wake", "O", value);
        woke = r != NULL ? PyObject_IsTrue(r) : -1;
        Py_XDECREF(r);
    }
    Py_DECREF(w);
    return woke;
}

/* From a thread other than the loop's: co.<name>(arg) is posted to it. */
static PyObject *post_to_loop(IdkCoro *co, const char *name, PyObject *arg)
{
    PyObject *meth = PyObject_GetAttrString((PyObject *)co, name);
    int r = meth != NULL ? idk_loop_post_call(meth, arg) : -1;
    Py_XDECREF(meth);
    return r < 0 ? NULL : PyLong_FromLong(0);
}

/* ---- the mailbox -------------------------------------------------------------------------- */

IdkCoroMail *idk_coro_mail(IdkCoro *co)
{
    if (co->co_mail == NULL) {
        co->co_mail = (IdkCoroMail *)PyMem_Malloc(sizeof(IdkCoroMail));
        if (co->co_mail == NULL)
            return (IdkCoroMail *)PyErr_NoMemory();
        co->co_mail->mb_msgs = co->co_mail->mb_wait = NULL;
        co->co_mail->mb_wait_kind = 0;
    }
    return co->co_mail;
}

/* _wait: the pending receive's or suspend's wait (the Python class's timed
 * waits take it back). */
PyObject *idk_coro_get_wait(IdkCoro *co, void *closure)
{
    PyObject *w = co->co_mail != NULL ? co->co_mail->mb_wait : NULL;
    (void)closure;
    return idk_newref(w != NULL ? w : Py_None);
}

int idk_coro_set_wait(IdkCoro *co, PyObject *value, void *closure)
{
    IdkCoroMail *mb = idk_coro_mail(co);
    (void)closure;
    if (mb == NULL)
        return -1;
    Py_XSETREF(mb->mb_wait, value != NULL && value != Py_None ? idk_newref(value) : NULL);
    return 0;
}


static int mailbox_append(IdkCoro *co, PyObject *message)
{
    IdkCoroMail *mb = idk_coro_mail(co);
    PyObject *r;
    if (mb == NULL)
        return -1;
    if (mb->mb_msgs == NULL) {
        PyObject *mod = PyImport_ImportModule("collections");
        mb->mb_msgs = mod != NULL ? PyObject_CallMethod(mod, "deque", NULL) : NULL;
        Py_XDECREF(mod);
        if (mb->mb_msgs == NULL)
            return -1;
    }
    r = PyObject_CallMethod(mb->mb_msgs, "append", "O", message);
    Py_XDECREF(r);
    return r != NULL ? 0 : -1;
}

/* send(message): into the mailbox, or straight to a pending receive; 0. */
static PyObject *coro_send(IdkCoro *co, PyObject *message)
{
    int r;
    if (!idk_loop_on_thread())
        return post_to_loop(co, "send", message);
    r = wake(co, IDK_CORO_WAIT_RECEIVE, message);
    if (r < 0 || (r == 0 && mailbox_append(co, message) < 0))
        return NULL;
    return PyLong_FromLong(0);
}

/* Leave the wait of `kind` in the mailbox; what to yield (new ref). */
static PyObject *park(IdkCoro *co, int kind, PyObject *timeout, PyObject *alarm)
{
    IdkCoroMail *mb = idk_coro_mail(co);
    PyObject *yielded = NULL, *w = mb != NULL ? make_wait(co, timeout, alarm, &yielded) : NULL;
    if (w == NULL)
        return NULL;
    Py_XSETREF(mb->mb_wait, w);
    mb->mb_wait_kind = (unsigned char)kind;
    return yielded;
}

static PyObject *coro_receive_impl(IdkCoro *co, PyObject *const *args, Py_ssize_t nargs,
                                   IdkKw kw)
{
    PyObject *timeout, *alarm;
    PyObject *msgs = co->co_mail != NULL ? co->co_mail->mb_msgs : NULL;
    if (wait_args("receive", args, nargs, kw, 2, &timeout, &alarm) < 0)
        return NULL;
    if (msgs != NULL && PyObject_Size(msgs) > 0) {
        PyObject *m = PyObject_CallMethod(msgs, "popleft", NULL), *done;
        if (m == NULL)
            return NULL;
        done = idk_coro_done(m);
        Py_DECREF(m);
        return done;
    }
    return park(co, IDK_CORO_WAIT_RECEIVE, timeout, alarm);
}
IDK_FAST_METHOD(coro_receive, coro_receive_impl, IdkCoro)

/* ---- suspend and resume ------------------------------------------------------------------ */

static PyObject *coro_suspend_impl(IdkCoro *co, PyObject *const *args, Py_ssize_t nargs,
                                   IdkKw kw)
{
    PyObject *timeout, *alarm;
    if (wait_args("suspend", args, nargs, kw, 2, &timeout, &alarm) < 0)
        return NULL;
    return park(co, IDK_CORO_WAIT_SUSPEND, timeout, alarm);
}
IDK_FAST_METHOD(coro_suspend, coro_suspend_impl, IdkCoro)

static PyObject *coro_resume(IdkCoro *co, PyObject *args)
{
    PyObject *update = Py_None;
    if (!PyArg_UnpackTuple(args, "resume", 0, 1, &update))
        return NULL;
    if (!idk_loop_on_thread())
        return post_to_loop(co, "resume", update);
    if (wake(co, IDK_CORO_WAIT_SUSPEND, update) < 0)
        return NULL;
    return PyLong_FromLong(0);
}

/* ---- finish ------------------------------------------------------------------------------------ */

static void finish_listener(IdkStream *done, PyObject *ctx)
{
    PyObject *value = idk_stream_value(done);
    if (value == NULL) {
        idk_loop_report_current();
        return;
    }
    idk_event_complete((IdkStream *)ctx, done->r_state, value);
    Py_DECREF(value);
}

static PyObject *coro_finish_impl(IdkCoro *co, PyObject *const *args, Py_ssize_t nargs,
                                  IdkKw kw)
{
    PyObject *timeout, *unused, *w;
    IdkStream *task;
    if (wait_args("finish", args, nargs, kw, 1, &timeout, &unused) < 0)
        return NULL;
    if (co->co_task == NULL && idk_loop_on_thread() && idk_coro_start(co) < 0)
        return NULL;
    if (co->co_task == NULL) {
        PyErr_SetString(PyExc_RuntimeError, co->cd_gens == NULL
                        ? "the Coro was never started"
                        : "finish() is yielded in a coroutine; a thread calls value()");
        return NULL;
    }
    task = (IdkStream *)co->co_task;
    if (task->r_state != IDK_PENDING)
        return idk_newref((PyObject *)task);
    if ((w = timed_wait(timeout)) == NULL)
        return NULL;
    if (idk_stream_listen(task, finish_listener, w) < 0)
        Py_CLEAR(w);
    return w;
}
IDK_FAST_METHOD(coro_finish, coro_finish_impl, IdkCoro)

PyMethodDef idk_coro_wait_methods[] = {
    {"send", (PyCFunction)coro_send, METH_O,
     "send(message): put it in the mailbox (never blocks); 0."},
    {"receive", (PyCFunction)(void (*)(void))coro_receive, IDK_FAST_FLAGS,
     "`msg = yield coro.receive(timeout=None, alarm_value=None)`: the oldest message, "
     "or alarm_value after timeout seconds."},
    {"recv", (PyCFunction)(void (*)(void))coro_receive, IDK_FAST_FLAGS, "receive()."},
    {"suspend", (PyCFunction)(void (*)(void))coro_suspend, IDK_FAST_FLAGS,
     "`v = yield coro.suspend(timeout=None, alarm_value=None)`: until resume(v), or "
     "alarm_value after timeout seconds."},
    {"sleep", (PyCFunction)(void (*)(void))coro_suspend, IDK_FAST_FLAGS, "suspend()."},
    {"resume", (PyCFunction)coro_resume, METH_VARARGS,
     "resume(update=None): wake the coroutine suspended in suspend()/sleep(); 0."},
    {"wakeup", (PyCFunction)coro_resume, METH_VARARGS, "resume()."},
    {"finish", (PyCFunction)(void (*)(void))coro_finish, IDK_FAST_FLAGS,
     "`v = yield coro.finish(timeout=None)`: wait for the end; its value, or the "
     "exception it ended with (None if timeout seconds pass first)."},
    {NULL, NULL, 0, NULL}
};
