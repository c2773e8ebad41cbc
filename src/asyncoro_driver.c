/* asyncoro_driver.c: stepping an asyncoro Coro's generators (coro.h), so that
 * no Python code of ours runs per yield of a Coro.  The Coro is the stepper
 * (IdkStepper) its task steps directly.
 *
 * The Coro's generators form a stack: yielding a generator runs it as a
 * sub-coroutine, whose return value (or StopIteration value, also under PEP
 * 479) is sent back to its caller.  Yielding a stream (a socket operation,
 * sleep, receive, ...) hands it to the task, which waits for it and steps the
 * Coro with its result.  Yielding anything else is a yield point: the Coro
 * waits until the loop's next poll and gets the value back (a throw()
 * meanwhile, such as terminate(), is thrown in instead).  A stream's error is
 * thrown into the innermost generator after the Python class's _translate()
 * (socket.timeout for idiokit's SocketTimeout); an error leaving a generator
 * is thrown into its caller.
 *
 * Invariants:
 *  - The outermost generator is held alone in cd_gens until the first
 *    sub-generator call makes the stack a list, so a Coro that calls none
 *    costs no list.
 *  - At a yield point the value yielded is cd_last, which goes back in.
 *  - When the stack is empty, idk_coro_ended (coro.c) settles the Coro and
 *    gives the task's result: the outermost generator's return value if not
 *    None, else the last plain yield, as asyncoro reports it; or the
 *    exception.  An accepted hot swap gives a new outermost generator instead,
 *    and stepping goes on with it in the same task.
 */
#include "coro.h"

/* ---- exceptions -------------------------------------------------------------------- */

/* The exc to throw into the coroutine for a stream's error exc (borrowed);
 * new reference.  If translating fails, that error is thrown instead. */
