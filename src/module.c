/* module.c: the idiokit._core module: type registration, the exception
 * classes the core raises (BrokenPipe, EndOfInput), the module functions, and
 * the debug counters used by the tests' leak guard.
 *
 * Module state is immutable after init (types, exception classes, the
 * logger); everything mutable lives on the loop.
 */
#include "core.h"

PyObject *IdkExc_BrokenPipe = NULL;
PyObject *IdkExc_EndOfInput = NULL;
PyObject *idk_logger = NULL;
IdkStats idk_stats = {0, 0, 0, 0, 0};

int idk_task_type_ready(void);
int idk_next_send_types_ready(void);
int idk_event_type_ready(void);
int idk_delivery_type_ready(void);
int idk_await_type_ready(void);
int idk_pipe_types_ready(void);
int idk_timer_types_ready(void);
int idk_mapiter_type_ready(void);
int idk_coro_type_ready(void);
PyObject *idk_coro_current_func(PyObject *self, PyObject *unused);
PyObject *idk_coro_live_func(PyObject *self, PyObject *unused);
PyObject *idk_coro_all_live_func(PyObject *self, PyObject *unused);
PyObject *idk_coro_scheduler_func(PyObject *self, PyObject *flag);
extern PyTypeObject IdkCoro_Type;
int idk_loop_type_ready(void);
int idk_stream_function_type_ready(void);
PyObject *idk_stream_function(PyObject *self, PyObject *func);
PyObject *idk_loop_run_func(PyObject *self, PyObject *arg);
PyObject *idk_loop_post_func(PyObject *self, PyObject *args);
PyObject *idk_loop_wakeup_fd_func(PyObject *self, PyObject *unused);
PyObject *idk_timeout_arm(PyObject *self, PyObject *args);
PyObject *idk_sleep_func(PyObject *self, PyObject *args);
PyObject *idk_map_func(PyObject *self, PyObject *args, PyObject *kw);

/* The subsystems in their own files: each adds its types, functions and
 * exception classes to the module and returns 0, or -1 with an exception
 * set. */
int idk_socket_module_init(PyObject *m);
int idk_dns_module_init(PyObject *m);
int idk_group_module_init(PyObject *m);
int idk_http_module_init(PyObject *m);
int idk_http_head_init(PyObject *m);
int idk_xml_tree_init(PyObject *m);

static int module_add_subsystems(PyObject *m)
{
    if (idk_socket_module_init(m) < 0 || idk_dns_module_init(m) < 0)
        return -1;
    if (idk_group_module_init(m) < 0 || idk_http_module_init(m) < 0
            || idk_http_head_init(m) < 0 || idk_xml_tree_init(m) < 0)
        return -1;
    return 0;
}

PyObject *idk_debug_stats(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return Py_BuildValue("{snsnsnsnsn}", "streams", idk_stats.streams,
                         "tasks", idk_stats.tasks, "watchers", idk_stats.watchers,
                         "msgs", idk_stats.msgs, "timers", idk_stats.timers);
}

/* task(gen): run a generator, coroutine or iterator as a stream. */
static PyObject *mod_task(PyObject *self, PyObject *gen)
{
    (void)self;
    if (Py_TYPE(gen)->tp_iternext == NULL && !idk_is_coroutine(gen)) {
        idk_err_repr(PyExc_TypeError, "expected a generator, got ", gen, "");
        return NULL;
    }
    return idk_task_new(gen);
}

/* send(*args): the message is the args tuple. */
static PyObject *send_impl(PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *tuple = PyTuple_New(nargs), *r;
    Py_ssize_t i;
    if (tuple == NULL)
        return NULL;
    for (i = 0; i < nargs; i++)
        PyTuple_SET_ITEM(tuple, i, idk_newref(args[i]));
    r = idk_send_new(tuple);
    Py_DECREF(tuple);
    return r;
}

IDK_POSITIONAL_FUNC(mod_send, send_impl)

/* next(): a function, as in the original (the type is _core.Next). */
static PyObject *next_impl(PyObject *const *args, Py_ssize_t nargs)
{
    (void)args;
    if (nargs != 0) {
        PyErr_SetString(PyExc_TypeError, "next() takes no arguments");
        return NULL;
    }
    return idk_next_new();
}

