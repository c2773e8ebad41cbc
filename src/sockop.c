/* sockop.c: SocketOp, the stream of one socket operation, from start to
 * finish: the first try, waiting in its socket's queue, the retry when the
 * socket is ready, the timeout, cancellation by a signal, and the result.
 *
 * Invariants:
 *  - An op tries its syscall when it is made, unless ops wait ahead of it
 *    in its direction (FIFO).  A try that would block queues it in the
 *    direction the try names (a `call` may name the other one); a queued op
 *    is referenced by the queue (untraversed, like an active timer's) and
 *    holds a reference to its IoSocket.
 *  - Readiness wakes the head op only.  Hosted by a task (core.h), the op
 *    is retried in that task's turn (idk_task_wake): the data is read just
 *    before the task uses it; if it finishes, the readiness passes on to the
 *    next op in its direction.  Otherwise (a pipe, a fork, main_loop's
 *    stream, an op not yielded yet) the readiness callback retries it: that
 *    is the one driver of the waiters that are not tasks.
 *  - Finishing: leave the queue, stop the timer, let go of the data and
 *    buffers, unlink the channels, then set the result, once.  A finished
 *    op holds nothing of the caller's (a failed 10 MB sendall frees it).
 *  - An interrupted op (throw, timeout, close) has consumed nothing, except
 *    that a sendall keeps the count it sent (op.sent).
 *  - Ops come from a freelist and stay out of the cyclic GC while they hold
 *    nothing that could lead back to them.
 */
#include "sock.h"

/* ---- the queues ------------------------------------------------------------------- */

static void op_enqueue(IdkIoOp *op, int dir)
{
    IdkIoSock *s = op->sock;
    Py_INCREF(op);
    op->dir = (unsigned char)dir;
    op->queued = 1;
    op->next = NULL;
    op->prev = s->tail[dir];
    if (s->tail[dir] != NULL)
        s->tail[dir]->next = op;
    else
        s->head[dir] = op;
    s->tail[dir] = op;
    idk_sock_watch(s, dir, 1);
}

/* Leave the queue; the queue's reference is dropped (the caller holds one). */
static void op_dequeue(IdkIoOp *op)
{
    IdkIoSock *s = op->sock;
    int d = op->dir;
    if (!op->queued)
        return;
    op->queued = 0;
    if (op->prev != NULL)
        op->prev->next = op->next;
    else
        s->head[d] = op->next;
    if (op->next != NULL)
        op->next->prev = op->prev;
    else
        s->tail[d] = op->prev;
    op->prev = op->next = NULL;
    if (s->head[d] == NULL)
        idk_sock_watch(s, d, 0);
    Py_DECREF(op);
}

/* ---- finishing ---------------------------------------------------------------------- */

static void op_release(IdkIoOp *op)
{
    if (op->has_view) {
        op->has_view = 0;
        PyBuffer_Release(&op->view);
    }
    Py_CLEAR(op->obj);
    Py_CLEAR(op->args);
    Py_CLEAR(op->want[IO_READ]);
    Py_CLEAR(op->want[IO_WRITE]);
}

/* Bytes, ints and None cannot refer to anything. */
static int value_is_atomic(PyObject *v)
{
    return PyBytes_CheckExact(v) || PyLong_CheckExact(v) || v == Py_None;
}

/* Finish with value: the exc (IDK_RAISED), the args (IDK_RETURNED: only
 * ever no args) or, single, the one value returned (see core.h). */
static void op_finish(IdkIoOp *op, int state, PyObject *value, int single)
{
    IdkStream *s = &op->base.base;
    if (s->r_state != IDK_PENDING)
        return;
    Py_INCREF(op);
    idk_leaf_unwatch(&op->base);
    op_dequeue(op);
    idk_timer_stop(&op->timer);
    op_release(op);
    if (s->r_untracked && (state == IDK_RAISED || (single && !value_is_atomic(value)))) {
        s->r_untracked = 0;     /* an exception, a socket: may lead back to the op */
        PyObject_GC_Track(op);
    }
    idk_in_clear(&op->base);
    if (single)
        idk_stream_finish1(s, value);
    else
        idk_stream_finish(s, state, value);
    Py_DECREF(op);
}

void idk_op_raise(IdkIoOp *op, PyObject *exc)
{
    op_finish(op, IDK_RAISED, exc, 0);
    Py_DECREF(exc);
}

