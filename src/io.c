/* io.c: fd readiness as a leaf stream: _core.select(rfds, wfds, timeout),
 * the engine of idiokit.select.select (issue 4).
 *
 * A Select first polls its fds once with poll(2) and a zero timeout; if any
 * is ready (or invalid) it finishes at once.  Otherwise it starts one ev_io
 * watcher per fd (counted in idk_stats.watchers) and an optional monotonic
 * timer; on any event it polls again, so the result lists every ready fd.
 * The result is (read_indices, write_indices): positions in the arguments.
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

typedef struct {
    IdkInStream base;
    IdkTimer sel_timer;
    int sel_nr, sel_n;          /* the first nr pollfds are the read set */
    struct pollfd *sel_pfds;
    ev_io *sel_ws;
    int sel_active;
} IdkSelect;

PyTypeObject IdkSelect_Type;

static void select_unwatch(IdkSelect *s)
{
    int i;
    if (!s->sel_active)
        return;
    s->sel_active = 0;
    for (i = 0; i < s->sel_n; i++) {
        ev_io_stop(idk_loop->l_ev, &s->sel_ws[i]);
        idk_stats.watchers--;
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

/* Poll once without waiting.  1: finished (ready fds, or an error). */
static int select_check(IdkSelect *s, int finish_empty)
{
    int i, n, any = 0;
    PyObject *rl = NULL, *wl = NULL, *args;
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
    if ((rl = PyList_New(0)) == NULL || (wl = PyList_New(0)) == NULL)
        goto error;
    for (i = 0; i < s->sel_n; i++) {
        short re = s->sel_pfds[i].revents;
        int read = i < s->sel_nr;
        int ready = read ? (re & (POLLIN | POLLHUP | POLLERR)) != 0
                         : (re & (POLLOUT | POLLHUP | POLLERR)) != 0;
        if (ready) {
            PyObject *idx = PyLong_FromLong(read ? i : i - s->sel_nr);
            if (idx == NULL || PyList_Append(read ? rl : wl, idx) < 0) {
                Py_XDECREF(idx);
                goto error;
            }
            Py_DECREF(idx);
            any = 1;
        }
    }
    if (!any && !finish_empty) {
        Py_DECREF(rl);
        Py_DECREF(wl);
        return 0;
    }
    args = PyTuple_Pack(2, rl, wl);
    Py_DECREF(rl);
    Py_DECREF(wl);
    if (args == NULL) {
        select_finish_current_error(s);
        return 1;
    }
    select_finish(s, IDK_RETURNED, args);
    Py_DECREF(args);
    return 1;
error:
    Py_XDECREF(rl);
    Py_XDECREF(wl);
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
    "select", select_attach, select_detach, NULL, idk_in_input, select_on_input, NULL, 0, NULL
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

/* select(rfds, wfds, timeout): timeout None waits forever. */
static PyObject *mod_select(PyObject *self, PyObject *args)
{
    PyObject *r, *w, *to, *rs = NULL, *ws = NULL;
    IdkSelect *s = NULL;
    double timeout = -1.0;
    int i;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOO:select", &r, &w, &to))
        return NULL;
    if (to != Py_None) {
        timeout = PyFloat_AsDouble(to);
        if (timeout == -1.0 && PyErr_Occurred())
            return NULL;
        if (timeout != timeout || timeout < 0)
            timeout = 0.0;
    }
    if (idk_loop_get() == NULL)
        return NULL;
    if ((rs = PySequence_Fast(r, "select() needs sequences of fds")) == NULL
            || (ws = PySequence_Fast(w, "select() needs sequences of fds")) == NULL)
        goto fail;
    s = (IdkSelect *)IdkSelect_Type.tp_alloc(&IdkSelect_Type, 0);
    if (s == NULL)
        goto fail;
    idk_stream_init(&s->base.base, &select_kind);
    idk_in_init(&s->base);
    s->base.in[IDK_SIGS].c_watch = 1;
    s->base.in[IDK_BROKEN].c_watch = 1;
    idk_timer_init(&s->sel_timer, (PyObject *)s, select_on_timer);
    s->sel_nr = (int)PySequence_Fast_GET_SIZE(rs);
    s->sel_n = s->sel_nr + (int)PySequence_Fast_GET_SIZE(ws);
    s->sel_pfds = PyMem_Malloc((s->sel_n + 1) * sizeof(struct pollfd));
    s->sel_ws = PyMem_Malloc((s->sel_n + 1) * sizeof(ev_io));
    if (s->sel_pfds == NULL || s->sel_ws == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    memset(s->sel_pfds, 0, (s->sel_n + 1) * sizeof(struct pollfd));
    if (fill_fds(s, rs, 0, POLLIN) < 0 || fill_fds(s, ws, s->sel_nr, POLLOUT) < 0)
        goto fail;
    Py_CLEAR(rs);
    Py_CLEAR(ws);
    if (select_check(s, timeout == 0.0))
        return (PyObject *)s;
    if (timeout > 0 && idk_timer_start(&s->sel_timer, timeout) < 0)
        goto fail;
    for (i = 0; i < s->sel_n; i++) {
        ev_io_init(&s->sel_ws[i], select_on_ready, s->sel_pfds[i].fd,
                   i < s->sel_nr ? EV_READ : EV_WRITE);
        s->sel_ws[i].data = s;
        ev_io_start(idk_loop->l_ev, &s->sel_ws[i]);
        idk_stats.watchers++;
    }
    s->sel_active = 1;
    Py_INCREF(s);      /* held while watching */
    return (PyObject *)s;
fail:
    Py_XDECREF(rs);
    Py_XDECREF(ws);
    Py_XDECREF(s);
    return NULL;
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
    PyMem_Free(s->sel_pfds);
    PyMem_Free(s->sel_ws);
    idk_stream_base_dealloc(&s->base.base);
}

PyTypeObject IdkSelect_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.Select", .tp_basicsize = sizeof(IdkSelect)
};

static PyMethodDef io_module_methods[] = {
    {"select", mod_select, METH_VARARGS,
     "select(rfds, wfds, timeout) -> stream giving (read_indices, write_indices)"},
    {NULL, NULL, 0, NULL}
};

int idk_io_module_init(PyObject *m)
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
