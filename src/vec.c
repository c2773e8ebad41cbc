/* vec.c: IdkVec, the small vector with one inline slot (channels' links,
 * outputs' destinations, the timers fired in a poll), and its snapshots.
 *
 * Invariants:
 *  - cap 1: the one item is inline (no allocation); cap > 1: u.many is a
 *    PyMem block of cap items.
 *  - remove keeps the order of the others (fan-in and notification order
 *    matter).
 *  - A snapshot copies the items (on the stack when few), so that a walk
 *    survives callbacks that change the vector.
 */
#include "core.h"
#include <string.h>

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

int idk_vec_snapshot(IdkVecSnapshot *s, IdkVec *v)
{
    s->n = v->n;
    s->items = s->inl;
    if (v->n > IDK_SNAPSHOT_INLINE) {
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
