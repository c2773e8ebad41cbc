/* loop.c: IdkLoop, the process's event loop on libev, and the ready queue.
 *
 * Invariants:
 *  - The ready queue is a ring of tasks, each holding one reference and
 *    marked t_scheduled; a task is in it at most once.
 *  - run() steps the tasks that were ready when a batch started; tasks woken
 *    during a batch run in the next one, so a task resumes only after the
 *    work queued before it.
 *  - I/O and timers are polled between batches: at once when nothing is
 *    ready (blocking), otherwise without waiting at least every
 *    IDK_POLL_EVERY steps, so a busy stream never starves sockets or timers.
 *  - The GIL is released only inside libev's backend poll.
 *  - Other threads reach the loop only through post() (ev_async).
 *  - After fork() the child's loop is re-armed (ev_loop_fork) before use.
 *  - The loop is a platform: subsystems (timers, DNS, the asyncoro driver)
 *    attach through libev's watchers or as clients (idk_loop_client); the
 *    loop holds none of their fields and calls none of them by name.
 */
#include "core.h"
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDK_POLL_EVERY 64

IdkLoop *idk_loop = NULL;
static volatile int idk_forked = 0;

static void loop_on_fork_child(void)
{
    idk_forked = 1;
}

/* ---- GIL around the poll ------------------------------------------------------------ */

/* libev calls these around its poll syscall: other threads run while it
 * blocks.  A poll that cannot block (tasks are ready) keeps the GIL. */
/* libev calls this inside its backend poll, after fd_reify and just before
 * the poll blocks.  A watcher libev had to stop there (a failed epoll_ctl)
 * got its EV_ERROR fed as a pending event, which libev would invoke only
 * after the poll returned (at the next I/O, timer or MAX_BLOCKTIME, about a
 * minute): with any event pending the poll must not block, so the loop's
 * own wake-up is sent (no syscall when nothing is pending). */
static void loop_release_gil(struct ev_loop *ev)
{
    IdkLoop *loop = (IdkLoop *)ev_userdata(ev);
    if (!loop->l_poll_nowait) {
        if (ev_pending_count(ev) > 0)
            ev_async_send(ev, &loop->l_async);
        loop->l_unlocked = 1;   /* set while the GIL is still ours */
        loop->l_tstate = PyEval_SaveThread();
    }
}

static void loop_acquire_gil(struct ev_loop *ev)
{
    IdkLoop *loop = (IdkLoop *)ev_userdata(ev);
    if (loop->l_tstate != NULL)
        PyEval_RestoreThread(loop->l_tstate);
    loop->l_tstate = NULL;
    loop->l_unlocked = 0;
}

/* ---- a failed backend syscall -------------------------------------------------------- */

/* libev calls this when a syscall it cannot do without fails.  In the poll
 * (epoll_wait failing with something other than EINTR, for instance after the
 * user closed the backend's fd) it runs without the GIL: note the error and
 * stop the loop, and loop_poll raises it as OSError; libev retries the poll
 * on the next run.  Anywhere else libev would retry in a loop of its own
 * (creating its wake-up pipe), so there we do what libev does without a
 * callback: say what failed and abort. */
static void loop_on_syserr(const char *what)
{
    IdkLoop *loop = idk_loop;
    int err = errno != 0 ? errno : EIO;
    if (loop == NULL || !loop->l_in_poll) {
        perror(what);
        abort();
    }
    loop->l_syserr = err;
    loop->l_syserr_what = what;
    ev_break(loop->l_ev, EVBREAK_ALL);
}

static int loop_raise_syserr(IdkLoop *loop)
{
    int err = loop->l_syserr;
    PyObject *value;
    loop->l_syserr = 0;
    value = Py_BuildValue("(is)", err, loop->l_syserr_what ? loop->l_syserr_what : "libev");
    if (value != NULL) {
        PyErr_SetObject(PyExc_OSError, value);
        Py_DECREF(value);
    }
    return -1;
}

/* ---- errors from callbacks ------------------------------------------------------------ */

void idk_loop_report(PyObject *exc)
{
    PyObject *r = NULL, *info = NULL;
    if (idk_logger != NULL) {
        info = idk_exc_info(exc);
        if (info != NULL) {
            PyObject *meth = PyObject_GetAttrString(idk_logger, "error");
            PyObject *args = Py_BuildValue("(s)", "error in an idiokit loop callback");
            PyObject *kw = Py_BuildValue("{sO}", "exc_info", info);
            if (meth && args && kw)
                r = PyObject_Call(meth, args, kw);
            Py_XDECREF(meth);
            Py_XDECREF(args);
            Py_XDECREF(kw);
        }
    }
    if (r == NULL) {
        PyErr_Clear();
        idk_exc_restore(exc);
        PyErr_WriteUnraisable(Py_None);
    }
    Py_XDECREF(r);
    Py_XDECREF(info);
}

