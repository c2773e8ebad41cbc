/* select.c: fd readiness as a leaf stream: _core.select(rfds, wfds, xfds,
 * timeout), the engine of idiokit.select.select (issue 4).
 *
 * A Select first polls its fds once with poll(2) and a zero timeout; if any
 * is ready (or invalid) it finishes at once.  Otherwise it starts one ev_io
 * watcher per read or write fd (counted in idk_stats.watchers) and an
 * optional monotonic timer; on any event it polls again, so the result lists
 * every ready fd.  The result is (read_indices, write_indices,
 * exceptional_indices): positions in the arguments.
 *
 * Exceptional conditions (POLLPRI: TCP urgent data, ...) have no libev
 * watcher, so the xfds go into an epoll instance of the Select's own with
 * EPOLLPRI, and one EV_READ watcher on that epoll fd wakes the Select (an
 * epoll fd is readable while any of its fds has an event).
 *
 * Invariants:
 *  - Watchers are active only while the Select is pending; finishing,
 *    interruption (throw) and deallocation stop all of them.
 *  - While watchers are active the Select holds a reference to itself, so an
 *    fd event never reaches a freed object.
 */
#include "core.h"
#include <errno.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

typedef struct {
    IdkInStream base;
    IdkTimer sel_timer;
    int sel_nr, sel_nrw, sel_n; /* pollfds: [0, nr) read, [nr, nrw) write, [nrw, n) except */
    struct pollfd *sel_pfds;
    ev_io *sel_ws;              /* one per read/write fd, then the epoll fd's */
    int sel_epfd;               /* the xfds' epoll instance, or -1 */
    int sel_active;
} IdkSelect;

PyTypeObject IdkSelect_Type;

static void select_unwatch(IdkSelect *s)
{
    int i;
    if (!s->sel_active)
        return;
    s->sel_active = 0;
    for (i = 0; i < s->sel_nrw + (s->sel_epfd >= 0); i++) {
        ev_io_stop(idk_loop->l_ev, &s->sel_ws[i]);
        idk_stats.watchers--;
    }
    if (s->sel_epfd >= 0) {
        close(s->sel_epfd);
        s->sel_epfd = -1;
    }
    Py_DECREF(s);
}

static void select_finish(IdkSelect *s, int state, PyObject *value)
{
    if (s->base.base.r_state != IDK_PENDING)
        return;
    Py_INCREF(s);
    idk_in_unwatch(&s->base);
    idk_timer_stop(&s->sel_timer);
    select_unwatch(s);
    idk_in_finish(&s->base, state, value);
    Py_DECREF(s);
}

static void select_finish_current_error(IdkSelect *s)
{
    PyObject *exc = idk_exc_fetch();
    select_finish(s, IDK_RAISED, exc);
    Py_DECREF(exc);
}

/* What makes an fd of each set ready, as select(2) has it. */
static const short ready_events[3] = {
    POLLIN | POLLHUP | POLLERR, POLLOUT | POLLHUP | POLLERR, POLLPRI
};

static int set_start(IdkSelect *s, int set)
{
    return set == 0 ? 0 : set == 1 ? s->sel_nr : s->sel_nrw;
}

