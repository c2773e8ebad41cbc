/* leaf.c: what the leaf streams share: taking the first reachable item
 * (signals first), finishing, allocation (the loop's freelists for next and
 * send), GC untracking, and hosting: a leaf waited on by a single task reads
 * that task's channels directly (core.h's IdkLeaf).
 *
 * Invariants:
 *  - A leaf watches the channels it inherits from its yielder(s); when an
 *    item is reachable it takes it, stops watching, and only then consumes
 *    it, so that a re-entrant push cannot make it take a second item.
 *  - Finishing a leaf unlinks its channels before the result is set.
 *  - A hosted leaf's host is the one task waiting on it, which holds a
 *    reference to it; the task watches its own channels only while hosting.
 */
#include "leaf.h"

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

void idk_leaf_finish(IdkStream *s, int state, PyObject *value)
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
int idk_leaf_take_and_finish(IdkStream *s, int with_msgs)
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
    idk_leaf_finish(s, m->m_throw ? IDK_RAISED : IDK_RETURNED, m->m_payload);
    idk_msg_decref(m);
    Py_DECREF(s);
    return 1;
}

int idk_leaf_attach_no_msgs(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    (void)m;
    return idk_in_attach(s, NULL, sig, brk);
}

void idk_leaf_detach_no_msgs(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk)
{
    (void)m;
    idk_in_detach(s, NULL, sig, brk);
}

int idk_leaf_traverse(IdkInStream *s, visitproc visit, void *arg)
{
    int r = idk_in_traverse(s, visit, arg);
    return r ? r : idk_stream_base_traverse(&s->base, visit, arg);
}

int idk_leaf_clear(IdkInStream *s)
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
void idk_leaf_free(IdkStream *s)
{
    int fl = leaf_freelist(Py_TYPE(s));
    idk_stream_base_release(s);
    if (fl < 0 || !idk_freelist_push(fl, s))
        Py_TYPE(s)->tp_free((PyObject *)s);
}

void idk_leaf_dealloc(IdkInStream *s)
{
    PyObject_GC_UnTrack(s);
    idk_leaf_clear(s);
    idk_leaf_free(&s->base);
}

IdkInStream *idk_leaf_alloc(PyTypeObject *type, const IdkKind *kind, int with_msgs)
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
    /* a leaf that takes messages (next) watches its own messages channel */
    in[IDK_MSGS].c_watch = ((IdkInStream *)s)->in[IDK_MSGS].c_watch;
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
 * result other than () is tracked again (idk_leaf_finish).  Tracking them made the collector traverse a third of
 * a spawn-heavy workload's objects for nothing. */
PyObject *idk_leaf_untracked(IdkInStream *s)
{
    if (s != NULL) {
        PyObject_GC_UnTrack(s);
        s->base.r_untracked = 1;
    }
    return (PyObject *)s;
}

int idk_leaf_type_ready(PyTypeObject *t, PyTypeObject *base, destructor dealloc,
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
