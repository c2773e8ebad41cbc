/* core.h: the object structs and cross-file functions of idiokit._core.
 *
 * The model (see docs/internals.rst):
 *  - Every stream is an IdkStream with a kind (vtable) and a write-once result
 *    (returned args, or raised exc) with a list of C-level listeners.
 *  - A stream's input is three channels: messages, signals and broken.  A
 *    channel holds a FIFO of pushed messages and a set of parent channels it
 *    inherits from (a yielded stream inherits its yielder's channels; a pipe
 *    stage inherits the pipe's channels).  A leaf that waits pulls the oldest
 *    live message reachable from its channels; a push notifies the children.
 *  - A stream's output pushes each offered message into its destinations:
 *    channels (pipe readers: multicast) and outputs (the output of a stream
 *    that is yielding this one: forwarding).
 *  - Tasks run from the loop's ready queue; a step never happens re-entrantly.
 * Nothing on these paths runs Python code except the user's generators and
 * the user's functions given to map().
 */
#ifndef IDK_CORE_H
#define IDK_CORE_H

#include "compat.h"
#include <pthread.h>
#include <ev.h>

/* Kept out of line: a rare path that must not weigh on its caller's code. */
#define IDK_NOINLINE __attribute__((noinline))

typedef struct IdkStream IdkStream;
typedef struct IdkKind IdkKind;
typedef struct IdkMsg IdkMsg;
typedef struct IdkChan IdkChan;
typedef struct IdkOutput IdkOutput;
typedef struct IdkLoop IdkLoop;

enum { IDK_MSGS = 0, IDK_SIGS = 1, IDK_BROKEN = 2, IDK_NCHANS = 3 };
enum { IDK_PENDING = 0, IDK_RETURNED = 1, IDK_RAISED = 2 };
enum { IDK_OFFERED = 0, IDK_CONSUMED = 1, IDK_WITHDRAWN = 2 };

/* ---- messages ------------------------------------------------------------ */

struct IdkMsg {
    Py_ssize_t m_refs;
    unsigned long long m_seq;   /* global order of offering: fan-in is FIFO */
    int m_state;                /* IDK_OFFERED / CONSUMED / WITHDRAWN */
    int m_throw;                /* payload is an exc, not an args tuple */
    PyObject *m_payload;        /* owned */
    IdkStream *m_sender;        /* borrowed; told when consumed, or NULL */
};

IdkMsg *idk_msg_new(int is_throw, PyObject *payload, IdkStream *sender);
void idk_msg_decref(IdkMsg *m);
static inline void idk_msg_incref(IdkMsg *m) { m->m_refs++; }
/* Mark consumed and tell the sender; the caller keeps its reference. */
void idk_msg_consume(IdkMsg *m);
void idk_msg_withdraw(IdkMsg *m);

/* ---- small vectors ------------------------------------------------------- */

/* Items with one inline slot: most channels have at most one parent and one
 * child, most outputs one destination.  Kept as three fields: the slot (the
 * item itself while the capacity is 1, else the array), the count and the
 * capacity's log2 (0: inline); channels pack two such sets (IdkChan), the
 * other users wrap one in an IdkVec. */
static inline void **idk_items(void **slot, unsigned char lgcap)
{
    return lgcap == 0 ? slot : (void **)*slot;
}
int idk_items_grow(void **slot, unsigned char *lgcap);
static inline int idk_items_push(void **slot, int *n, unsigned char *lgcap, void *item)
{
    if (*n == 1 << *lgcap && idk_items_grow(slot, lgcap) < 0)
        return -1;
    idk_items(slot, *lgcap)[(*n)++] = item;
    return 0;
}
int idk_items_remove(void **slot, int *n, unsigned char lgcap, void *item);  /* 1 if removed */
static inline void idk_items_free(void **slot, int *n, unsigned char *lgcap)
{
    if (*lgcap != 0)
        PyMem_Free(*slot);
    *slot = NULL;
    *n = 0;
    *lgcap = 0;
}

typedef struct {
    void *v_slot;
    int n;
    unsigned char v_lgcap;
} IdkVec;

static inline void **idk_vec_data(IdkVec *v)
{
    return idk_items(&v->v_slot, v->v_lgcap);
}

static inline void idk_vec_init(IdkVec *v)
{
    v->v_slot = NULL;
    v->n = 0;
    v->v_lgcap = 0;
}

static inline int idk_vec_push(IdkVec *v, void *item)
{
    return idk_items_push(&v->v_slot, &v->n, &v->v_lgcap, item);
}