/* Log the error that is set (and clear it): for callbacks, which have no
 * caller to raise to. */
void idk_loop_report_current(void)
{
    PyObject *exc = idk_exc_fetch();
    idk_loop_report(exc);
    Py_DECREF(exc);
}

/* ---- the ready queue ------------------------------------------------------------------ */

static int ready_grow(IdkLoop *loop)
{
    size_t cap = loop->l_rcap ? loop->l_rcap * 2 : 1024, i;
    IdkTask **ring = (IdkTask **)PyMem_Malloc(cap * sizeof(IdkTask *));
    if (ring == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (i = 0; i < loop->l_rcount; i++)
        ring[i] = loop->l_ready[(loop->l_rhead + i) & (loop->l_rcap - 1)];
    PyMem_Free(loop->l_ready);
    loop->l_ready = ring;
    loop->l_rhead = 0;
    loop->l_rcap = cap;
    return 0;
}

int idk_loop_schedule(IdkTask *t)
{
    IdkLoop *loop = idk_loop;
    if (t->t_scheduled)
        return 0;
    if (loop->l_rcount == loop->l_rcap && ready_grow(loop) < 0)
        return -1;
    loop->l_ready[(loop->l_rhead + loop->l_rcount) & (loop->l_rcap - 1)] = t;
    loop->l_rcount++;
    t->t_scheduled = 1;
    Py_INCREF(t);
    /* We hold the GIL: the loop's thread is either blocked in (or about to
     * enter, or just leaving) its poll, and needs waking, or it will see the
     * queue before it polls again. */
    if (loop->l_unlocked)
        ev_async_send(loop->l_ev, &loop->l_async);
    return 0;
}

static IdkTask *ready_pop(IdkLoop *loop)
{
    IdkTask *t = loop->l_ready[loop->l_rhead];
    loop->l_rhead = (loop->l_rhead + 1) & (loop->l_rcap - 1);
    loop->l_rcount--;
    t->t_scheduled = 0;
    return t;
}

static void loop_run_batch(IdkLoop *loop)
{
    loop->l_batch_left = loop->l_rcount;
    loop->l_steps_since_poll += (unsigned int)loop->l_batch_left;
    while (loop->l_batch_left > 0 && loop->l_rcount > 0) {
        IdkTask *t = ready_pop(loop);
        loop->l_batch_left--;
        idk_task_step(t);
        Py_DECREF(t);
        if (PyErr_Occurred())   /* a bug: steps report their errors as results */
            idk_loop_report_current();
    }
}

/* ---- posts from other threads ------------------------------------------------------------- */

int idk_loop_on_thread(void)
{
    IdkLoop *loop = idk_loop;
    if (loop == NULL || !loop->l_running)
        return 1;
    return pthread_equal(loop->l_thread, pthread_self());
}

int idk_loop_post(PyObject *call)
{
    IdkLoop *loop = idk_loop_get();
    if (loop == NULL)
        return -1;
    if (PyList_Append(loop->l_posted, call) < 0)
        return -1;
    ev_async_send(loop->l_ev, &loop->l_async);
    return 0;
}

static void loop_run_posted(IdkLoop *loop)
{
    PyObject *posted = loop->l_posted, *fresh = PyList_New(0);
    Py_ssize_t i;
    if (fresh == NULL || PyList_GET_SIZE(posted) == 0) {
        Py_XDECREF(fresh);
        PyErr_Clear();
        return;
    }
    loop->l_posted = fresh;
    for (i = 0; i < PyList_GET_SIZE(posted); i++) {
        PyObject *call = PyList_GET_ITEM(posted, i), *r;
        r = PyObject_CallFunctionObjArgs(PyTuple_GET_ITEM(call, 0),
                                         PyTuple_GET_ITEM(call, 1), NULL);
        if (r == NULL) {
            PyObject *exc = idk_exc_fetch();
            if (loop->l_error == NULL)
                loop->l_error = idk_newref(exc);
            Py_DECREF(exc);
        }
        Py_XDECREF(r);
    }
    Py_DECREF(posted);
}

static void loop_on_async(struct ev_loop *ev, ev_async *w, int revents)
{
    (void)w;
    (void)revents;
    loop_run_posted((IdkLoop *)ev_userdata(ev));
}

static void loop_on_sigwake(struct ev_loop *ev, ev_io *w, int revents)
{
    char buf[64];
    (void)ev;
    (void)revents;
    while (read(w->fd, buf, sizeof(buf)) > 0)
        ;
}

/* ---- creation --------------------------------------------------------------------------- */

static int set_nonblocking_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    fl = fcntl(fd, F_GETFD);
    if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
        return -1;
    return 0;
}

