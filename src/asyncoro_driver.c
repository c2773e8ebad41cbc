/* asyncoro_driver.c: the iterator a task steps to run an asyncoro Coro's
 * generator, so that no Python code of ours runs per yield of a Coro.
 *
 * The Coro's generators form a stack: yielding a generator runs it as a
 * sub-coroutine, whose return value (or StopIteration value, also under PEP
 * 479) is sent back to its caller.  Yielding a stream (a socket operation,
 * sleep, receive, ...) hands it to the task, which waits for it and steps the
 * driver with its result.  Yielding anything else is a yield point: the
 * driver waits until the loop's next poll and sends the value back (a
 * throw() meanwhile, such as terminate(), is thrown in instead).  A stream's
 * error is thrown into the innermost generator after `translate` (the
 * asyncoro module's socket.timeout mapping); an error leaving a generator is
 * thrown into its caller.
 *
 * The outermost generator is held in cd_gen and the sub-generators in a list
 * made on the first sub-generator call, so a Coro that calls none costs no
 * list (an idle Coro is an object, a generator, this driver and its task).
 *
 * While a generator steps, the loop's CoroCurrent client (a loop client)
 * names the Coro (asyncoro's cur_coro()).  The task steps the driver through
 * the common stepping interface (IdkStepFn).
 * When the stack is empty the driver calls ended(value, exc, tb) once: value
 * is the outermost generator's return value if not None, else the last plain
 * yield (or non-None return of the outermost), as asyncoro reports it.
 */
#include "core.h"

/* The Coro whose generator is stepping, or NULL (borrowed). */
typedef struct {
    IdkLoopClient base;
    PyObject *current;
} CoroCurrent;

static const IdkLoopClientKind coro_current_kind = {
    "asyncoro", sizeof(CoroCurrent), NULL, NULL, NULL, NULL
};

typedef struct {
    IdkStepper base;         /* the task steps it with cd_step */
    CoroCurrent *cd_current; /* the loop's, for as long as the process runs */
    PyObject *cd_coro;       /* the Coro: the current coroutine while stepping */
    PyObject *cd_gen;        /* the outermost generator, NULL once it has ended */
    PyObject *cd_stack;      /* list of sub-generators, the innermost last, or NULL */
    PyObject *cd_last;       /* the outermost's last plain yield or return, or NULL */
    PyObject *cd_pending;    /* the plain value to send back after its turn, or NULL */
    PyObject *cd_ended;      /* ended(value, exc, tb), called once */
    PyObject *cd_translate;  /* translate(exception) -> the exception to throw */
} AsyncoroDriver;

/* ---- exceptions -------------------------------------------------------------------- */

/* The exc to throw into the coroutine for a stream's error exc (borrowed);
 * new reference.  If translating fails, that error is thrown instead. */
static PyObject *cd_translated(AsyncoroDriver *cd, PyObject *exc)
{
    PyObject *value = idk_exc_value(exc), *info, *mapped, *r;
    mapped = PyObject_CallFunctionObjArgs(cd->cd_translate, value, NULL);
    if (mapped == NULL)
        return idk_exc_fetch();
    if (mapped == value) {
        Py_DECREF(mapped);
        return idk_newref(exc);
    }
    info = idk_exc_info(exc);
    r = info != NULL ? idk_exc_with_tb(mapped, PyTuple_GET_ITEM(info, 2)) : idk_exc_fetch();
    Py_XDECREF(info);
    Py_DECREF(mapped);
    return r;
}

/* A generator ended with exc: its return value if exc is a StopIteration
 * (or PEP 479's RuntimeError caused by one), new reference; else NULL. */
static PyObject *cd_stop_value(PyObject *exc)
{
    PyObject *stop = idk_exc_value(exc), *args, *value;
    if (!PyErr_GivenExceptionMatches(stop, PyExc_StopIteration)
            && (stop = idk_exc_pep479_cause(stop)) == NULL)
        return NULL;
    args = idk_exc_args(stop);
    if (args == NULL || !PyTuple_Check(args) || PyTuple_GET_SIZE(args) == 0) {
        PyErr_Clear();
        value = idk_newref(Py_None);
    } else {
        value = idk_newref(PyTuple_GET_ITEM(args, 0));
    }
    Py_XDECREF(args);
    return value;
}

/* ---- the stack -------------------------------------------------------------------------- */

static Py_ssize_t cd_depth(AsyncoroDriver *cd)
{
    return (cd->cd_gen != NULL) + (cd->cd_stack != NULL ? PyList_GET_SIZE(cd->cd_stack) : 0);
}

/* The innermost generator (borrowed); the depth is above 0. */
static PyObject *cd_innermost(AsyncoroDriver *cd)
{
    Py_ssize_t n = cd->cd_stack != NULL ? PyList_GET_SIZE(cd->cd_stack) : 0;
    return n > 0 ? PyList_GET_ITEM(cd->cd_stack, n - 1) : cd->cd_gen;
}