static inline int idk_vec_remove(IdkVec *v, void *item)
{
    return idk_items_remove(&v->v_slot, &v->n, v->v_lgcap, item);
}

static inline void idk_vec_free(IdkVec *v)
{
    idk_items_free(&v->v_slot, &v->n, &v->v_lgcap);
}

/* A copy of a vector's items to walk while callbacks change it; on the
 * stack when small. */
#define IDK_SNAPSHOT_INLINE 8
typedef struct {
    int n;
    void **items;
    void *inl[IDK_SNAPSHOT_INLINE];
} IdkVecSnapshot;

/* -1: out of memory, empty */
int idk_items_snapshot(IdkVecSnapshot *s, void **slot, int n, unsigned char lgcap);
static inline int idk_vec_snapshot(IdkVecSnapshot *s, IdkVec *v)
{
    return idk_items_snapshot(s, &v->v_slot, v->n, v->v_lgcap);
}
static inline void idk_vec_snapshot_free(IdkVecSnapshot *s)
{
    if (s->items != s->inl)
        PyMem_Free(s->items);
}

/* ---- channels -------------------------------------------------------------- */

typedef struct IdkQNode IdkQNode;

/* 40 bytes: its two item sets (parents, children) are packed field by field. */
struct IdkChan {
    IdkQNode *c_tail;     /* circular FIFO: c_tail->next is the head */
    void *c_par;          /* items IdkChan*: a ref to each parent's owner is held */
    void *c_chi;          /* items IdkChan*: borrowed; children unlink themselves */
    int c_npar, c_nchi;
    unsigned char c_lgpar, c_lgchi;
    unsigned char c_kind;  /* IDK_MSGS, IDK_SIGS or IDK_BROKEN: its index */
    unsigned char c_watch; /* owner's on_input is called on new items */
};

static inline IdkChan **idk_chan_parents(IdkChan *c)
{
    return (IdkChan **)idk_items(&c->c_par, c->c_lgpar);
}

static inline IdkChan **idk_chan_children(IdkChan *c)
{
    return (IdkChan **)idk_items(&c->c_chi, c->c_lgchi);
}

/* Channels are stored as `IdkChan in[IDK_NCHANS]` right after the IdkStream
 * header of their owner (IdkInStream, and the pipe), so the owner is found
 * from the channel's address and index. */
#define IDK_CHAN_OWNER(c) \
    ((IdkStream *)((char *)((c) - (c)->c_kind) - sizeof(IdkStream)))

void idk_chan_init(IdkChan *c, IdkStream *owner, int kind);
void idk_chan_push(IdkChan *c, IdkMsg *m);             /* takes a new ref */
/* Tell whoever waits below c to look again (after linking new parents). */
void idk_chan_poke(IdkChan *c);
/* Signals first, then broken, then messages. */
extern const int idk_chan_priority[IDK_NCHANS];
int idk_chan_link(IdkChan *child, IdkChan *parent);
void idk_chan_unlink(IdkChan *child, IdkChan *parent);
void idk_chan_unlink_all(IdkChan *c);                  /* parents & children */
void idk_chan_clear_slow(IdkChan *c);
/* Also drops the queue.  Most channels are empty and unlinked (no queue,
 * no links, inline vectors): that is checked inline, in one test. */
static inline void idk_chan_clear(IdkChan *c)
{
    c->c_watch = 0;
    if (((uintptr_t)c->c_tail | (unsigned)c->c_npar | (unsigned)c->c_nchi | c->c_lgpar
            | c->c_lgchi) != 0)
        idk_chan_clear_slow(c);
}
IdkMsg *idk_chan_peek_slow(IdkChan *c, IdkChan **holder);
/* The oldest live message reachable from c; *holder gets the channel whose
 * queue holds it.  Borrowed, or NULL. */
/* Whether c may hold an item: a queued one, or one of a channel it links to
 * (the cheap test before a peek). */
static inline int idk_chan_may_hold(const IdkChan *c)
{
    return c->c_tail != NULL || c->c_npar != 0;
}

static inline IdkMsg *idk_chan_peek(IdkChan *c, IdkChan **holder)
{
    if (!idk_chan_may_hold(c))
        return NULL;
    return idk_chan_peek_slow(c, holder);
}
IdkMsg *idk_chan_take(IdkChan *holder);                /* new ref */
int idk_chan_traverse(IdkChan *c, visitproc visit, void *arg);

/* ---- outputs --------------------------------------------------------------- */