/* Poll once without waiting.  1: finished (ready fds, or an error). */
static int select_check(IdkSelect *s, int finish_empty)
{
    int i, n, any = 0;
    PyObject *lists[3] = {NULL, NULL, NULL}, *args;
    do {
        n = poll(s->sel_pfds, s->sel_n, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        select_finish_current_error(s);
        return 1;
    }
    if (n == 0 && !finish_empty)
        return 0;
    for (i = 0; i < s->sel_n; i++) {
        if (s->sel_pfds[i].revents & POLLNVAL) {
            errno = EBADF;
            PyErr_SetFromErrno(PyExc_OSError);
            select_finish_current_error(s);
            return 1;
        }
    }
    if ((lists[0] = PyList_New(0)) == NULL || (lists[1] = PyList_New(0)) == NULL
            || (lists[2] = PyList_New(0)) == NULL)
        goto error;
    for (i = 0; i < s->sel_n; i++) {
        int set = i < s->sel_nr ? 0 : i < s->sel_nrw ? 1 : 2;
        if (s->sel_pfds[i].revents & ready_events[set]) {
            PyObject *idx = PyLong_FromLong(i - set_start(s, set));
            if (idx == NULL || PyList_Append(lists[set], idx) < 0) {
                Py_XDECREF(idx);
                goto error;
            }
            Py_DECREF(idx);
            any = 1;
        }
    }
    if (!any && !finish_empty) {
        for (i = 0; i < 3; i++)
            Py_DECREF(lists[i]);
        return 0;
    }
    args = PyTuple_Pack(3, lists[0], lists[1], lists[2]);
    for (i = 0; i < 3; i++)
        Py_DECREF(lists[i]);
    if (args == NULL) {
        select_finish_current_error(s);
        return 1;
    }
    select_finish(s, IDK_RETURNED, args);
    Py_DECREF(args);
    return 1;
error:
    for (i = 0; i < 3; i++)
        Py_XDECREF(lists[i]);
    select_finish_current_error(s);
    return 1;
}

static void select_on_ready(struct ev_loop *ev, ev_io *w, int revents)
{
    IdkSelect *s = (IdkSelect *)w->data;
    (void)ev;
    (void)revents;
    Py_INCREF(s);
    if (s->base.base.r_state == IDK_PENDING)
        select_check(s, 0);
    Py_DECREF(s);
}

static void select_on_timer(PyObject *owner)
{
    IdkSelect *s = (IdkSelect *)owner;
    if (s->base.base.r_state == IDK_PENDING)
        select_check(s, 1);
}

static void select_on_input(IdkStream *base, int which)
{
    IdkSelect *s = (IdkSelect *)base;
    IdkMsg *m;
    (void)which;
    if (base->r_state != IDK_PENDING)
        return;
    m = idk_in_take(&s->base, 0, -1);
    if (m == NULL)
        return;
    Py_INCREF(s);
    idk_msg_consume(m);
    select_finish(s, IDK_RAISED, m->m_payload);
    idk_msg_decref(m);
    Py_DECREF(s);
}

static int select_attach(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    (void)m;
    return idk_in_attach(s, NULL, sig, brk);
}

static void select_detach(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    (void)m;
    idk_in_detach(s, NULL, sig, brk);
}

static const IdkKind select_kind = {
    "select", select_attach, select_detach, NULL, idk_in_input, select_on_input, NULL, 0
};

static int fill_fds(IdkSelect *s, PyObject *seq, int start, short events)
{
    Py_ssize_t i, n = PySequence_Fast_GET_SIZE(seq);
    for (i = 0; i < n; i++) {
        long fd = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
        if (fd == -1 && PyErr_Occurred())
            return -1;
        if (fd < 0 || fd > 0x7fffffffL) {
            PyErr_SetString(PyExc_ValueError, "file descriptor cannot be a negative integer");
            return -1;
        }
        s->sel_pfds[start + i].fd = (int)fd;
        s->sel_pfds[start + i].events = events;
    }
    return 0;
}

/* The xfds' epoll instance, watched for EV_READ in the last ev_io.  An fd
 * that epoll refuses (a regular file: EPERM) never has an exceptional
 * condition, as with select(2); one given twice is watched once. */
static int select_watch_except(IdkSelect *s)
{
    int i;
    if (s->sel_n == s->sel_nrw)
        return 0;
    if ((s->sel_epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    for (i = s->sel_nrw; i < s->sel_n; i++) {
        struct epoll_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLPRI;
        ev.data.fd = s->sel_pfds[i].fd;
        if (epoll_ctl(s->sel_epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0
                && errno != EPERM && errno != EEXIST) {
            PyErr_SetFromErrno(PyExc_OSError);
            close(s->sel_epfd);
            s->sel_epfd = -1;
            return -1;
        }
    }
    return 0;
}

/* Nothing is ready yet: arm the timeout and the watchers. */
static int select_start(IdkSelect *s, double timeout)
{
    int i, nw;
    if (select_watch_except(s) < 0)
        return -1;
    if (timeout > 0 && idk_timer_start(&s->sel_timer, timeout) < 0)
        return -1;
    nw = s->sel_nrw + (s->sel_epfd >= 0);
    for (i = 0; i < nw; i++) {
        int fd = i < s->sel_nrw ? s->sel_pfds[i].fd : s->sel_epfd;
        ev_io_init(&s->sel_ws[i], select_on_ready, fd,
                   i < s->sel_nr || i == s->sel_nrw ? EV_READ : EV_WRITE);
        s->sel_ws[i].data = s;
        ev_io_start(idk_loop->l_ev, &s->sel_ws[i]);
        idk_stats.watchers++;
    }
    s->sel_active = 1;
    Py_INCREF(s);      /* held while watching */
    return 0;
}

static IdkSelect *select_alloc(PyObject *rs, PyObject *ws, PyObject *xs)
{
    IdkSelect *s = (IdkSelect *)IdkSelect_Type.tp_alloc(&IdkSelect_Type, 0);
    if (s == NULL)
        return NULL;
    idk_stream_init(&s->base.base, &select_kind);
    idk_in_init(&s->base);
    s->base.in[IDK_SIGS].c_watch = 1;
    s->base.in[IDK_BROKEN].c_watch = 1;
    idk_timer_init(&s->sel_timer, (PyObject *)s, select_on_timer);
    s->sel_epfd = -1;
    s->sel_nr = (int)PySequence_Fast_GET_SIZE(rs);
    s->sel_nrw = s->sel_nr + (int)PySequence_Fast_GET_SIZE(ws);
    s->sel_n = s->sel_nrw + (int)PySequence_Fast_GET_SIZE(xs);
    s->sel_pfds = PyMem_Malloc((s->sel_n + 1) * sizeof(struct pollfd));
    s->sel_ws = PyMem_Malloc((s->sel_nrw + 1) * sizeof(ev_io));
    if (s->sel_pfds == NULL || s->sel_ws == NULL) {
        PyErr_NoMemory();
        Py_DECREF(s);
        return NULL;
    }
    memset(s->sel_pfds, 0, (s->sel_n + 1) * sizeof(struct pollfd));
    if (fill_fds(s, rs, 0, POLLIN) < 0 || fill_fds(s, ws, s->sel_nr, POLLOUT) < 0
            || fill_fds(s, xs, s->sel_nrw, POLLPRI) < 0) {
        Py_DECREF(s);
        return NULL;
    }
    return s;
}

/* select(rfds, wfds, xfds, timeout): timeout None waits forever. */
static PyObject *mod_select(PyObject *self, PyObject *args)
{
    PyObject *r, *w, *x, *to, *rs = NULL, *ws = NULL, *xs = NULL;
    IdkSelect *s = NULL;
    double timeout;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOO:select", &r, &w, &x, &to) || idk_parse_timeout(to, &timeout) < 0
            || idk_loop_get() == NULL)
        return NULL;
    if ((rs = PySequence_Fast(r, "select() needs sequences of fds")) != NULL
            && (ws = PySequence_Fast(w, "select() needs sequences of fds")) != NULL
            && (xs = PySequence_Fast(x, "select() needs sequences of fds")) != NULL)
        s = select_alloc(rs, ws, xs);
    Py_XDECREF(rs);
    Py_XDECREF(ws);
    Py_XDECREF(xs);
    if (s == NULL)
        return NULL;
    if (!select_check(s, timeout == 0.0) && select_start(s, timeout) < 0)
        Py_CLEAR(s);
    return (PyObject *)s;
}

static int select_traverse(IdkSelect *s, visitproc visit, void *arg)
{
    int r = idk_in_traverse(&s->base, visit, arg);
    return r ? r : idk_stream_base_traverse(&s->base.base, visit, arg);
}

static int select_clear(IdkSelect *s)
{
    int k;
    idk_timer_stop(&s->sel_timer);
    for (k = 0; k < IDK_NCHANS; k++)
        idk_chan_clear(&s->base.in[k]);
    idk_stream_base_clear(&s->base.base);
    return 0;
}

static void select_dealloc(IdkSelect *s)
{
    PyObject_GC_UnTrack(s);
    select_clear(s);
    if (s->sel_epfd >= 0)
        close(s->sel_epfd);
    PyMem_Free(s->sel_pfds);
    PyMem_Free(s->sel_ws);
    idk_stream_base_dealloc(&s->base.base);
}

PyTypeObject IdkSelect_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.Select", .tp_basicsize = sizeof(IdkSelect)
};

static PyMethodDef io_module_methods[] = {
    {"select", mod_select, METH_VARARGS,
     "select(rfds, wfds, xfds, timeout) -> stream giving the ready indices of each"},
    {NULL, NULL, 0, NULL}
};

int idk_select_module_init(PyObject *m)
{
    PyMethodDef *def;
    IdkSelect_Type.tp_base = &IdkStream_Type;
    IdkSelect_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
    IdkSelect_Type.tp_dealloc = (destructor)select_dealloc;
    IdkSelect_Type.tp_traverse = (traverseproc)select_traverse;
    IdkSelect_Type.tp_clear = (inquiry)select_clear;
    IdkSelect_Type.tp_doc = "Waiting for fd readiness (idiokit.select).";
    if (PyType_Ready(&IdkSelect_Type) < 0)
        return -1;
    for (def = io_module_methods; def->ml_name != NULL; def++) {
        PyObject *f = PyCFunction_New(def, NULL);
        if (f == NULL || PyModule_AddObject(m, def->ml_name, f) < 0)
            return -1;
    }
    return 0;
}