/* Drop the innermost generator; -1 with an exception set on failure. */
static int cd_drop_innermost(AsyncoroDriver *cd)
{
    Py_ssize_t n = cd->cd_stack != NULL ? PyList_GET_SIZE(cd->cd_stack) : 0;
    if (n > 0)
        return PyList_SetSlice(cd->cd_stack, n - 1, n, NULL);
    Py_CLEAR(cd->cd_gen);
    return 0;
}

/* Step the innermost generator with value or exc (both borrowed). */
static int cd_step_top(AsyncoroDriver *cd, PyObject *value, PyObject *exc, PyObject **got)
{
    PyObject *gen = idk_newref(cd_innermost(cd));
    PyObject *saved = cd->cd_current->current;
    int r;
    cd->cd_current->current = cd->cd_coro;
    if (exc != NULL)
        r = idk_iter_throw(gen, exc, got);
    else
        r = idk_iter_send(gen, value, got);
    cd->cd_current->current = saved;
    Py_DECREF(gen);
    return r;
}

/* The innermost generator ended; a return value (new ref) or the exc. */
static void cd_pop(AsyncoroDriver *cd, PyObject **value, PyObject **exc)
{
    if (cd_drop_innermost(cd) < 0) {
        Py_CLEAR(*value);
        Py_XSETREF(*exc, idk_exc_fetch());
        return;
    }
    if (*exc != NULL && (*value = cd_stop_value(*exc)) != NULL)
        Py_CLEAR(*exc);
    if (*value != NULL && *value != Py_None && cd_depth(cd) == 0)
        Py_XSETREF(cd->cd_last, idk_newref(*value));
}

/* The coroutine yielded `got` (stolen).  Returns 1 with *out set if the task
 * is to wait on it; 0 to go on stepping with *value or *exc. */
static int cd_yielded(AsyncoroDriver *cd, PyObject *got, PyObject **out, PyObject **value,
                      PyObject **exc)
{
    if (IdkStream_Check(got)) {
        *out = got;
        return 1;
    }
    if (PyGen_Check(got)) {
        int r;
        if (cd->cd_stack == NULL && (cd->cd_stack = PyList_New(0)) == NULL) {
            Py_DECREF(got);
            *exc = idk_exc_fetch();
            return 0;
        }
        r = PyList_Append(cd->cd_stack, got);
        Py_DECREF(got);
        if (r < 0)
            *exc = idk_exc_fetch();
        else
            *value = idk_newref(Py_None);
        return 0;
    }
    /* A yield point: until the next poll, then the value comes back. */
    if ((*out = idk_sleep_turn_new()) == NULL) {
        Py_DECREF(got);
        *exc = idk_exc_fetch();
        return 0;
    }
    Py_XSETREF(cd->cd_last, idk_newref(got));
    cd->cd_pending = got;
    return 1;
}

/* The stack is empty: tell the Coro how it ended (errors in that call are
 * reported, not raised: the coroutine has ended either way). */
static int cd_end(AsyncoroDriver *cd, PyObject *value, PyObject *exc, PyObject **out)
{
    PyObject *r, *info = NULL;
    if (exc != NULL) {
        info = idk_exc_info(exc);
        r = info == NULL ? NULL : PyObject_CallFunctionObjArgs(
            cd->cd_ended, Py_None, PyTuple_GET_ITEM(info, 1), PyTuple_GET_ITEM(info, 2), NULL);
    } else {
        PyObject *result = value != NULL && value != Py_None ? value
                           : (cd->cd_last != NULL ? cd->cd_last : Py_None);
        r = PyObject_CallFunctionObjArgs(cd->cd_ended, result, Py_None, NULL);
    }
    if (r == NULL)
        idk_loop_report_current();
    Py_XDECREF(r);
    Py_XDECREF(info);
    Py_CLEAR(cd->cd_last);
    *out = idk_newref(Py_None);
    return IDK_SEND_RETURN;
}

/* Step until the coroutine waits on a stream or ends; value and exc are
 * owned, exactly one of them set. */
static int cd_run(AsyncoroDriver *cd, PyObject *value, PyObject *exc, PyObject **out)
{
    int r;
    while (cd_depth(cd) > 0) {
        PyObject *got = NULL;
        r = cd_step_top(cd, value, exc, &got);
        Py_CLEAR(value);
        Py_CLEAR(exc);
        if (r == IDK_SEND_YIELD) {
            if (cd_yielded(cd, got, out, &value, &exc))
                return IDK_SEND_YIELD;
            continue;
        }
        if (r == IDK_SEND_RETURN)
            value = got;
        else
            exc = idk_exc_fetch();
        cd_pop(cd, &value, &exc);
    }
    r = cd_end(cd, value, exc, out);
    Py_XDECREF(value);
    Py_XDECREF(exc);
    return r;
}

