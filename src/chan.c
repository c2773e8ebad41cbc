/* chan.c: IdkChan, a stream's input channel: a FIFO of pushed messages and
 * the parent channels it inherits from (see core.h), with the peek that
 * finds the oldest live message reachable and the notification of waiters.
 *
 * Invariants:
 *  - A channel is embedded in its owner stream.  A child channel holds a
 *    reference to each parent's owner, so a parent outlives its links; a
 *    parent lists its children without references, and a child unlinks
 *    itself before it goes away.
 *  - Notifications iterate over snapshots, since a woken leaf may unlink
 *    itself (or others) while we walk.
 *  - Walks through links stop at IDK_MAX_DEPTH levels.
 */
#include "core.h"
#include <assert.h>

#define IDK_MAX_DEPTH 64

/* ---- channel queues --------------------------------------------------------- */

struct IdkQNode {
    IdkMsg *msg;
    IdkQNode *next;
};

static IdkQNode *qnode_new(IdkMsg *m)
{
    IdkQNode *q = (IdkQNode *)idk_freelist_pop(IDK_FL_QNODE);
    if (q == NULL && (q = (IdkQNode *)PyMem_Malloc(sizeof(IdkQNode))) == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    q->msg = m;
    q->next = NULL;
    return q;
}

static void qnode_release(IdkQNode *q)
{
    if (!idk_freelist_push(IDK_FL_QNODE, q))
        PyMem_Free(q);
}

static inline IdkQNode *queue_head(IdkChan *c)
{
    return c->c_tail != NULL ? c->c_tail->next : NULL;
}

static IdkMsg *queue_pop(IdkChan *c)
{
    IdkQNode *q = c->c_tail->next;
    IdkMsg *m = q->msg;
    if (q == c->c_tail)
        c->c_tail = NULL;
    else
        c->c_tail->next = q->next;
    qnode_release(q);
    return m;
}

/* ---- channels ------------------------------------------------------------------ */

void idk_chan_init(IdkChan *c, IdkStream *owner, int kind)
{
    c->c_kind = (unsigned char)kind;
    c->c_watch = 0;
    c->c_tail = NULL;
    assert(IDK_CHAN_OWNER(c) == owner);
    (void)owner;
    c->c_par = c->c_chi = NULL;
    c->c_npar = c->c_nchi = 0;
    c->c_lgpar = c->c_lgchi = 0;
}

static void chan_notify(IdkChan *c, int depth)
{
    IdkVecSnapshot snap;
    int i;
    if (depth > IDK_MAX_DEPTH)
        return;
    if (c->c_watch && IDK_CHAN_OWNER(c)->kind->on_input != NULL) {
        IdkStream *owner = IDK_CHAN_OWNER(c);
        Py_INCREF(owner);
        owner->kind->on_input(owner, c->c_kind);
        Py_DECREF(owner);
    }
    if (c->c_nchi == 0)
        return;
    if (idk_items_snapshot(&snap, &c->c_chi, c->c_nchi, c->c_lgchi) < 0) {
        PyErr_Clear();
        return;
    }
    for (i = 0; i < snap.n; i++)
        Py_INCREF(IDK_CHAN_OWNER((IdkChan *)snap.items[i]));
    for (i = 0; i < snap.n; i++)
        chan_notify((IdkChan *)snap.items[i], depth + 1);
    for (i = 0; i < snap.n; i++)
        Py_DECREF(IDK_CHAN_OWNER((IdkChan *)snap.items[i]));
    idk_vec_snapshot_free(&snap);
}

const int idk_chan_priority[IDK_NCHANS] = {IDK_SIGS, IDK_BROKEN, IDK_MSGS};

void idk_chan_poke(IdkChan *c)
{
    Py_INCREF(IDK_CHAN_OWNER(c));
    chan_notify(c, 0);
    Py_DECREF(IDK_CHAN_OWNER(c));
}

void idk_chan_push(IdkChan *c, IdkMsg *m)
{
    IdkQNode *q = qnode_new(m);
    if (q == NULL) {
        PyErr_Clear();   /* out of memory: the message is lost, loudly */
        PyErr_WriteUnraisable((PyObject *)IDK_CHAN_OWNER(c));
        return;
    }
    idk_msg_incref(m);
    if (c->c_tail != NULL) {
        q->next = c->c_tail->next;
        c->c_tail->next = q;
    } else {
        q->next = q;
    }
    c->c_tail = q;
    Py_INCREF(IDK_CHAN_OWNER(c));
    chan_notify(c, 0);
    Py_DECREF(IDK_CHAN_OWNER(c));
}

int idk_chan_link(IdkChan *child, IdkChan *parent)
{
    if (idk_items_push(&child->c_par, &child->c_npar, &child->c_lgpar, parent) < 0)
        return -1;
    if (idk_items_push(&parent->c_chi, &parent->c_nchi, &parent->c_lgchi, child) < 0) {
        idk_items_remove(&child->c_par, &child->c_npar, child->c_lgpar, parent);
        return -1;
    }
    Py_INCREF(IDK_CHAN_OWNER(parent));
    return 0;
}

void idk_chan_unlink(IdkChan *child, IdkChan *parent)
{
    if (!idk_items_remove(&child->c_par, &child->c_npar, child->c_lgpar, parent))
        return;
    idk_items_remove(&parent->c_chi, &parent->c_nchi, parent->c_lgchi, child);
    Py_DECREF(IDK_CHAN_OWNER(parent));
}

void idk_chan_unlink_all(IdkChan *c)
{
    while (c->c_npar > 0)
        idk_chan_unlink(c, idk_chan_parents(c)[c->c_npar - 1]);
    while (c->c_nchi > 0)
        idk_chan_unlink(idk_chan_children(c)[c->c_nchi - 1], c);
}

void idk_chan_clear_slow(IdkChan *c)
{
    c->c_watch = 0;
    idk_chan_unlink_all(c);
    while (c->c_tail != NULL)
        idk_msg_decref(queue_pop(c));
    idk_items_free(&c->c_par, &c->c_npar, &c->c_lgpar);
    idk_items_free(&c->c_chi, &c->c_nchi, &c->c_lgchi);
}

static IdkMsg *chan_peek(IdkChan *c, IdkChan **holder, int depth)
{
    IdkMsg *best = NULL;
    int i;
    if (depth > IDK_MAX_DEPTH)
        return NULL;
    while (c->c_tail != NULL && queue_head(c)->msg->m_state == IDK_WITHDRAWN)
        idk_msg_decref(queue_pop(c));
    if (c->c_tail != NULL) {
        best = queue_head(c)->msg;
        *holder = c;
    }
    for (i = 0; i < c->c_npar; i++) {
        IdkChan *h = NULL;
        IdkMsg *m = chan_peek(idk_chan_parents(c)[i], &h, depth + 1);
        if (m != NULL && (best == NULL || m->m_seq < best->m_seq)) {
            best = m;
            *holder = h;
        }
    }
    return best;
}

IdkMsg *idk_chan_peek_slow(IdkChan *c, IdkChan **holder)
{
    return chan_peek(c, holder, 0);
}

IdkMsg *idk_chan_take(IdkChan *holder)
{
    return queue_pop(holder);
}

int idk_chan_traverse(IdkChan *c, visitproc visit, void *arg)
{
    int i;
    for (i = 0; i < c->c_npar; i++)
        Py_VISIT(IDK_CHAN_OWNER(idk_chan_parents(c)[i]));
    return 0;
}