IDK_POSITIONAL_FUNC(mod_next, next_impl)

/* pipe(*streams): a balanced tree of pipe pairs, as the original. */
static PyObject *pipe_range(PyObject *args, Py_ssize_t lo, Py_ssize_t hi)
{
    PyObject *left, *right, *r;
    Py_ssize_t cut;
    if (hi - lo == 1) {
        PyObject *s = PyTuple_GET_ITEM(args, lo);
        if (!IdkStream_Check(s)) {
            idk_err_repr(PyExc_TypeError, "expected a stream, got ", s, "");
            return NULL;
        }
        return idk_newref(s);
    }
    cut = lo + 1 + (hi - lo - 1) / 2;
    if ((left = pipe_range(args, lo, cut)) == NULL)
        return NULL;
    if ((right = pipe_range(args, cut, hi)) == NULL) {
        Py_DECREF(left);
        return NULL;
    }
    r = idk_pipe_new((IdkStream *)left, (IdkStream *)right);
    Py_DECREF(left);
    Py_DECREF(right);
    return r;
}

static PyObject *mod_pipe(PyObject *self, PyObject *args)
{
    (void)self;
    if (PyTuple_GET_SIZE(args) == 0) {
        PyErr_SetString(PyExc_TypeError, "pipe() needs at least one stream");
        return NULL;
    }
    return pipe_range(args, 0, PyTuple_GET_SIZE(args));
}

/* reraise(exc): raise a stored exception with its traceback. */
static PyObject *mod_reraise(PyObject *self, PyObject *exc)
{
    (void)self;
    if (!idk_exc_check(exc)) {
        PyErr_SetString(PyExc_TypeError, "reraise() takes a stored exception");
        return NULL;
    }
    idk_exc_restore(exc);
    return NULL;
}

static PyObject *mod_set_logger(PyObject *self, PyObject *logger)
{
    (void)self;
    Py_XSETREF(idk_logger, logger == Py_None ? NULL : idk_newref(logger));
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"run", idk_loop_run_func, METH_O, "run(stream): run the loop until the stream ends."},
    {"post", idk_loop_post_func, METH_VARARGS,
     "post(func, arg): call func(arg) on the loop's thread (thread-safe)."},
    {"wakeup_fd", idk_loop_wakeup_fd_func, METH_NOARGS,
     "The fd to give to signal.set_wakeup_fd."},
    {"task", mod_task, METH_O, "task(gen): run a generator or coroutine as a stream."},
    {"stream_function", idk_stream_function, METH_O,
     "stream_function(func): a callable that runs func(...)'s generator as a stream."},
    {"send", IDK_POSITIONAL_CAST(mod_send), IDK_POSITIONAL_FLAGS,
     "send(*args): a stream that offers one message on the current stream's output and ends "
     "when a reader takes it."},
    {"next", IDK_POSITIONAL_CAST(mod_next), IDK_POSITIONAL_FLAGS,
     "next(): a stream that takes the next message from the input."},
    {"pipe", mod_pipe, METH_VARARGS,
     "pipe(*streams): the streams joined output to input, as a | b | c; the pipe's "
     "result is the last one's."},
    {"sleep", idk_sleep_func, METH_VARARGS,
     "sleep(delay[, exc]): a stream (an Event) that ends after delay seconds of the "
     "monotonic clock, or raises exc then."},
    {"timeout", idk_timeout_arm, METH_VARARGS, "timeout(delay, stream, exc) -> stream"},
    {"map", (PyCFunction)(void (*)(void))idk_map_func, METH_VARARGS | METH_KEYWORDS,
     "map(func, *args, **kw): a flat-map stream; func None consumes."},
    {"coro_current", idk_coro_current_func, METH_NOARGS,
     "The asyncoro Coro whose generator is running, or None."},
    {"coro_live", idk_coro_live_func, METH_NOARGS,
     "How many asyncoro Coros that are not daemons have not ended."},
    {"coro_all_live", idk_coro_all_live_func, METH_NOARGS,
     "A list of the asyncoro Coros alive."},
    {"coro_scheduler", idk_coro_scheduler_func, METH_O,
     "coro_scheduler(flag): whether an asyncoro scheduler thread runs the loop."},
    {"shared_event", idk_shared_event_func, METH_NOARGS,
     "shared_event(): an Event that no waiter fails: a waiter thrown into leaves it."},
    {"reraise", mod_reraise, METH_O, "Raise a stored exception."},
    {"set_logger", mod_set_logger, METH_O, "The logger for unobserved failures."},
    {"_debug_stats", idk_debug_stats, METH_NOARGS, "Live object counters."},
    {NULL, NULL, 0, NULL}
};