/* The task's step (IdkStepFn): send value or throw exc. */
static int cd_step(PyObject *it, PyObject *value, PyObject *exc, PyObject **out)
{
    AsyncoroDriver *cd = (AsyncoroDriver *)it;
    PyObject *pending = cd->cd_pending;
    cd->cd_pending = NULL;
    if (cd_depth(cd) == 0) {
        Py_XDECREF(pending);
        PyErr_SetString(PyExc_RuntimeError, "the coroutine has ended");
        return IDK_SEND_ERROR;
    }
    if (exc != NULL) {
        Py_XDECREF(pending);
        return cd_run(cd, NULL, cd_translated(cd, exc), out);
    }
    return cd_run(cd, pending != NULL ? pending : idk_newref(value), NULL, out);
}

/* ---- the Python face (for a task's close() on a bad yield, and repr) ----------------------- */

static PyObject *cd_close(AsyncoroDriver *cd, PyObject *unused)
{
    (void)unused;
    while (cd_depth(cd) > 0) {
        PyObject *gen = idk_newref(cd_innermost(cd));
        PyObject *r = cd_drop_innermost(cd) < 0 ? NULL
                      : PyObject_CallMethod(gen, "close", NULL);
        Py_DECREF(gen);
        if (r == NULL)
            return NULL;
        Py_DECREF(r);
    }
    Py_RETURN_NONE;
}

static PyObject *cd_get_name(AsyncoroDriver *cd, void *closure)
{
    (void)closure;
    return PyObject_GetAttrString(cd->cd_coro, "name");
}

static int cd_traverse(AsyncoroDriver *cd, visitproc visit, void *arg)
{
    Py_VISIT(cd->cd_coro);
    Py_VISIT(cd->cd_gen);
    Py_VISIT(cd->cd_stack);
    Py_VISIT(cd->cd_last);
    Py_VISIT(cd->cd_pending);
    Py_VISIT(cd->cd_ended);
    Py_VISIT(cd->cd_translate);
    return 0;
}

static int cd_clear(AsyncoroDriver *cd)
{
    Py_CLEAR(cd->cd_coro);
    Py_CLEAR(cd->cd_gen);
    Py_CLEAR(cd->cd_stack);
    Py_CLEAR(cd->cd_last);
    Py_CLEAR(cd->cd_pending);
    Py_CLEAR(cd->cd_ended);
    Py_CLEAR(cd->cd_translate);
    return 0;
}

static void cd_dealloc(AsyncoroDriver *cd)
{
    PyObject_GC_UnTrack(cd);
    cd_clear(cd);
    PyObject_GC_Del(cd);
}

static PyMethodDef cd_methods[] = {
    {"close", (PyCFunction)cd_close, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}
};

static PyGetSetDef cd_getset[] = {
    {"__name__", (getter)cd_get_name, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}
};

PyTypeObject IdkAsyncoroDriver_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.coro_driver",
    .tp_basicsize = sizeof(AsyncoroDriver)
};

/* _core.coro_drive(coro, gen, ended, translate) -> the stream running gen. */
PyObject *idk_asyncoro_driver_func(PyObject *self, PyObject *args)
{
    PyObject *coro, *gen, *ended, *translate, *task;
    AsyncoroDriver *cd;
    CoroCurrent *current;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOO:coro_drive", &coro, &gen, &ended, &translate))
        return NULL;
    if (!PyGen_Check(gen)) {
        idk_err_repr(PyExc_TypeError, "coro_drive() needs a generator, got ", gen, "");
        return NULL;
    }
    current = (CoroCurrent *)idk_loop_client(&coro_current_kind, 1);
    if (current == NULL)
        return NULL;
    cd = IDK_ALLOC(AsyncoroDriver, &IdkAsyncoroDriver_Type);
    if (cd == NULL)
        return NULL;
    cd->cd_current = current;
    cd->cd_coro = idk_newref(coro);
    cd->cd_gen = idk_newref(gen);
    cd->cd_stack = NULL;
    cd->cd_last = NULL;
    cd->cd_pending = NULL;
    cd->cd_ended = idk_newref(ended);
    cd->cd_translate = idk_newref(translate);
    cd->base.st_step = cd_step;
    task = idk_task_new_stepped(&cd->base);
    Py_DECREF(cd);
    return task;
}

/* _core.coro_current(): the Coro whose generator is stepping, or None. */
PyObject *idk_coro_current_func(PyObject *self, PyObject *unused)
{
    CoroCurrent *current = (CoroCurrent *)idk_loop_client(&coro_current_kind, 0);
    (void)self;
    (void)unused;
    if (current != NULL && current->current != NULL)
        return idk_newref(current->current);
    Py_RETURN_NONE;
}

int idk_asyncoro_driver_type_ready(void)
{
    IdkAsyncoroDriver_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
    IdkAsyncoroDriver_Type.tp_dealloc = (destructor)cd_dealloc;
    IdkAsyncoroDriver_Type.tp_traverse = (traverseproc)cd_traverse;
    IdkAsyncoroDriver_Type.tp_clear = (inquiry)cd_clear;
    IdkAsyncoroDriver_Type.tp_methods = cd_methods;
    IdkAsyncoroDriver_Type.tp_getset = cd_getset;
    IdkAsyncoroDriver_Type.tp_doc = "Runs an asyncoro Coro's generators (idiokit.asyncoro).";
    return PyType_Ready(&IdkAsyncoroDriver_Type);
}