static PyObject *cd_translated(IdkCoro *co, PyObject *exc)
{
    PyObject *value = idk_exc_value(exc), *info, *mapped, *r;
    mapped = PyObject_CallMethod((PyObject *)co, "_translate", "O", value);
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

/* cd_gens is the outermost generator alone, or a list of them once a
 * sub-generator runs; the outermost stays out of the cyclic GC while it is
 * held alone (coro.c hides it: a live coroutine is kept by its task), and is
 * tracked again before anything else may hold or free it. */
static Py_ssize_t cd_depth(IdkCoro *co)
{
    PyObject *g = co->cd_gens;
    return g == NULL ? 0 : (PyList_CheckExact(g) ? PyList_GET_SIZE(g) : 1);
}

/* The innermost generator (borrowed); the depth is above 0. */
static PyObject *cd_innermost(IdkCoro *co)
{
    PyObject *g = co->cd_gens;
    return PyList_CheckExact(g) ? PyList_GET_ITEM(g, PyList_GET_SIZE(g) - 1) : g;
}

static void cd_show_gen(IdkCoro *co)
{
    if (co->cd_gen_hidden) {
        co->cd_gen_hidden = 0;
        PyObject_GC_Track(co->cd_gens);
    }
}

void idk_coro_clear_gens(IdkCoro *co)
{
    if (co->cd_gens != NULL && !PyList_CheckExact(co->cd_gens))
        cd_show_gen(co);
    Py_CLEAR(co->cd_gens);
}

/* Drop the innermost generator; -1 with an exception set on failure. */
static int cd_drop_innermost(IdkCoro *co)
{
    PyObject *g = co->cd_gens;
    Py_ssize_t n = PyList_CheckExact(g) ? PyList_GET_SIZE(g) : 0;
    if (n > 1)
        return PyList_SetSlice(g, n - 1, n, NULL);
    idk_coro_clear_gens(co);
    return 0;
}

/* Run gen (stolen) as a sub-generator; -1 with an exception set on failure. */
static int cd_push(IdkCoro *co, PyObject *gen)
{
    int r;
    if (!PyList_CheckExact(co->cd_gens)) {
        PyObject *list = PyList_New(1);
        if (list == NULL) {
            Py_DECREF(gen);
            return -1;
        }
        cd_show_gen(co);
        PyList_SET_ITEM(list, 0, co->cd_gens);
        co->cd_gens = list;
    }
    r = PyList_Append(co->cd_gens, gen);
    Py_DECREF(gen);
    return r;
}

/* Step the innermost generator with value or exc (both borrowed). */
static int cd_step_top(IdkCoro *co, PyObject *value, PyObject *exc, PyObject **got)
{
    PyObject *gen = idk_newref(cd_innermost(co));
    int r;
    if (exc != NULL)
        r = idk_iter_throw(gen, exc, got);
    else
        r = idk_iter_send(gen, value, got);
    Py_DECREF(gen);
    return r;
}

/* The innermost generator ended; a return value (new ref) or the exc. */
static void cd_pop(IdkCoro *co, PyObject **value, PyObject **exc)
{
    if (cd_drop_innermost(co) < 0) {
        Py_CLEAR(*value);
        Py_XSETREF(*exc, idk_exc_fetch());
        return;
    }
    if (*exc != NULL && (*value = cd_stop_value(*exc)) != NULL)
        Py_CLEAR(*exc);
    if (*value != NULL && *value != Py_None && cd_depth(co) == 0)
        Py_XSETREF(co->cd_last, idk_newref(*value));
}

/* The coroutine yielded `got` (stolen).  Returns 1 with *out set if the task
 * is to wait on it; 0 to go on stepping with *value or *exc. */
static int cd_yielded(IdkCoro *co, PyObject *got, PyObject **out, PyObject **value,
                      PyObject **exc)
{
    if (IdkStream_Check(got)) {
        *out = got;
        return 1;
    }
    if (PyGen_Check(got)) {
        if (cd_push(co, got) < 0)
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
    Py_XSETREF(co->cd_last, got);
    co->cd_pending = 1;
    return 1;
}

/* Step until the coroutine waits on a stream or ends; value and exc are
 * owned, exactly one of them set. */
static int cd_run(IdkCoro *co, PyObject *value, PyObject *exc, PyObject **out)
{
    for (;;) {
        PyObject *swapped = NULL;
        int r;
        while (cd_depth(co) > 0) {
            PyObject *got = NULL;
            r = cd_step_top(co, value, exc, &got);
            Py_CLEAR(value);
            Py_CLEAR(exc);
            if (r == IDK_SEND_YIELD) {
                if (cd_yielded(co, got, out, &value, &exc))
                    return IDK_SEND_YIELD;
                continue;
            }
            if (r == IDK_SEND_RETURN)
                value = got;
            else
                exc = idk_exc_fetch();
            cd_pop(co, &value, &exc);
        }
        r = idk_coro_ended(co, value, exc, out, &swapped);
        Py_XDECREF(value);
        Py_XDECREF(exc);
        if (swapped == NULL)
            return r;
        co->cd_gens = swapped;     /* a hot swap: the new generator goes on */
        value = idk_newref(Py_None);
        exc = NULL;
    }
}

/* The task's step (IdkStepFn): send value or throw exc. */
int idk_coro_step(PyObject *it, PyObject *value, PyObject *exc, PyObject **out)
{
    IdkCoro *co = (IdkCoro *)it;
    int pending = co->cd_pending;
    co->cd_pending = 0;
    if (cd_depth(co) == 0) {
        PyErr_SetString(PyExc_RuntimeError, "the coroutine has ended");
        return IDK_SEND_ERROR;
    }
    if (exc != NULL)
        return cd_run(co, NULL, cd_translated(co, exc), out);
    return cd_run(co, idk_newref(pending ? co->cd_last : value), NULL, out);
}

int idk_coro_close_gens(IdkCoro *co)
{
    while (cd_depth(co) > 0) {
        PyObject *gen = idk_newref(cd_innermost(co));
        PyObject *r = cd_drop_innermost(co) < 0 ? NULL
                      : PyObject_CallMethod(gen, "close", NULL);
        Py_DECREF(gen);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
    }
    return 0;
}
