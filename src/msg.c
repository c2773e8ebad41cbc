/* msg.c: IdkMsg, one offered message (an args tuple, or an exc to throw),
 * and the sequence numbers that order messages and timers.
 *
 * Invariants:
 *  - An IdkMsg is refcounted by the queues and outputs that hold it and by
 *    whoever took it; its memory is reused through the loop's freelist.
 *  - Its state goes OFFERED -> CONSUMED or OFFERED -> WITHDRAWN, once; its
 *    sender (borrowed: a sender withdraws before it dies) is told once, when
 *    it is consumed.
 */
#include "core.h"

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
