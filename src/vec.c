/* vec.c: the small item sets with one inline slot (core.h: channels' links,
 * IdkVec for outputs' destinations, the timers fired in a poll, DNS
 * channels), and their snapshots.
 *
 * Invariants:
 *  - Capacity 1 (lgcap 0): the one item is the slot itself (no allocation);
 *    lgcap > 0: the slot points to a PyMem block of 1 << lgcap items.  The
 *    capacity only grows (doubling), until the set is freed.
 *  - remove keeps the order of the others (fan-in and notification order
 *    matter).
 *  - A snapshot copies the items (on the stack when few), so that a walk
 *    survives callbacks that change the set.
 */
#include "core.h"
#include <string.h>

int idk_items_grow(void **slot, unsigned char *lgcap)
{
    size_t cap = (size_t)2 << *lgcap;
    void **items;
    if (*lgcap >= 30) {
        PyErr_NoMemory();
        return -1;
    }
    if (*lgcap == 0) {
        items = (void **)PyMem_Malloc(cap * sizeof(void *));
        if (items != NULL)
            items[0] = *slot;
    } else {
        items = (void **)PyMem_Realloc(*slot, cap * sizeof(void *));
    }
    if (items == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *slot = items;
    (*lgcap)++;
    return 0;
}

int idk_items_remove(void **slot, int *n, unsigned char lgcap, void *item)
{
    void **items = idk_items(slot, lgcap);
    int i;
    for (i = *n - 1; i >= 0; i--) {
        if (items[i] == item) {
            /* keep order: fan-in order and notification order matter */
            memmove(&items[i], &items[i + 1], (*n - i - 1) * sizeof(void *));
            (*n)--;
            return 1;
        }
    }
    return 0;
}

int idk_items_snapshot(IdkVecSnapshot *s, void **slot, int n, unsigned char lgcap)
{
    s->n = n;
    s->items = s->inl;
    if (n > IDK_SNAPSHOT_INLINE) {
        s->items = (void **)PyMem_Malloc(n * sizeof(void *));
        if (s->items == NULL) {
            s->n = 0;
            s->items = s->inl;
            return -1;
        }
    }
    memcpy(s->items, idk_items(slot, lgcap), n * sizeof(void *));
    return 0;
}
