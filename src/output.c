/* output.c: IdkOutput, a stream's output: offering a message pushes it into
 * every destination: channels (pipe readers: multicast) and other outputs
 * (the output of a stream that is yielding this one: forwarding).
 *
 * Invariants:
 *  - Outputs hold a reference to the owner of every destination.
 *  - Offered messages stay in o_pending until consumed or withdrawn, so a
 *    destination added later still sees them.
 *  - Offering iterates over a snapshot of the destinations.
 */
#include "core.h"

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
    IdkVecSnapshot snap;
    int i;
    output_prune(o);
    if (idk_vec_push(&o->o_pending, m) < 0) {
        PyErr_Clear();
        return;
    }
    idk_msg_incref(m);
    if (o->o_dests.n == 0)
        return;
    if (idk_vec_snapshot(&snap, &o->o_dests) < 0) {
        PyErr_Clear();
        return;
    }
    for (i = 0; i < snap.n; i++)
        Py_INCREF(dest_owner(snap.items[i]));
    for (i = 0; i < snap.n && m->m_state != IDK_WITHDRAWN; i++)
        dest_offer(snap.items[i], m);
    for (i = 0; i < snap.n; i++)
        Py_DECREF(dest_owner(snap.items[i]));
    idk_vec_snapshot_free(&snap);
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