/* None is returned as no args, as the original's sockets do. */
void idk_op_return1(IdkIoOp *op, PyObject *value)
{
    PyObject *args;
    if (value == NULL)
        idk_op_raise(op, idk_sock_exc_fetch());
    else if (value != Py_None)
        op_finish(op, IDK_RETURNED, value, 1);
    else if ((args = PyTuple_New(0)) == NULL)
        idk_op_raise(op, idk_exc_fetch());
    else {
        op_finish(op, IDK_RETURNED, args, 0);
        Py_DECREF(args);
    }
    Py_XDECREF(value);
}

/* ---- waiting and retrying ----------------------------------------------------------- */

/* Try a queued op again.  1 if it finished; else it waits in the queue the
 * try named. */
static int op_retry(IdkIoOp *op)
{
    int wait = idk_op_try(op);
    if (wait == TRY_DONE)
        return 1;
    if (op->queued && wait != op->dir && op->base.base.r_state == IDK_PENDING) {
        Py_INCREF(op);
        op_dequeue(op);
        op_enqueue(op, wait);
        Py_DECREF(op);
    }
    return 0;
}

/* The turn of the task that waits on the op (idk_task_wake).  When the op
 * finishes, the readiness passes on to the next op queued in its direction:
 * the data may be buffered above the fd (OpenSSL's plaintext for a TLS
 * `call`), where no watcher would report it. */
static void op_on_turn(IdkStream *s)
{
    IdkIoOp *op = (IdkIoOp *)s;
    IdkIoSock *sock = op->sock;
    int dir = op->dir;
    if (s->r_state != IDK_PENDING || !op->queued || sock->head[dir] != op)
        return;
    Py_INCREF(sock);
    if (op_retry(op) && sock->head[dir] != NULL)
        idk_op_on_ready(sock, dir);
    Py_DECREF(sock);
}

/* The socket is ready for `dir`: wake its head op; retry those that no task
 * waits on, in order, until one would block. */
void idk_op_on_ready(IdkIoSock *s, int dir)
{
    Py_INCREF(s);
    while (s->head[dir] != NULL) {
        IdkIoOp *op = s->head[dir];
        int done;
        if (op->l_host != NULL) {
            if (idk_task_wake(op->l_host, op_on_turn) == 0)
                break;
            PyErr_Clear();     /* out of memory: retry here instead */
        }
        Py_INCREF(op);
        done = op_retry(op);
        Py_DECREF(op);
        if (!done)
            break;
    }
    Py_DECREF(s);
}

static void op_on_timer(PyObject *owner)
{
    IdkIoOp *op = (IdkIoOp *)owner;
    if (op->base.base.r_state == IDK_PENDING)
        idk_op_raise(op, idk_sock_exc_timeout());
}

/* A signal (throw, a downstream's end) cancels the op. */
static void op_on_input(IdkStream *s, int which)
{
    IdkIoOp *op = (IdkIoOp *)s;
    IdkMsg *m;
    (void)which;
    if (s->r_state != IDK_PENDING)
        return;
    m = idk_leaf_take(&op->base, 0);
    if (m == NULL)
        return;
    idk_leaf_unwatch(&op->base);
    Py_INCREF(s);
    op_dequeue(op);
    idk_msg_consume(m);
    op_finish(op, IDK_RAISED, m->m_payload, 0);
    idk_msg_decref(m);
    Py_DECREF(s);
}

static int op_attach(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    (void)m;
    return idk_in_attach(s, NULL, sig, brk);
}

static void op_detach(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    (void)m;
    idk_in_detach(s, NULL, sig, brk);
}

static const IdkKind op_kind = {
    "socket", op_attach, op_detach, NULL, idk_in_input, op_on_input, NULL, 1
};

/* ---- making and starting ops ------------------------------------------------------- */

/* A recycled op keeps what op_dealloc left: empty, unlinked channels and a
 * stopped timer that fires op_on_timer on the same memory, so only a fresh
 * one needs those set up. */
static IdkIoOp *op_alloc(void)
{
    IdkIoOp *op = (IdkIoOp *)idk_freelist_pop(IDK_FL_OP);
    if (op != NULL)
        return (IdkIoOp *)PyObject_Init((PyObject *)op, &IdkIoOp_Type);
    op = (IdkIoOp *)IdkIoOp_Type.tp_alloc(&IdkIoOp_Type, 0);
    if (op == NULL)
        return NULL;
    PyObject_GC_UnTrack(op);   /* tp_alloc tracked it */
    idk_in_init(&op->base);
    idk_timer_init(&op->timer, (PyObject *)op, op_on_timer);
    return op;
}