struct IdkOutput {
    IdkStream *o_owner;   /* borrowed */
    IdkVec o_dests;       /* IdkChan* or IdkOutput* (tagged): owner refs held */
    IdkVec o_pending;     /* IdkMsg*, owned: offered and maybe unconsumed */
};

void idk_output_init(IdkOutput *o, IdkStream *owner);
void idk_output_offer(IdkOutput *o, IdkMsg *m);
int idk_output_add_chan(IdkOutput *o, IdkChan *c);
void idk_output_remove_chan(IdkOutput *o, IdkChan *c);
int idk_output_add_forward(IdkOutput *o, IdkOutput *to);
void idk_output_remove_forward(IdkOutput *o, IdkOutput *to);
void idk_output_clear(IdkOutput *o);

/* ---- streams --------------------------------------------------------------- */

typedef void (*IdkListenFn)(IdkStream *done, PyObject *ctx);

typedef struct {
    IdkListenFn fn;
    PyObject *ctx;        /* owned */
} IdkListener;

struct IdkKind {
    const char *name;
    /* Connect input channels (pipe_left/pipe_right of the original); any of
     * the three may be NULL. */
    int (*attach)(IdkStream *s, IdkChan *msgs, IdkChan *sigs, IdkChan *broken);
    void (*detach)(IdkStream *s, IdkChan *msgs, IdkChan *sigs, IdkChan *broken);
    IdkOutput *(*output)(IdkStream *s);           /* NULL: no output */
    IdkChan *(*input)(IdkStream *s, int which);   /* where send/throw push */
    void (*on_input)(IdkStream *s, int which);    /* -1: check all */
    void (*on_consumed)(IdkStream *s, IdkMsg *m);
    /* 1: laid out as an IdkLeaf, so that the one task waiting on it may
     * host it (see IdkLeaf below); left out (0) in the other kinds. */
    unsigned char hostable;
};

struct IdkStream {
    PyObject_HEAD
    const IdkKind *kind;
    unsigned char r_state;
    unsigned char r_observed;  /* someone waits on or read the result */
    unsigned char r_untracked; /* a GC type kept out of the GC while pending */
    unsigned char r_single;    /* RETURNED one value: r_value is it, not (it,) */
    unsigned char r_shared;    /* an Event its waiters never fail: a waiter thrown
                                  into leaves it (task.c; asyncoro's Event) */
    PyObject *r_value;     /* args tuple (RETURNED) or exc (RAISED); see r_single */
    int r_nlisteners, r_caplisteners;
    IdkListener *r_listeners;
    IdkListener r_inl[1];
    PyObject *weakreflist;
};

/* A stream with its own three input channels (tasks, leaves, forks). */
typedef struct {
    IdkStream base;
    IdkChan in[IDK_NCHANS];
} IdkInStream;

typedef struct {
    IdkStream base;
    IdkStream *p_target;   /* owned */
} IdkProxy;

/* A one-shot timer embedded in an object; fired timers run in deadline
 * order, FIFO among equal deadlines. */
typedef struct IdkTimer {
    ev_timer tm_w;
    double tm_deadline;
    unsigned long long tm_seq;
    PyObject *tm_owner;                 /* borrowed; a ref is held while active */
    void (*tm_fire)(PyObject *owner);
    int tm_active;
} IdkTimer;

void idk_timer_init(IdkTimer *tm, PyObject *owner, void (*fire)(PyObject *));
int idk_timer_start(IdkTimer *tm, double delay);
void idk_timer_stop(IdkTimer *tm);

extern PyTypeObject IdkStream_Type;
/* Our own kinds derive from Stream within three steps (Sleep from Event from
 * next): walk that far up the bases first, the full subtype check only for
 * the rest. */
static inline int IdkStream_Check(PyObject *o)
{
    PyTypeObject *t = Py_TYPE(o);
    int up;
    for (up = 0; up < 4 && t != NULL; up++, t = t->tp_base) {
        if (t == &IdkStream_Type)
            return 1;
    }
    return PyObject_TypeCheck(o, &IdkStream_Type);
}
extern const IdkKind idk_proxy_kind;

/* Follow proxies to the stream that owns the protocol; borrowed. */
IdkStream *idk_stream_resolve_slow(IdkStream *s);
static inline IdkStream *idk_stream_resolve(IdkStream *s)
{
    return s->kind != &idk_proxy_kind ? s : idk_stream_resolve_slow(s);
}
void idk_stream_init(IdkStream *s, const IdkKind *kind);
/* Set the result once; runs listeners.  Steals nothing.  0 if already set. */
int idk_stream_finish(IdkStream *s, int state, PyObject *value);
int idk_stream_return(IdkStream *s, PyObject *args);
/* Return one value without making the (value,) tuple: r_value holds the value
 * and r_single is set.  Whoever reads r_value of a RETURNED stream either
 * handles r_single or asks idk_stream_value() for the args tuple. */
