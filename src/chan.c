/* chan.c: messages, channels and outputs: the plumbing behind send/next/pipes.
 *
 * Invariants:
 *  - An IdkMsg is refcounted by the queues and outputs that hold it and by
 *    whoever took it; its sender (if any) is told once, when it is consumed.
 *  - A channel is embedded in its owner stream.  A child channel holds a
 *    reference to each parent's owner, so a parent outlives its links; a
 *    parent lists its children without references, and a child unlinks
 *    itself before it goes away.
 *  - Outputs hold a reference to the owner of every destination.
 *  - Notifications iterate over snapshots, since a woken leaf may unlink
 *    itself (or others) while we walk.
 */
#include "core.h"
#include <assert.h>

#define IDK_MAX_DEPTH 64

/* Messages and timers are ordered by one counter, kept on the loop (made
 * here if need be: a message can be the first thing a program makes). */
unsigned long long idk_next_seq(void)
{
    IdkLoop *loop = idk_loop != NULL ? idk_loop : idk_loop_get();
    if (loop == NULL) {
        PyErr_Clear();     /* no loop: nothing to order against */
        return 0;
    }
    return ++loop->l_seq;
}

/* ---- messages -------------------------------------------------------------- */

IdkMsg *idk_msg_new(int is_throw, PyObject *payload, IdkStream *sender)
{
    IdkMsg *m = (IdkMsg *)idk_freelist_pop(IDK_FL_MSG);
    if (m == NULL && (m = (IdkMsg *)PyMem_Malloc(sizeof(IdkMsg))) == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    m->m_refs = 1;
    m->m_seq = idk_next_seq();
    m->m_state = IDK_OFFERED;
    m->m_throw = is_throw;
    m->m_payload = idk_newref(payload);
    m->m_sender = sender;   /* borrowed: a sender withdraws before it dies */
    idk_stats.msgs++;
    return m;
}

void idk_msg_decref(IdkMsg *m)
{
    if (--m->m_refs > 0)
        return;
    idk_stats.msgs--;
    Py_CLEAR(m->m_payload);
    m->m_sender = NULL;
    if (!idk_freelist_push(IDK_FL_MSG, m))
        PyMem_Free(m);
}

void idk_msg_consume(IdkMsg *m)
{
    IdkStream *sender;
    if (m->m_state != IDK_OFFERED)
        return;
    m->m_state = IDK_CONSUMED;
    sender = m->m_sender;
    m->m_sender = NULL;
    if (sender != NULL && sender->kind->on_consumed != NULL) {
        /* Beware: the sender finishes and wakes its waiters. */
        Py_INCREF(sender);
        sender->kind->on_consumed(sender, m);
        Py_DECREF(sender);
    }
}

void idk_msg_withdraw(IdkMsg *m)
{
    if (m->m_state != IDK_OFFERED)
        return;
    m->m_state = IDK_WITHDRAWN;
    m->m_sender = NULL;
}

/* ---- vectors ----------------------------------------------------------------- */

int idk_vec_grow(IdkVec *v)
{
    int cap = v->cap * 2;
    void **items;
    if (v->cap == 1) {
        items = (void **)PyMem_Malloc(cap * sizeof(void *));
        if (items != NULL)
            items[0] = v->u.one;
    } else {
        items = (void **)PyMem_Realloc(v->u.many, cap * sizeof(void *));
    }
    if (items == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    v->u.many = items;
    v->cap = cap;
    return 0;
}

int idk_vec_remove(IdkVec *v, void *item)
{
    void **items = idk_vec_data(v);
    int i;
    if (v->n == 1 && items[0] == item) {
        v->n = 0;
        return 1;
    }
    for (i = v->n - 1; i >= 0; i--) {
        if (items[i] == item) {
            /* keep order: fan-in order and notification order matter */
            memmove(&items[i], &items[i + 1], (v->n - i - 1) * sizeof(void *));
            v->n--;
            return 1;
        }
    }
    return 0;
}


/* A snapshot of a vector, on the stack when small. */
typedef struct {
    int n;
    void **items;
    void *inl[8];
} Snapshot;

static int snapshot_take(Snapshot *s, IdkVec *v)
{
    s->n = v->n;
    s->items = s->inl;
    if (v->n > 8) {
        s->items = (void **)PyMem_Malloc(v->n * sizeof(void *));
        if (s->items == NULL) {
            s->n = 0;
            s->items = s->inl;
            return -1;
        }
    }
    memcpy(s->items, idk_vec_data(v), v->n * sizeof(void *));
    return 0;
}

static void snapshot_free(Snapshot *s)
{
    if (s->items != s->inl)
        PyMem_Free(s->items);
}

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
    idk_vec_init(&c->c_parents);
    idk_vec_init(&c->c_children);
}

static void chan_notify(IdkChan *c, int depth)
{
    Snapshot snap;
    int i;
    if (depth > IDK_MAX_DEPTH)
        return;
    if (c->c_watch && IDK_CHAN_OWNER(c)->kind->on_input != NULL) {
        IdkStream *owner = IDK_CHAN_OWNER(c);
        Py_INCREF(owner);
        owner->kind->on_input(owner, c->c_kind);
        Py_DECREF(owner);
    }
    if (c->c_children.n == 0)
        return;
    if (snapshot_take(&snap, &c->c_children) < 0) {
        PyErr_Clear();
        return;
    }
    for (i = 0; i < snap.n; i++)
        Py_INCREF(IDK_CHAN_OWNER((IdkChan *)snap.items[i]));
    for (i = 0; i < snap.n; i++)
        chan_notify((IdkChan *)snap.items[i], depth + 1);
    for (i = 0; i < snap.n; i++)
        Py_DECREF(IDK_CHAN_OWNER((IdkChan *)snap.items[i]));
    snapshot_free(&snap);
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
    if (idk_vec_push(&child->c_parents, parent) < 0)
        return -1;
    if (idk_vec_push(&parent->c_children, child) < 0) {
        idk_vec_remove(&child->c_parents, parent);
        return -1;
    }
    Py_INCREF(IDK_CHAN_OWNER(parent));
    return 0;
}

void idk_chan_unlink(IdkChan *child, IdkChan *parent)
{
    if (!idk_vec_remove(&child->c_parents, parent))
        return;
    idk_vec_remove(&parent->c_children, child);
    Py_DECREF(IDK_CHAN_OWNER(parent));
}

void idk_chan_unlink_all(IdkChan *c)
{
    while (c->c_parents.n > 0)
        idk_chan_unlink(c, (IdkChan *)idk_vec_data(&c->c_parents)[c->c_parents.n - 1]);
    while (c->c_children.n > 0)
        idk_chan_unlink((IdkChan *)idk_vec_data(&c->c_children)[c->c_children.n - 1], c);
}

void idk_chan_clear_slow(IdkChan *c)
{
    c->c_watch = 0;
    idk_chan_unlink_all(c);
    while (c->c_tail != NULL)
        idk_msg_decref(queue_pop(c));
    idk_vec_free(&c->c_parents);
    idk_vec_free(&c->c_children);
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
    for (i = 0; i < c->c_parents.n; i++) {
        IdkChan *h = NULL;
        IdkMsg *m = chan_peek((IdkChan *)idk_vec_data(&c->c_parents)[i], &h, depth + 1);
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
    for (i = 0; i < c->c_parents.n; i++)
        Py_VISIT(IDK_CHAN_OWNER((IdkChan *)idk_vec_data(&c->c_parents)[i]));
    return 0;
}

/* ---- outputs ------------------------------------------------------------------- */

#define DEST_IS_OUT(p) (((uintptr_t)(p)) & 1)
#define DEST_OUT(p) ((IdkOutput *)(((uintptr_t)(p)) & ~(uintptr_t)1))
#define DEST_TAG_OUT(o) ((void *)(((uintptr_t)(o)) | 1))

static IdkStream *dest_owner(void *d)
{
    return DEST_IS_OUT(d) ? DEST_OUT(d)->o_owner : IDK_CHAN_OWNER((IdkChan *)d);
}

void idk_output_init(IdkOutput *o, IdkStream *owner)
{
    o->o_owner = owner;
    idk_vec_init(&o->o_dests);
    idk_vec_init(&o->o_pending);
}

static void output_prune(IdkOutput *o)
{
    int i, j = 0;
    for (i = 0; i < o->o_pending.n; i++) {
        IdkMsg *m = (IdkMsg *)idk_vec_data(&o->o_pending)[i];
        if (m->m_state == IDK_OFFERED)
            idk_vec_data(&o->o_pending)[j++] = m;
        else
            idk_msg_decref(m);
    }
    o->o_pending.n = j;
}

static void dest_offer(void *d, IdkMsg *m)
{
    if (DEST_IS_OUT(d))
        idk_output_offer(DEST_OUT(d), m);
    else
        idk_chan_push((IdkChan *)d, m);
}

void idk_output_offer(IdkOutput *o, IdkMsg *m)
{
    Snapshot snap;
    int i;
    output_prune(o);
    if (idk_vec_push(&o->o_pending, m) < 0) {
        PyErr_Clear();
        return;
    }
    idk_msg_incref(m);
    if (o->o_dests.n == 0)
        return;
    if (snapshot_take(&snap, &o->o_dests) < 0) {
        PyErr_Clear();
        return;
    }
    for (i = 0; i < snap.n; i++)
        Py_INCREF(dest_owner(snap.items[i]));
    for (i = 0; i < snap.n && m->m_state != IDK_WITHDRAWN; i++)
        dest_offer(snap.items[i], m);
    for (i = 0; i < snap.n; i++)
        Py_DECREF(dest_owner(snap.items[i]));
    snapshot_free(&snap);
}

static int output_add_dest(IdkOutput *o, void *d)
{
    int i;
    if (idk_vec_push(&o->o_dests, d) < 0)
        return -1;
    Py_INCREF(dest_owner(d));
    output_prune(o);
    for (i = 0; i < o->o_pending.n; i++) {
        IdkMsg *m = (IdkMsg *)idk_vec_data(&o->o_pending)[i];
        if (m->m_state != IDK_OFFERED)
            continue;
        idk_msg_incref(m);
        dest_offer(d, m);
        idk_msg_decref(m);
    }
    return 0;
}

static void output_remove_dest(IdkOutput *o, void *d)
{
    if (idk_vec_remove(&o->o_dests, d))
        Py_DECREF(dest_owner(d));
}

int idk_output_add_chan(IdkOutput *o, IdkChan *c)
{
    return output_add_dest(o, c);
}

void idk_output_remove_chan(IdkOutput *o, IdkChan *c)
{
    output_remove_dest(o, c);
}

int idk_output_add_forward(IdkOutput *o, IdkOutput *to)
{
    return output_add_dest(o, DEST_TAG_OUT(to));
}

void idk_output_remove_forward(IdkOutput *o, IdkOutput *to)
{
    output_remove_dest(o, DEST_TAG_OUT(to));
}

void idk_output_clear(IdkOutput *o)
{
    int i;
    while (o->o_dests.n > 0)
        output_remove_dest(o, idk_vec_data(&o->o_dests)[o->o_dests.n - 1]);
    for (i = 0; i < o->o_pending.n; i++)
        idk_msg_decref((IdkMsg *)idk_vec_data(&o->o_pending)[i]);
    o->o_pending.n = 0;
    idk_vec_free(&o->o_dests);
    idk_vec_free(&o->o_pending);
}
