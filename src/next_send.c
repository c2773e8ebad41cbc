/* next_send.c: the two leaves made per message: Next (idiokit.next(), takes
 * the next message of the waiting stream's input) and Send (idiokit.send(),
 * offers one message on its output and finishes when it is consumed).
 *
 * Invariants:
 *  - Both are hostable leaves (leaf.c), kept out of the cyclic GC while
 *    pending and their memory reused through the loop's freelists.
 *  - A Send withdraws its message when it is interrupted or collected, so a
 *    message never points to a dead sender.
 *  - On consumption the sender is told first: the sending task resumes
 *    before the receiving one, as in the original.
 */
#include "leaf.h"

typedef struct {
    IdkInStream base;
    IdkTask *l_host;      /* as IdkLeaf */
    IdkOutput s_out;
    IdkMsg *s_msg;
} IdkSend;

/* ---- Next --------------------------------------------------------------------- */

static void next_on_input(IdkStream *s, int which)
{
    (void)which;
    idk_leaf_take_and_finish(s, 1);
}

static const IdkKind next_kind = {
    "next", idk_in_attach, idk_in_detach, NULL, idk_in_input, next_on_input, NULL, 1
};

PyObject *idk_next_new(void)
{
    return idk_leaf_untracked(idk_leaf_alloc(&IdkNext_Type, &next_kind, 1));
}

static PyObject *next_tp_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    if (PyTuple_GET_SIZE(args) != 0 || (kw != NULL && PyDict_Size(kw) != 0)) {
        PyErr_SetString(PyExc_TypeError, "next() takes no arguments");
        return NULL;
    }
    if (type != &IdkNext_Type)
        return (PyObject *)idk_leaf_alloc(type, &next_kind, 1);
    return idk_leaf_untracked(idk_leaf_alloc(type, &next_kind, 1));
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
    idk_leaf_finish(s, IDK_RAISED, m->m_payload);
    idk_msg_decref(m);
    Py_DECREF(s);
}

static void send_on_consumed(IdkStream *s, IdkMsg *m)
{
    PyObject *args = PyTuple_New(0);
    (void)m;
    idk_leaf_unwatch((IdkInStream *)s);
    if (args != NULL)
        idk_leaf_finish(s, IDK_RETURNED, args);
    Py_XDECREF(args);
}

static const IdkKind send_kind = {
    "send", idk_leaf_attach_no_msgs, idk_leaf_detach_no_msgs, send_output, idk_in_input,
    send_on_input, send_on_consumed, 1
};

PyObject *idk_send_new(PyObject *args)
{
    IdkSend *sd = (IdkSend *)idk_leaf_alloc(&IdkSend_Type, &send_kind, 0);
    if (sd == NULL)
        return NULL;
    idk_output_init(&sd->s_out, &sd->base.base);
    sd->s_msg = idk_msg_new(0, args, &sd->base.base);
    if (sd->s_msg == NULL) {
        Py_DECREF(sd);
        return NULL;
    }
    idk_output_offer(&sd->s_out, sd->s_msg);
    return idk_leaf_untracked(&sd->base);
}

static int send_clear(IdkSend *sd)
{
    if (sd->s_msg != NULL) {
        idk_msg_withdraw(sd->s_msg);
        idk_msg_decref(sd->s_msg);
        sd->s_msg = NULL;
    }
    idk_output_clear(&sd->s_out);
    return idk_leaf_clear(&sd->base);
}

static void send_dealloc(IdkSend *sd)
{
    PyObject_GC_UnTrack(sd);
    send_clear(sd);
    idk_leaf_free(&sd->base.base);
}

PyTypeObject IdkNext_Type = {PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit.next", .tp_basicsize = sizeof(IdkLeaf)};
PyTypeObject IdkSend_Type = {PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.Send", .tp_basicsize = sizeof(IdkSend)};

int idk_next_send_types_ready(void)
{
    IdkNext_Type.tp_new = next_tp_new;
    if (idk_leaf_type_ready(&IdkNext_Type, &IdkStream_Type, (destructor)idk_leaf_dealloc,
                            (traverseproc)idk_leaf_traverse, (inquiry)idk_leaf_clear,
                            "next(): take the next item of the current stream's input.") < 0)
        return -1;
    return idk_leaf_type_ready(&IdkSend_Type, &IdkStream_Type, (destructor)send_dealloc,
                               (traverseproc)idk_leaf_traverse, (inquiry)send_clear,
                               "send(*args): offer one message on the current stream's output.");
}
