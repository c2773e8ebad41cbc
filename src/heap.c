/* heap.c: the one process-wide setting idiokit makes, and when it makes it.
 *
 * A recv loop over many connections with large messages,
 *     data = yield conn.recv(n); yield conn.sendall(data)
 * keeps each message until the next one has been read, so allocations and
 * frees of blocks near the message size interleave across connections.
 * glibc's free() then often finds more than its trim threshold (128 KiB by
 * default) free at the top of the heap and hands it back to the kernel, and
 * the next reads fault those pages in again: 2 to 5 page faults per request
 * in bench/'s 100 KiB x 100 connections echo, which ran at 0.6 to 0.75 of
 * uvloop's rate because of it.
 *
 * So at the first read of 8 KiB or more into a bytes object (socket.c's
 * bytes_read; 10 KiB messages over 100 connections churn the heap too),
 * glibc's thresholds are set, once per loop, to where its own dynamic
 * adjustment tops out on 64-bit systems: blocks under 32 MiB come from the
 * heap, and the heap's top is trimmed only past 64 MiB of free memory.
 * Left alone when the user has set malloc thresholds (GLIBC_TUNABLES'
 * glibc.malloc.*, or the MALLOC_*_ variables), when IDIOKIT_HEAP_TUNING=0,
 * and off glibc (compat.h).  docs/socket.rst, "Large messages", tells
 * users. */
#include "core.h"

#include <stdlib.h>
#include <string.h>

#define TUNED_MMAP_THRESHOLD (32 * 1024 * 1024)
#define TUNED_TRIM_THRESHOLD (2 * TUNED_MMAP_THRESHOLD)

/* Has the environment set any of the thresholds itself? */
static int user_set_thresholds(void)
{
    static const char *const tunables[] = {
        "glibc.malloc.mmap_threshold", "glibc.malloc.trim_threshold", "glibc.malloc.top_pad"};
    static const char *const variables[] = {
        "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"};
    const char *given = getenv("GLIBC_TUNABLES");
    size_t i;
    for (i = 0; i < sizeof(variables) / sizeof(variables[0]); i++) {
        if (getenv(variables[i]) != NULL)
            return 1;
        if (given != NULL && strstr(given, tunables[i]) != NULL)
            return 1;
    }
    return 0;
}

static int tuning_wanted(void)
{
    const char *opt = getenv("IDIOKIT_HEAP_TUNING");
    if (opt != NULL && strcmp(opt, "0") == 0)
        return 0;
    return !user_set_thresholds();
}

void idk_heap_tune_for_large_reads(IdkLoop *loop)
{
    if (loop == NULL || loop->l_heap_tuned)
        return;
    loop->l_heap_tuned = 1;
    if (tuning_wanted())
        idk_set_malloc_thresholds(TUNED_MMAP_THRESHOLD, TUNED_TRIM_THRESHOLD);
}