int idk_stream_finish1(IdkStream *s, PyObject *value);
/* The args tuple (RETURNED) or the exc (RAISED); new reference or NULL. */
PyObject *idk_stream_value(IdkStream *s);
/* Finish s with done's result, in the same form.  0 if s already had one. */
int idk_stream_finish_like(IdkStream *s, IdkStream *done);
int idk_stream_raise(IdkStream *s, PyObject *exc);
/* Listen for the result (called at once, synchronously, if already set). */
int idk_stream_listen(IdkStream *s, IdkListenFn fn, PyObject *ctx);
void idk_stream_unlisten(IdkStream *s, IdkListenFn fn, PyObject *ctx);
int idk_stream_attach(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk);
void idk_stream_detach(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk);
IdkOutput *idk_stream_output(IdkStream *s);
IdkChan *idk_stream_input(IdkStream *s, int which);
void idk_stream_base_clear(IdkStream *s);
int idk_stream_base_traverse(IdkStream *s, visitproc visit, void *arg);
void idk_stream_base_dealloc(IdkStream *s);
void idk_stream_base_release(IdkStream *s);   /* all but the free */
int idk_stream_types_ready(void);

/* Helpers for kinds with their own channels (IdkInStream). */
void idk_in_init(IdkInStream *s);
int idk_in_attach(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk);
void idk_in_detach(IdkStream *s, IdkChan *m, IdkChan *sig, IdkChan *brk);
IdkChan *idk_in_input(IdkStream *s, int which);
static inline void idk_in_clear(IdkInStream *s)
{
    idk_chan_clear(&s->in[0]);
    idk_chan_clear(&s->in[1]);
    idk_chan_clear(&s->in[2]);
}
/* Stop being told of new items: first step of finishing, so that nothing
 * re-entrant takes a second item. */
void idk_in_unwatch(IdkInStream *s);
/* Last steps of finishing: unlink the channels, drop what they hold, set the
 * result (runs listeners).  Callers release their own resources between
 * idk_in_unwatch and this. */
void idk_in_finish(IdkInStream *s, int state, PyObject *value);
int idk_in_traverse(IdkInStream *s, visitproc visit, void *arg);
/* Take the first item from own channels in priority order (signals, broken,
 * then messages if `with_msgs`); new ref or NULL. */
IdkMsg *idk_in_take(IdkInStream *s, int with_msgs, int which);

/* The peel rule: () -> None, (x,) -> x, else the tuple.  New reference. */
PyObject *idk_peel(PyObject *args);
/* An exc for `cls(*args)`; new reference or NULL. */
PyObject *idk_exc_new(PyObject *cls, PyObject *args);
/* cls(*args) for the args a stream returned; new reference or NULL. */
PyObject *idk_exc_from_returned(PyObject *cls, IdkStream *done);
/* Normalize what `throw(*args)` accepts into an exc; new ref or NULL. */
PyObject *idk_exc_from_throw_args(PyObject *args);

/* ---- kinds ----------------------------------------------------------------- */

extern PyTypeObject IdkTask_Type, IdkNext_Type, IdkEvent_Type, IdkSend_Type,
    IdkPipe_Type, IdkFork_Type, IdkProxy_Type, IdkSleep_Type, IdkDelivery_Type,
    IdkMapIter_Type, IdkAwait_Type, IdkLoop_Type, IdkTimeout_Type;

PyObject *idk_task_new(PyObject *gen);
/* A C iterator that a task steps directly (map's, the asyncoro driver's):
 * its struct starts with an IdkStepper, whose st_step sends value, or throws
 * exc (an idk exc), both borrowed and exactly one of them set; the result and
 * *out are as idk_iter_send's. */
typedef int (*IdkStepFn)(PyObject *it, PyObject *value, PyObject *exc, PyObject **out);
typedef struct {
    PyObject_HEAD
    IdkStepFn st_step;
} IdkStepper;
PyObject *idk_task_new_stepped(IdkStepper *it);
PyObject *idk_pipe_new(IdkStream *left, IdkStream *right);
PyObject *idk_fork_new(IdkStream *target);
PyObject *idk_next_new(void);
PyObject *idk_send_new(PyObject *args);        /* send(*args): args is the message */
PyObject *idk_event_new(void);
/* shared_event(): an Event that a waiter's signal never fails (task.c). */
PyObject *idk_shared_event_func(PyObject *self, PyObject *noargs);
PyObject *idk_delivery_new(IdkStream *target, int which, int is_throw,
                           PyObject *payload);
