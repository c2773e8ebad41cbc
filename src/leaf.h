/* leaf.h: what the leaf streams share (leaf.c): the streams a task waits on
 * directly (next, send, Event, sleep, Delivery, and the other subsystems'
 * leaves), built on IdkInStream, most of them hostable (core.h's IdkLeaf).
 */
#ifndef IDK_LEAF_H
#define IDK_LEAF_H

#include "core.h"

/* Set the result once: unlinks the channels first, tracks the leaf in the GC
 * again if the result may lead back to it. */
void idk_leaf_finish(IdkStream *s, int state, PyObject *value);
/* Take the first reachable item and finish with it (a message's args, or an
 * exception).  1 if the leaf finished. */
int idk_leaf_take_and_finish(IdkStream *s, int with_msgs);
/* attach/detach of the kinds that take no messages (only signals, broken). */
int idk_leaf_attach_no_msgs(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk);
void idk_leaf_detach_no_msgs(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk);
int idk_leaf_traverse(IdkInStream *s, visitproc visit, void *arg);
int idk_leaf_clear(IdkInStream *s);
/* A new leaf of `type` and `kind`, watching its channels (messages too if
 * with_msgs); next and send reuse memory from the loop's freelists. */
IdkInStream *idk_leaf_alloc(PyTypeObject *type, const IdkKind *kind, int with_msgs);
/* After the object's own clearing: keep its memory for reuse or free it. */
void idk_leaf_free(IdkStream *s);
void idk_leaf_dealloc(IdkInStream *s);
/* Keep a short-lived leaf out of the cyclic GC while it is pending; s may be
 * NULL (returned as is). */
PyObject *idk_leaf_untracked(IdkInStream *s);
int idk_leaf_type_ready(PyTypeObject *t, PyTypeObject *base, destructor dealloc,
                        traverseproc trav, inquiry clear, const char *doc);

/* Sleep (timer.c) is an Event with a timer: completing it stops the timer. */
void idk_sleep_stop_timer(IdkStream *sleep);

#endif /* IDK_LEAF_H */