static IdkLoop *loop_create(void)
{
    int k;
    IdkLoop *loop = IDK_ALLOC(IdkLoop, &IdkLoop_Type);
    if (loop == NULL)
        return NULL;
    loop->l_ev = NULL;
    loop->l_ready = NULL;
    loop->l_rhead = loop->l_rcount = loop->l_rcap = 0;
    loop->l_sigfd[0] = loop->l_sigfd[1] = -1;
    loop->l_posted = PyList_New(0);
    loop->l_poll_nowait = 0;
    loop->l_running = 0;
    loop->l_steps_since_poll = 0;
    loop->l_batch_left = 0;
    loop->l_tstate = NULL;
    loop->l_unlocked = 0;
    loop->l_error = NULL;
    loop->l_syserr = 0;
    loop->l_syserr_what = NULL;
    loop->l_in_poll = 0;
    loop->l_task = NULL;
    for (k = 0; k < IDK_NFREELISTS; k++)
        loop->l_free[k].n = 0;
    loop->l_seq = 0;
    loop->l_clients = NULL;
    loop->l_fork_pending = 0;
    if (loop->l_posted == NULL || ready_grow(loop) < 0)
        goto fail;
    loop->l_ev = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV);
    if (loop->l_ev == NULL) {
        PyErr_SetString(PyExc_OSError, "libev could not create a loop");
        goto fail;
    }
    if (pipe(loop->l_sigfd) < 0 || set_nonblocking_cloexec(loop->l_sigfd[0]) < 0
            || set_nonblocking_cloexec(loop->l_sigfd[1]) < 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        goto fail;
    }
    ev_set_syserr_cb(loop_on_syserr);
    ev_set_userdata(loop->l_ev, loop);
    ev_set_loop_release_cb(loop->l_ev, loop_release_gil, loop_acquire_gil);
    ev_async_init(&loop->l_async, loop_on_async);
    ev_async_start(loop->l_ev, &loop->l_async);
    ev_io_init(&loop->l_sigwake, loop_on_sigwake, loop->l_sigfd[0], EV_READ);
    ev_io_start(loop->l_ev, &loop->l_sigwake);
    return loop;
fail:
    Py_DECREF(loop);
    return NULL;
}

IdkLoop *idk_loop_get(void)
{
    if (idk_loop == NULL)
        idk_loop = loop_create();
    else if (idk_forked) {
        idk_forked = 0;
        ev_loop_fork(idk_loop->l_ev);
        idk_loop->l_fork_pending = 1;
    }
    return idk_loop;
}

/* ---- clients ----------------------------------------------------------------------------- */

