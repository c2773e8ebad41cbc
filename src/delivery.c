/* delivery.c: Delivery, the stream behind stream.send(*args) and
 * stream.throw(exc): one message pushed into another stream's input, which
 * finishes when that message is consumed.
 *
 * Invariants:
 *  - It listens to its target: a target that finishes first fails the
 *    delivery (with the target's exception, or BrokenPipe built from its
 *    result), and the message is withdrawn.
 *  - A delivery interrupted (a signal reaches it) or collected withdraws its
 *    message, so a message never points to a dead sender.
 */
#include "leaf.h"

typedef struct {
    IdkInStream base;
    IdkStream *d_target;
    IdkMsg *d_msg;
} IdkDelivery;

static void delivery_on_target_done(IdkStream *target, PyObject *ctx)
{
    IdkDelivery *d = (IdkDelivery *)ctx;
    PyObject *exc;
    if (d->base.base.r_state != IDK_PENDING)
        return;
    idk_msg_withdraw(d->d_msg);
    idk_leaf_unwatch(&d->base);
    if (target->r_state == IDK_RAISED) {
        idk_leaf_finish(&d->base.base, IDK_RAISED, target->r_value);
        return;
    }
    exc = idk_exc_from_returned(IdkExc_BrokenPipe, target);
    if (exc == NULL) {
        exc = idk_exc_fetch();
    }
    idk_leaf_finish(&d->base.base, IDK_RAISED, exc);
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
        idk_leaf_finish(s, IDK_RETURNED, args);
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
    idk_leaf_finish(s, IDK_RAISED, m->m_payload);
    idk_msg_decref(m);
    Py_DECREF(s);
}

static const IdkKind delivery_kind = {
    "delivery", idk_leaf_attach_no_msgs, idk_leaf_detach_no_msgs, NULL, idk_in_input,
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
    d = (IdkDelivery *)idk_leaf_alloc(&IdkDelivery_Type, &delivery_kind, 0);
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
    return idk_leaf_clear(&d->base);
}

static int delivery_traverse(IdkDelivery *d, visitproc visit, void *arg)
{
    Py_VISIT(d->d_target);
    return idk_leaf_traverse(&d->base, visit, arg);
}

static void delivery_dealloc(IdkDelivery *d)
{
    PyObject_GC_UnTrack(d);
    delivery_clear(d);
    idk_stream_base_dealloc(&d->base.base);
}

PyTypeObject IdkDelivery_Type = {PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.Delivery", .tp_basicsize = sizeof(IdkDelivery)};

int idk_delivery_type_ready(void)
{
    return idk_leaf_type_ready(&IdkDelivery_Type, &IdkStream_Type, (destructor)delivery_dealloc,
                               (traverseproc)delivery_traverse, (inquiry)delivery_clear,
                               "A message or exception sent into a stream.");
}