int idk_event_complete(IdkStream *ev, int state, PyObject *value);

/* ---- the loop ---------------------------------------------------------------- */

typedef struct IdkTask IdkTask;
typedef void (*IdkTurnFn)(IdkStream *leaf);

/* Memory of short-lived objects kept for reuse, one freelist per kind, on
 * the loop (so no mutable state lives in file statics).  Without a loop yet,
 * or in sanitizer builds (IDK_FREELISTS 0), memory is freed as usual. */
enum { IDK_FL_MSG, IDK_FL_QNODE, IDK_FL_NEXT, IDK_FL_SEND, IDK_FL_AWAIT, IDK_FL_OP,
       IDK_NFREELISTS };
#define IDK_FREELIST_CAP 256

typedef struct {
    void *items[IDK_FREELIST_CAP];
    int n;
} IdkFreelist;

/* A subsystem that keeps state on the loop, or acts after every poll or in
 * a forked child, attaches a client: its own struct, starting with an
 * IdkLoopClient, made zeroed on first use and freed with the loop.  The loop
 * knows its clients only through this interface (and libev's watchers). */
typedef struct IdkLoopClient IdkLoopClient;
typedef struct {
    const char *name;
    size_t size;                                /* of the client's struct */
    void (*init)(IdkLoopClient *c);             /* after zeroing it, or NULL */
    void (*after_poll)(IdkLoopClient *c);       /* after each poll, or NULL */
    void (*after_fork)(IdkLoopClient *c);       /* in a forked child before its first poll */
    void (*release)(IdkLoopClient *c);          /* with the loop: free what it holds */
} IdkLoopClientKind;

struct IdkLoopClient {
    const IdkLoopClientKind *lc_kind;
    IdkLoopClient *lc_next;
};

struct IdkLoop {
    PyObject_HEAD
    struct ev_loop *l_ev;
    IdkTask **l_ready;               /* ring of tasks, one ref each */
    size_t l_rhead, l_rcount, l_rcap;   /* l_rcap: a power of two */
    ev_async l_async;                /* wakes the loop for post() */
    ev_io l_sigwake;                 /* the read end of the signal wake-up pipe */
    int l_sigfd[2];
    PyObject *l_posted;              /* list of (callable, arg) from threads */
    pthread_t l_thread;              /* thread running the loop, if running */
    int l_poll_nowait;               /* the poll under way does not block */
    int l_running;
    unsigned int l_steps_since_poll;
    size_t l_batch_left;             /* steps left in the running batch */
    PyThreadState *l_tstate;         /* saved while the poll runs unlocked */
    int l_unlocked;                  /* the poll releases or released the GIL */
    PyObject *l_error;               /* an exc to raise out of run() */
    int l_syserr;                    /* errno of a failed backend syscall, or 0 */
    const char *l_syserr_what;       /* libev's words for it (a static string) */
    int l_in_poll;                   /* inside ev_run (see loop_on_syserr) */
    IdkTask *l_task;                 /* the task being stepped (borrowed): current_task() */
    IdkFreelist l_free[IDK_NFREELISTS];
    IdkLoopClient *l_clients;        /* the subsystems' state (idk_loop_client) */
    int l_fork_pending;              /* forked: the child's first poll tidies up first */
    unsigned long long l_seq;        /* last message or timer sequence number */
};

extern IdkLoop *idk_loop;            /* the process's loop */

/* Memory from freelist `which` (NULL: none kept). */
static inline void *idk_freelist_pop(int which)
{
    IdkFreelist *fl = idk_loop != NULL ? &idk_loop->l_free[which] : NULL;
    return fl != NULL && fl->n > 0 ? fl->items[--fl->n] : NULL;
}

/* Keep `p` for reuse: 1 if kept, 0 if the caller frees it. */
static inline int idk_freelist_push(int which, void *p)
{
    IdkFreelist *fl = idk_loop != NULL ? &idk_loop->l_free[which] : NULL;
    if (!IDK_FREELISTS || fl == NULL || fl->n >= IDK_FREELIST_CAP)
        return 0;
    fl->items[fl->n++] = p;
    return 1;
}