IdkLoopClient *idk_loop_client(const IdkLoopClientKind *kind, int create)
{
    IdkLoop *loop = create ? idk_loop_get() : idk_loop;
    IdkLoopClient *c;
    if (loop == NULL)
        return NULL;
    for (c = loop->l_clients; c != NULL; c = c->lc_next) {
        if (c->lc_kind == kind)
            return c;
    }
    if (!create)
        return NULL;
    c = (IdkLoopClient *)PyMem_Malloc(kind->size);
    if (c == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    memset(c, 0, kind->size);
    if (kind->init != NULL)
        kind->init(c);
    c->lc_kind = kind;
    c->lc_next = loop->l_clients;
    loop->l_clients = c;
    return c;
}

static void loop_after_poll(IdkLoop *loop)
{
    IdkLoopClient *c;
    for (c = loop->l_clients; c != NULL; c = c->lc_next) {
        if (c->lc_kind->after_poll != NULL)
            c->lc_kind->after_poll(c);
    }
}

/* The child's first poll after a fork: before it, nothing of the parent's
 * that must not be watched twice is left on the loop. */
static void loop_after_fork(IdkLoop *loop)
{
    IdkLoopClient *c;
    loop->l_fork_pending = 0;
    for (c = loop->l_clients; c != NULL; c = c->lc_next) {
        if (c->lc_kind->after_fork != NULL)
            c->lc_kind->after_fork(c);
    }
}

static void loop_free_clients(IdkLoop *loop)
{
    while (loop->l_clients != NULL) {
        IdkLoopClient *c = loop->l_clients;
        loop->l_clients = c->lc_next;
        if (c->lc_kind->release != NULL)
            c->lc_kind->release(c);
        PyMem_Free(c);
    }
}

/* ---- running ------------------------------------------------------------------------------ */

static int loop_poll(IdkLoop *loop)
{
    int flags;
    if (loop->l_fork_pending) {
        /* It may finish streams, even the one run() waits for: the caller
         * looks again before this polls. */
        loop_after_fork(loop);
        return 0;
    }
    flags = loop->l_rcount > 0 ? EVRUN_NOWAIT : EVRUN_ONCE;
    loop->l_steps_since_poll = 0;
    loop->l_poll_nowait = flags == EVRUN_NOWAIT;
    loop->l_in_poll = 1;
    ev_run(loop->l_ev, flags);
    loop->l_in_poll = 0;
    loop->l_poll_nowait = 0;
    loop_after_poll(loop);
    if (loop->l_syserr != 0)
        return loop_raise_syserr(loop);
    return PyErr_CheckSignals();
}

/* Run until `main` has a result; raise what a callback raised, or
 * KeyboardInterrupt and the like from signal handlers. */
static PyObject *loop_run_until(IdkLoop *loop, IdkStream *main)
{
    PyObject *error;
    if (loop->l_running) {
        PyErr_SetString(PyExc_RuntimeError, "the idiokit loop is already running");
        return NULL;
    }
    (void)idk_loop_get();   /* re-arm after a fork */
    main = idk_stream_resolve(main);
    main->r_observed = 1;
    Py_INCREF(main);
    loop->l_running = 1;
    loop->l_thread = pthread_self();
    while (main->r_state == IDK_PENDING && loop->l_error == NULL) {
        if (loop->l_rcount > 0)
            loop_run_batch(loop);
        if (main->r_state != IDK_PENDING || loop->l_error != NULL)
            break;
        if (loop->l_rcount > 0 && loop->l_steps_since_poll < IDK_POLL_EVERY)
            continue;
        if (loop_poll(loop) < 0)
            break;
    }
    loop->l_running = 0;
    Py_DECREF(main);
    if (PyErr_Occurred())
        return NULL;
    if (loop->l_error != NULL) {
        error = loop->l_error;
        loop->l_error = NULL;
        idk_exc_restore(error);
        Py_DECREF(error);
        return NULL;
    }
    Py_RETURN_NONE;
}

PyObject *idk_loop_run_func(PyObject *self, PyObject *arg)
{
    IdkLoop *loop = idk_loop_get();
    (void)self;
    if (loop == NULL)
        return NULL;
    if (!IdkStream_Check(arg)) {
        idk_err_repr(PyExc_TypeError, "expected a stream, got ", arg, "");
        return NULL;
    }
    return loop_run_until(loop, (IdkStream *)arg);
}

int idk_loop_post_call(PyObject *func, PyObject *arg)
{
    PyObject *call = PyTuple_Pack(2, func, arg);
    int r;
    if (call == NULL)
        return -1;
    r = idk_loop_post(call);
    Py_DECREF(call);
    return r;
}

PyObject *idk_loop_post_func(PyObject *self, PyObject *args)
{
    PyObject *func, *arg = Py_None;
    (void)self;
    if (!PyArg_ParseTuple(args, "O|O:post", &func, &arg))
        return NULL;
    if (idk_loop_post_call(func, arg) < 0)
        return NULL;
    Py_RETURN_NONE;
}

PyObject *idk_loop_wakeup_fd_func(PyObject *self, PyObject *unused)
{
    IdkLoop *loop = idk_loop_get();
    (void)self;
    (void)unused;
    if (loop == NULL)
        return NULL;
    return PyLong_FromLong(loop->l_sigfd[1]);
}

static void loop_dealloc(IdkLoop *loop)
{
    Py_XDECREF(loop->l_posted);
    Py_XDECREF(loop->l_error);
    if (loop->l_ev != NULL)
        ev_loop_destroy(loop->l_ev);
    if (loop->l_sigfd[0] >= 0)
        close(loop->l_sigfd[0]);
    if (loop->l_sigfd[1] >= 0)
        close(loop->l_sigfd[1]);
    PyMem_Free(loop->l_ready);
    loop_free_clients(loop);
    /* Freelists: only a loop whose creation failed is freed, with none kept. */
    PyObject_Del(loop);
}

PyTypeObject IdkLoop_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.Loop", .tp_basicsize = sizeof(IdkLoop)
};

int idk_loop_type_ready(void)
{
    IdkLoop_Type.tp_flags = IDK_TPFLAGS_DEFAULT;
    IdkLoop_Type.tp_dealloc = (destructor)loop_dealloc;
    IdkLoop_Type.tp_doc = "The event loop (one per process).";
    if (PyType_Ready(&IdkLoop_Type) < 0)
        return -1;
    if (pthread_atfork(NULL, NULL, loop_on_fork_child) != 0) {
        PyErr_SetString(PyExc_OSError, "pthread_atfork failed");
        return -1;
    }
    return 0;
}