IdkIoOp *idk_op_new(IdkIoSock *s, int kind, int dir)
{
    IdkIoOp *op = op_alloc();
    if (op == NULL)
        return NULL;
    idk_stream_init(&op->base.base, &op_kind);
    op->base.base.r_untracked = 1;
    op->base.in[IDK_SIGS].c_watch = 1;
    op->base.in[IDK_BROKEN].c_watch = 1;
    op->l_host = NULL;
    op->sock = (IdkIoSock *)idk_newref((PyObject *)s);
    op->prev = op->next = NULL;
    op->queued = 0;
    op->kind = (unsigned char)kind;
    op->dir = (unsigned char)dir;
    op->flags = 0;
    op->obj = op->args = NULL;
    op->want[IO_READ] = op->want[IO_WRITE] = NULL;
    op->has_view = 0;
    op->size = op->done = 0;
    return op;
}

/* Try at once unless others wait ahead; else queue (and arm the timeout).
 * timeout: seconds, 0 = try once, -1 = none. */
PyObject *idk_op_start(IdkIoOp *op, double timeout)
{
    IdkIoSock *s = op->sock;
    int wait = op->dir;
    if (s->closed) {
        idk_op_raise(op, idk_sock_exc_errno(EBADF, "socket is closed"));
        return (PyObject *)op;
    }
    if (s->head[wait] == NULL && (wait = idk_op_try(op)) == TRY_DONE)
        return (PyObject *)op;
    if (timeout == 0.0) {
        idk_op_raise(op, idk_sock_exc_timeout());
        return (PyObject *)op;
    }
    if (timeout > 0 && idk_timer_start(&op->timer, timeout) < 0) {
        Py_DECREF(op);
        return NULL;
    }
    op_enqueue(op, wait);
    return (PyObject *)op;
}

/* Every op waiting in `dir` fails (close(): EBADF). */
void idk_op_fail_dir(IdkIoSock *s, int dir, int err, const char *text)
{
    while (s->head[dir] != NULL) {
        IdkIoOp *op = s->head[dir];
        Py_INCREF(op);
        idk_op_raise(op, idk_sock_exc_errno(err, text));
        op_dequeue(op);
        Py_DECREF(op);
    }
}

/* ---- the SocketOp type ------------------------------------------------------------------ */

static int op_traverse(IdkIoOp *op, visitproc visit, void *arg)
{
    int r;
    Py_VISIT(op->sock);
    Py_VISIT(op->obj);
    Py_VISIT(op->args);
    Py_VISIT(op->want[IO_READ]);
    Py_VISIT(op->want[IO_WRITE]);
    r = idk_in_traverse(&op->base, visit, arg);
    return r ? r : idk_stream_base_traverse(&op->base.base, visit, arg);
}

static int op_clear(IdkIoOp *op)
{
    int k;
    idk_timer_stop(&op->timer);
    op_release(op);
    for (k = 0; k < IDK_NCHANS; k++)
        idk_chan_clear(&op->base.in[k]);
    idk_stream_base_clear(&op->base.base);
    if (!op->queued)
        Py_CLEAR(op->sock);
    return 0;
}

/* Leaves the channels empty and the timer stopped, as op_alloc expects of a
 * recycled op. */
static void op_dealloc(IdkIoOp *op)
{
    PyObject_GC_UnTrack(op);
    idk_timer_stop(&op->timer);
    op_release(op);
    idk_in_clear(&op->base);
    Py_CLEAR(op->sock);
    idk_stream_base_release(&op->base.base);
    if (!idk_freelist_push(IDK_FL_OP, op))
        Py_TYPE(op)->tp_free((PyObject *)op);
}

static PyObject *op_get_sent(IdkIoOp *op, void *unused)
{
    (void)unused;
    return PyLong_FromSsize_t(op->kind == OP_SENDALL || op->kind == OP_SEND ? op->done : 0);
}

static PyGetSetDef op_getset[] = {
    {"sent", (getter)op_get_sent, NULL, "bytes a send/sendall wrote so far", NULL},
    {NULL, NULL, NULL, NULL, NULL}
};

PyTypeObject IdkIoOp_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.SocketOp", .tp_basicsize = sizeof(IdkIoOp)
};

int idk_op_type_init(void)
{
    IdkIoOp_Type.tp_base = &IdkStream_Type;
    IdkIoOp_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
    IdkIoOp_Type.tp_dealloc = (destructor)op_dealloc;
    IdkIoOp_Type.tp_traverse = (traverseproc)op_traverse;
    IdkIoOp_Type.tp_clear = (inquiry)op_clear;
    IdkIoOp_Type.tp_getset = op_getset;
    IdkIoOp_Type.tp_doc = "A socket operation in progress (a stream).";
    return PyType_Ready(&IdkIoOp_Type);
}
