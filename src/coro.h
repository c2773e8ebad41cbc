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

typedef struct IdkCoro IdkCoro;

/* The loop's asyncoro state (a loop client), changed with the GIL held, from
 * any thread. */
typedef struct {
    IdkLoopClient base;
    Py_ssize_t started, ended;  /* Coros created, Coros ended */
    Py_ssize_t daemons;         /* alive daemons */
    int has_scheduler;          /* a scheduler thread runs the loop (coro_scheduler) */
    IdkCoro *live;              /* the Coros alive, a list through co_next (borrowed) */
    /* the last answer of the class's keyword test: the class, the function,
     * and (keyword,) to pass the Coro as (NULL: none); owned */
    PyObject *inj_type, *inj_func, *inj_kwnames;
} IdkCoroState;

enum { IDK_CORO_WAIT_RECEIVE = 1, IDK_CORO_WAIT_SUSPEND = 2 };

/* A coroutine's mailbox and its pending receive() or suspend() (coro_wait.c),
 * made when first needed: an idle coroutine that never took part in message
 * passing or suspend/resume has none. */
typedef struct {
    PyObject *mb_msgs;          /* the mailbox (a deque), made by the first message
                                   waiting */
    PyObject *mb_wait;          /* what receive() or suspend() left to wait on, or NULL */
    unsigned char mb_wait_kind; /* IDK_CORO_WAIT_RECEIVE or _SUSPEND: who wakes mb_wait */
} IdkCoroMail;

struct IdkCoro {
    IdkStepper base;           /* the task steps the Coro itself */
    /* the generator stack (asyncoro_driver.c) */
    PyObject *cd_gens;         /* the outermost generator; a list of them (outermost
                                  first) once a sub-generator runs; NULL once ended */
    PyObject *cd_last;         /* while it runs: the last plain yield or the outermost's
                                  return; once ended: its value, or the exc it raised */
    /* the coroutine (coro.c, coro_wait.c) */
    PyObject *co_task;         /* the task stepping it (coro.stream), NULL until started */
    PyObject *co_name;
    IdkCoroMail *co_mail;      /* made by the first message, receive() or suspend() */
    PyObject *co_more;         /* the Python class's rarely used fields, or NULL */
    IdkCoro *co_prev, *co_next; /* the live list, while co_alive */
    unsigned char co_alive;    /* until its generators have ended */
    unsigned char co_failed;   /* ended by an exception: cd_last is the exc */
    unsigned char co_daemon;
    unsigned char cd_pending;  /* at a yield point: send cd_last back after its turn */
    unsigned char cd_gen_hidden; /* the outermost generator is out of the GC */
};

extern PyTypeObject IdkCoro_Type;

/* The loop's asyncoro state, made on first use; NULL with an error set. */
IdkCoroState *idk_coro_state(void);
/* Start the task that runs the Coro (on the loop's thread); 0 or -1. */
int idk_coro_start(IdkCoro *co);
/* The stepping function of the Coro (asyncoro_driver.c). */
int idk_coro_step(PyObject *it, PyObject *value, PyObject *exc, PyObject **out);
/* Its mailbox, made now if it has none; NULL with an error set. */
IdkCoroMail *idk_coro_mail(IdkCoro *co);
/* The _wait attribute: the pending receive's or suspend's wait. */
PyObject *idk_coro_get_wait(IdkCoro *co, void *closure);
int idk_coro_set_wait(IdkCoro *co, PyObject *value, void *closure);
/* Close its generators, innermost first; 0 or -1 with an error set. */
int idk_coro_close_gens(IdkCoro *co);
/* Drop the generators (back in the GC first if hidden). */
void idk_coro_clear_gens(IdkCoro *co);
/* The generators ended with value (borrowed, or NULL) or exc (borrowed, or
 * NULL): the task's step result, as idk_iter_send's.  *swapped gets a new
 * generator when a hot swap was accepted: stepping goes on with it. */
int idk_coro_ended(IdkCoro *co, PyObject *value, PyObject *exc, PyObject **out,
                   PyObject **swapped);
/* The methods of coro_wait.c, for the type's method table (coro.c's and
 * these: at most IDK_CORO_NMETHODS in all). */
extern PyMethodDef idk_coro_wait_methods[];
#define IDK_CORO_NMETHODS 16

#endif /* IDK_CORO_H */