IdkLoop *idk_loop_get(void);         /* borrowed; creates on first use */
/* The loop's client of `kind`: made on first use when `create` (NULL with an
 * exception set if that fails), else NULL if there is none. */
IdkLoopClient *idk_loop_client(const IdkLoopClientKind *kind, int create);
int idk_loop_schedule(IdkTask *t);   /* append to the ready queue */
int idk_loop_on_thread(void);        /* called from the loop's thread? */
int idk_loop_post(PyObject *call);      /* (callable, arg); thread-safe */
int idk_loop_post_call(PyObject *func, PyObject *arg);   /* func(arg) */
void idk_loop_report(PyObject *exc);    /* log an error from a callback */
void idk_loop_report_current(void);     /* the same for the error that is set */
unsigned long long idk_next_seq(void);

/* ---- tasks ------------------------------------------------------------------ */

enum { IDK_GEN_ITER = 0, IDK_GEN_CORO = 1, IDK_GEN_STEPPER = 2 };

struct IdkTask {
    IdkInStream base;
    PyObject *t_gen;          /* generator, coroutine or iterator */
    IdkStream *t_current;     /* what it yields now (owned), or NULL */
    IdkOutput *t_out;         /* allocated when first needed, or NULL */
    IdkOutput *t_fwd;         /* the child's output forwarded into t_out; a
                                 ref to its owner is held */
    PyObject *t_resume;       /* owned: args tuple or exc */
    unsigned char t_gen_kind;     /* IDK_GEN_ITER, IDK_GEN_CORO or IDK_GEN_STEPPER */
    unsigned char t_scheduled;
    unsigned char t_resume_throw; /* resume with an exc rather than args */
    unsigned char t_resume_single; /* resume with t_resume itself, not peeled */
    unsigned char t_in_turn;  /* t_turn runs: the child's result resumes this step */
    unsigned char t_live;     /* unfinished: holds a reference to itself */
    unsigned char t_gc_hidden;    /* unfinished: the task is out of the GC */
    unsigned char t_gen_hidden;   /* unfinished: t_gen is out of the GC */
    IdkTurnFn t_turn;         /* set by idk_task_wake, or NULL */
};

/* Wake the task waiting on `leaf` (t->t_current) to act in its turn: the
 * task is scheduled, and its next step calls fn(leaf) before anything else;
 * if the leaf finishes there, the task resumes with its result in the same
 * turn, else it goes on waiting.  0, or -1 with an error set. */
int idk_task_wake(IdkTask *t, IdkTurnFn fn);

void idk_task_step(IdkTask *t);
PyObject *idk_sleep_new(double delay, PyObject *exc);
PyObject *idk_sleep_turn_new(void);

/* A leaf (next, send, Event, sleep, a socket operation) waited on by a single task reads that
 * task's channels directly ("hosting") instead of linking its own channels
 * to them: the task watches its channels and hands notifications to it.
 * The host pointer sits right after the IdkInStream header of those kinds. */
typedef struct {
    IdkInStream base;
    IdkTask *l_host;      /* borrowed: the task hosting it holds a ref to it */
} IdkLeaf;

int idk_leaf_host(IdkStream *leaf, IdkTask *t);      /* 1 if now hosted */
IdkMsg *idk_leaf_take(IdkInStream *leaf, int with_msgs);   /* own or host's channels */
void idk_leaf_unwatch(IdkInStream *leaf);            /* stop watching both */
int idk_leaf_hosted_by(IdkStream *leaf, IdkTask *t);
void idk_leaf_unhost(IdkStream *leaf, IdkTask *t);

/* ---- timers, signals --------------------------------------------------------- */

/* ---- timeouts ------------------------------------------------------------------ */

/* The one reading of a timeout (timeout.c): *out is -1 for None (forever),
 * else seconds >= 0 (a negative number is 0); NaN is a ValueError, a
 * non-number a TypeError.  0, or -1 with the error set. */
int idk_parse_timeout(PyObject *obj, double *out);

/* ---- exceptions and module state ------------------------------------------ */

extern PyObject *IdkExc_BrokenPipe;
extern PyObject *IdkExc_EndOfInput;
extern PyObject *idk_logger;          /* logging.getLogger("idiokit") or NULL */

/* ---- debug counters ------------------------------------------------------------ */

typedef struct {
    Py_ssize_t streams, tasks, watchers, msgs, timers;
} IdkStats;
extern IdkStats idk_stats;
PyObject *idk_debug_stats(PyObject *self, PyObject *unused);

#endif /* IDK_CORE_H */
