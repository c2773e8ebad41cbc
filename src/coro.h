/* coro.h: the asyncoro Coro (idiokit.asyncoro's base class _core.Coro), shared
 * by its three files: coro.c (the object, its life and its bookkeeping),
 * coro_wait.c (messages, suspend/resume, finish: what a coroutine yields) and
 * asyncoro_driver.c (stepping its generators).
 *
 * A Coro is its own C stepper (IdkStepper): the task that runs it (coro.stream)
 * steps the Coro directly, with no driver object between them.  One idle
 * coroutine is this object, its generator and its task.
 */
#ifndef IDK_CORO_H
#define IDK_CORO_H

#include "core.h"

/* The loop's asyncoro state (a loop client): the Coro whose generator is
 * stepping, and the counts the scheduler's join() reads.  Counted with the
 * GIL held, from any thread. */
typedef struct {
    IdkLoopClient base;
    PyObject *current;          /* borrowed, or NULL */
    Py_ssize_t started, ended;  /* Coros created, Coros ended */
    Py_ssize_t daemons;         /* alive daemons */
    int has_scheduler;          /* a scheduler thread runs the loop (coro_scheduler) */
} IdkCoroState;

typedef struct {
    IdkStepper base;           /* the task steps the Coro itself */
    IdkCoroState *co_state;    /* the loop's, for as long as the process runs */
    /* the generator stack (asyncoro_driver.c) */
    PyObject *cd_gen;          /* the outermost generator, NULL once it has ended */
    PyObject *cd_stack;        /* list of sub-generators, innermost last, or NULL */
    PyObject *cd_last;         /* while it runs: the outermost's last plain yield or
                                  return; once ended: its value, or the exc it raised */
    PyObject *cd_pending;      /* the plain value to send back after its turn, or NULL */
    /* the coroutine (coro.c, coro_wait.c) */
    PyObject *co_task;         /* the task stepping it (coro.stream), NULL until started */
    PyObject *co_name;
    PyObject *co_msgs;         /* the mailbox (a deque), made by the first message waiting */
    PyObject *co_receiver;     /* what receive() left to wait on, or NULL */
    PyObject *co_suspender;    /* what suspend()/sleep() left to wait on, or NULL */
    PyObject *co_more;         /* the Python class's rarely used fields, or NULL */
    unsigned char co_alive;    /* until its generators have ended */
    unsigned char co_failed;   /* ended by an exception: cd_last is the exc */
    unsigned char co_daemon;
} IdkCoro;

extern PyTypeObject IdkCoro_Type;

/* The loop's asyncoro state, made on first use; NULL with an error set. */
IdkCoroState *idk_coro_state(void);
/* Start the task that runs the Coro (on the loop's thread); 0 or -1. */
int idk_coro_start(IdkCoro *co);
/* The stepping function of the Coro (asyncoro_driver.c). */
int idk_coro_step(PyObject *it, PyObject *value, PyObject *exc, PyObject **out);
/* Close its generators, innermost first; 0 or -1 with an error set. */
int idk_coro_close_gens(IdkCoro *co);
/* The generators ended with value (borrowed, or NULL) or exc (borrowed, or
 * NULL): the task's step result, as idk_iter_send's.  *swapped gets a new
 * generator when a hot swap was accepted: stepping goes on with it. */
int idk_coro_ended(IdkCoro *co, PyObject *value, PyObject *exc, PyObject **out,
                   PyObject **swapped);
/* The methods of coro_wait.c, for the type's method table (coro.c's and
 * these: at most IDK_CORO_NMETHODS in all). */
extern PyMethodDef idk_coro_wait_methods[];
#define IDK_CORO_NMETHODS 16
/* A wait that is over already: an Event that gives value. */
PyObject *idk_coro_done(PyObject *value);

#endif /* IDK_CORO_H */