static int module_add_types(PyObject *m)
{
    if (idk_stream_types_ready() < 0 || idk_task_type_ready() < 0
            || idk_next_send_types_ready() < 0 || idk_event_type_ready() < 0
            || idk_delivery_type_ready() < 0 || idk_await_type_ready() < 0
            || idk_pipe_types_ready() < 0
            || idk_timer_types_ready() < 0 || idk_mapiter_type_ready() < 0
            || idk_coro_type_ready() < 0
            || idk_loop_type_ready() < 0 || idk_stream_function_type_ready() < 0)
        return -1;
    Py_INCREF(&IdkStream_Type);
    Py_INCREF(&IdkNext_Type);
    Py_INCREF(&IdkEvent_Type);
    Py_INCREF(&IdkProxy_Type);
    Py_INCREF(&IdkTask_Type);
    Py_INCREF(&IdkCoro_Type);
    if (PyModule_AddObject(m, "Stream", (PyObject *)&IdkStream_Type) < 0
            || PyModule_AddObject(m, "Next", (PyObject *)&IdkNext_Type) < 0
            || PyModule_AddObject(m, "Event", (PyObject *)&IdkEvent_Type) < 0
            || PyModule_AddObject(m, "Proxy", (PyObject *)&IdkProxy_Type) < 0
            || PyModule_AddObject(m, "Task", (PyObject *)&IdkTask_Type) < 0
            || PyModule_AddObject(m, "Coro", (PyObject *)&IdkCoro_Type) < 0)
        return -1;
    return 0;
}

#define BROKEN_PIPE_DOC \
    "Raised in a stream whose send (or pipe output) lost its reader: the\n" \
    "reader ended with result R first; args are R."
#define END_OF_INPUT_DOC \
    "The end of input at idiokit.next() in an async def stream (a generator\n" \
    "stream gets StopIteration); args are the upstream's result."

static int module_add_exceptions(PyObject *m)
{
    IdkExc_BrokenPipe = PyErr_NewExceptionWithDoc("idiokit.BrokenPipe", BROKEN_PIPE_DOC,
                                                  PyExc_Exception, NULL);
    IdkExc_EndOfInput = PyErr_NewExceptionWithDoc("idiokit.EndOfInput", END_OF_INPUT_DOC,
                                                  PyExc_Exception, NULL);
    if (IdkExc_BrokenPipe == NULL || IdkExc_EndOfInput == NULL)
        return -1;
    Py_INCREF(IdkExc_BrokenPipe);
    Py_INCREF(IdkExc_EndOfInput);
    if (PyModule_AddObject(m, "BrokenPipe", IdkExc_BrokenPipe) < 0
            || PyModule_AddObject(m, "EndOfInput", IdkExc_EndOfInput) < 0)
        return -1;
    return 0;
}

#define MODULE_DOC "The C core of idiokit: loop, tasks, channels, timers."
IDK_MODULE_DEF(module_def, "idiokit._core", MODULE_DOC, module_methods);

IDK_MOD_INIT(_core)
{
    PyObject *m = IDK_MODULE_CREATE(module_def, "idiokit._core", MODULE_DOC, module_methods);
    if (m == NULL)
        IDK_MOD_RETURN(NULL);
    if (module_add_types(m) < 0 || module_add_exceptions(m) < 0
            || module_add_subsystems(m) < 0) {
        IDK_MODULE_DISCARD(m);
        IDK_MOD_RETURN(NULL);
    }
    IDK_MOD_RETURN(m);
}
