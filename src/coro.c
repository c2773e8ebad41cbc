/* coro.c: _core.Coro, the base class of idiokit.asyncoro's Coro (and so of
 * pycos's Task): the object, its creation, its end, and the scheduler's counts.
 *
 * Coro(genfunc, *args, **kwargs) calls genfunc (passing the Coro as the
 * class's _self_keyword, `coro` or `task`, when genfunc declares it with a
 * default: the class's _inject_cache remembers that per code object, its
 * _injects() decides) and starts a task that steps the Coro
 * (asyncoro_driver.c); made on another thread than the loop's, the start is
 * posted to the loop.  The Python class adds what is not per coroutine or per
 * message: monitors, hot swap, value() from threads, throw, and the hooks this
 * file calls on rare paths (_need_scheduler, _injects, _ended_by,
 * _ended_rare, _translate, _make_waiter).
 *
 * Invariants:
 *  - The task holds the Coro (its stepper) and the Coro holds the task
 *    (coro.stream): a cycle the GC breaks once both are unreachable; while the
 *    coroutine runs, its task keeps both alive and out of the GC (task.c).
 *  - The task's result is the coroutine's: its value (the outermost
 *    generator's non-None return value, else its last plain yield), or the
 *    exception it ended with, which this file reports (the task is marked
 *    observed, so it is not reported twice).  So `yield coro.finish()` of an
 *    ended Coro is its task itself.
 *  - started, ended and daemons (the loop's asyncoro state) change with the
 *    GIL held: live = started - ended - daemons is what join() waits for.
 */
#include "coro.h"

static const IdkLoopClientKind coro_state_kind = {
    "asyncoro", sizeof(IdkCoroState), NULL, NULL, NULL, NULL
};

/* Names looked up per Coro, interned once (constants, like the types). */
static PyObject *str_inject_cache, *str_self_keyword, *str_name;

IdkCoroState *idk_coro_state(void)
{
    return (IdkCoroState *)idk_loop_client(&coro_state_kind, 1);
}

static Py_ssize_t state_live(IdkCoroState *st)
{
    return st->started - st->ended - st->daemons;
}

/* ---- creation ------------------------------------------------------------------------ */

static PyObject *coro_tp_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    IdkCoro *co = (IdkCoro *)type->tp_alloc(type, 0);
    (void)args;
    (void)kw;
    if (co != NULL)
        co->base.st_step = idk_coro_step;
    return (PyObject *)co;
}

/* Does target take the class's keyword?  1, 0, or -1 with an error set. */
static int coro_injects(IdkCoro *co, PyObject *target)
{
    PyObject *cache, *known, *r;
    int v;
    if (PyFunction_Check(target)) {
        cache = PyObject_GetAttr((PyObject *)Py_TYPE(co), str_inject_cache);
        if (cache == NULL)
            return -1;
        known = PyDict_Check(cache) ? PyDict_GetItem(cache, PyFunction_GetCode(target)) : NULL;
        v = known != NULL ? PyObject_IsTrue(known) : -2;
        Py_DECREF(cache);
        if (v != -2)
            return v;
    }
    r = PyObject_CallMethod((PyObject *)co, "_injects", "O", target);
    if (r == NULL)
        return -1;
    v = PyObject_IsTrue(r);
    Py_DECREF(r);
    return v;
}

/* The keywords to call target with, in *out (new reference, or NULL for
 * none): kw (borrowed, may be NULL) plus the Coro as the class's keyword
 * when target takes it.  0, or -1 with an error set. */
static int coro_call_keywords(IdkCoro *co, PyObject *target, PyObject *kw, PyObject **out)
{
    PyObject *keyword;
    int injects = coro_injects(co, target), has = 0;
    *out = NULL;
    if (injects <= 0) {
        *out = idk_xnewref(kw);
        return injects;
    }
    keyword = PyObject_GetAttr((PyObject *)Py_TYPE(co), str_self_keyword);
    if (keyword == NULL)
        return -1;
    if (kw != NULL && (has = PyDict_Contains(kw, keyword)) != 0) {
        *out = has > 0 ? idk_newref(kw) : NULL;
    } else {
        *out = kw != NULL ? PyDict_Copy(kw) : PyDict_New();
        if (*out != NULL && PyDict_SetItem(*out, keyword, (PyObject *)co) < 0)
            Py_CLEAR(*out);
    }
    Py_DECREF(keyword);
    return *out != NULL ? 0 : -1;
}

/* Coro(target=f, args=(), kwargs={}): asyncoro's keyword form. */
static int coro_keyword_form(PyObject *kw, PyObject **target, PyObject **args, PyObject **kwargs)
{
    PyObject *a = kw != NULL ? PyDict_GetItemString(kw, "args") : NULL;
    PyObject *k = kw != NULL ? PyDict_GetItemString(kw, "kwargs") : NULL;
    *target = kw != NULL ? PyDict_GetItemString(kw, "target") : NULL;
    if (*target == NULL) {
        PyErr_SetString(PyExc_TypeError, "Coro() needs a generator function");
        return -1;
    }
    *args = a != NULL ? PySequence_Tuple(a) : PyTuple_New(0);
    *kwargs = k != NULL ? PyDict_New() : NULL;
    if (*args == NULL || (k != NULL && (*kwargs == NULL || PyDict_Update(*kwargs, k) < 0))) {
        Py_CLEAR(*args);
        Py_CLEAR(*kwargs);
        return -1;
    }
    return 0;
}

int idk_coro_start(IdkCoro *co)
{
    IdkTask *t;
    if (co->co_task != NULL || co->cd_gen == NULL)
        return 0;
    if ((t = (IdkTask *)idk_task_new_stepped(&co->base)) == NULL)
        return -1;
    co->co_task = (PyObject *)t;
    /* The task keeps its stepper out of the GC while it runs; a Coro stays
     * in it, so that the scheduler finds the live ones (terminate(), join's
     * show_running) with gc.get_objects(), as it found the Python objects. */
    if (t->t_gen_hidden) {
        t->t_gen_hidden = 0;
        PyObject_GC_Track(co);
    }
    return 0;
}

/* Start now on the loop's thread; from another thread, post _start to it. */
static int coro_start_or_post(IdkCoro *co)
{
    PyObject *meth;
    int r;
    if (idk_loop_on_thread())
        return idk_coro_start(co);
    meth = PyObject_GetAttrString((PyObject *)co, "_start");
    if (meth == NULL)
        return -1;
    r = idk_loop_post_call(meth, Py_None);
    Py_DECREF(meth);
    return r;
}

static int coro_init(IdkCoro *co, PyObject *args, PyObject *kw)
{
    PyObject *target, *cargs = NULL, *ckw = NULL, *kwargs = NULL, *gen = NULL, *r;
    IdkCoroState *st;
    int result = -1;
    if (co->co_name != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "a Coro is initialised once");
        return -1;
    }
    if (PyTuple_GET_SIZE(args) > 0) {
        target = PyTuple_GET_ITEM(args, 0);
        cargs = PyTuple_GetSlice(args, 1, PY_SSIZE_T_MAX);
        kwargs = idk_xnewref(kw);
        if (cargs == NULL)
            goto done;
    } else if (coro_keyword_form(kw, &target, &cargs, &kwargs) < 0) {
        goto done;
    }
    if (coro_call_keywords(co, target, kwargs, &ckw) < 0)
        goto done;
    if ((co->co_name = PyObject_GetAttr(target, str_name)) == NULL)
        goto done;
    if ((gen = PyObject_Call(target, cargs, ckw)) == NULL)
        goto done;
    if (!PyGen_Check(gen)) {
        idk_err_repr(PyExc_TypeError, "a Coro needs a generator, got ", gen, "");
        goto done;
    }
    if ((st = idk_coro_state()) == NULL)
        goto done;
    if (!st->has_scheduler) {
        if ((r = PyObject_CallMethod((PyObject *)co, "_need_scheduler", NULL)) == NULL)
            goto done;
        Py_DECREF(r);
    }
    co->co_state = st;
    co->cd_gen = idk_newref(gen);
    co->co_alive = 1;
    st->started++;
    if (coro_start_or_post(co) < 0) {
        st->started--;
        co->co_alive = 0;
        Py_CLEAR(co->cd_gen);
        goto done;
    }
    result = 0;
done:
    Py_XDECREF(gen);
    Py_XDECREF(ckw);
    Py_XDECREF(kwargs);
    Py_XDECREF(cargs);
    return result;
}

/* ---- the end ----------------------------------------------------------------------------- */

/* An exception ended the generators: the class's _ended_by(exc, tb) reports
 * it, or accepts a hot swap by giving the new generator (new ref, or NULL). */
static PyObject *coro_failed(IdkCoro *co, PyObject *exc)
{
    PyObject *info = idk_exc_info(exc), *gen;
    gen = info == NULL ? NULL : PyObject_CallMethod((PyObject *)co, "_ended_by", "OO",
                                                    PyTuple_GET_ITEM(info, 1),
                                                    PyTuple_GET_ITEM(info, 2));
    Py_XDECREF(info);
    if (gen == NULL)
        idk_loop_report_current();
    else if (!PyGen_Check(gen))
        Py_CLEAR(gen);
    return gen;
}

int idk_coro_ended(IdkCoro *co, PyObject *value, PyObject *exc, PyObject **out,
                   PyObject **swapped)
{
    IdkCoroState *st = co->co_state;
    int r;
    if (exc != NULL) {
        if ((*swapped = coro_failed(co, exc)) != NULL) {
            Py_CLEAR(co->cd_last);
            return IDK_SEND_RETURN;
        }
        Py_XSETREF(co->cd_last, idk_newref(exc));
        co->co_failed = 1;
        if (co->co_task != NULL)
            ((IdkStream *)co->co_task)->r_observed = 1;   /* reported above */
        r = IDK_SEND_ERROR;
    } else {
        PyObject *result = value != NULL && value != Py_None ? value
                           : (co->cd_last != NULL ? co->cd_last : Py_None);
        Py_INCREF(result);
        Py_XSETREF(co->cd_last, result);
        *out = idk_newref(result);
        r = IDK_SEND_RETURN;
    }
    co->co_alive = 0;
    st->ended++;
    if (co->co_daemon)
        st->daemons--;
    if (co->co_more != NULL || state_live(st) <= 0) {
        PyObject *res = PyObject_CallMethod((PyObject *)co, "_ended_rare", NULL);
        if (res == NULL)
            idk_loop_report_current();
        Py_XDECREF(res);
    }
    if (r == IDK_SEND_ERROR)
        idk_exc_restore(co->cd_last);
    return r;
}

/* ---- attributes --------------------------------------------------------------------------- */

static PyObject *coro_get_name(IdkCoro *co, void *closure)
{
    (void)closure;
    return idk_newref(co->co_name != NULL ? co->co_name : Py_None);
}

static int coro_set_name(IdkCoro *co, PyObject *value, void *closure)
{
    (void)closure;
    Py_XSETREF(co->co_name, idk_xnewref(value));
    return 0;
}

static PyObject *coro_get_stream(IdkCoro *co, void *closure)
{
    (void)closure;
    return idk_newref(co->co_task != NULL ? co->co_task : Py_None);
}

static PyObject *coro_get_alive(IdkCoro *co, void *closure)
{
    (void)closure;
    return PyBool_FromLong(co->co_alive);
}

static PyObject *coro_get_daemon(IdkCoro *co, void *closure)
{
    (void)closure;
    return PyBool_FromLong(co->co_daemon);
}

static int coro_set_daemon(IdkCoro *co, PyObject *value, void *closure)
{
    int flag = value != NULL ? PyObject_IsTrue(value) : 0;
    (void)closure;
    if (flag < 0)
        return -1;
    if (co->co_alive && co->co_state != NULL && flag != co->co_daemon)
        co->co_state->daemons += flag ? 1 : -1;
    co->co_daemon = (unsigned char)flag;
    return 0;
}

/* The value it ended with (None while it runs or after an exception). */
static PyObject *coro_get_value(IdkCoro *co, void *closure)
{
    (void)closure;
    if (co->co_alive || co->co_failed || co->cd_last == NULL)
        Py_RETURN_NONE;
    return idk_newref(co->cd_last);
}

/* The exception it ended with, or None. */
static PyObject *coro_get_exc(IdkCoro *co, void *closure)
{
    (void)closure;
    if (!co->co_failed || co->cd_last == NULL)
        Py_RETURN_NONE;
    return idk_newref(idk_exc_value(co->cd_last));
}

/* A settable slot (_more, _receiver, _suspender) at offset `closure`. */
static PyObject *coro_get_slot(IdkCoro *co, void *closure)
{
    PyObject *v = *(PyObject **)((char *)co + (size_t)closure);
    return idk_newref(v != NULL ? v : Py_None);
}

static int coro_set_slot(IdkCoro *co, PyObject *value, void *closure)
{
    PyObject **slot = (PyObject **)((char *)co + (size_t)closure);
    Py_XSETREF(*slot, value != NULL && value != Py_None ? idk_newref(value) : NULL);
    return 0;
}

#define IDK_SLOT(field) ((void *)offsetof(IdkCoro, field))

static PyGetSetDef coro_getset[] = {
    {"name", (getter)coro_get_name, (setter)coro_set_name, "The coroutine's name.", NULL},
    {"__name__", (getter)coro_get_name, NULL, NULL, NULL},
    {"stream", (getter)coro_get_stream, NULL,
     "The idiokit stream (task) that runs it; its result is the coroutine's.", NULL},
    {"_alive", (getter)coro_get_alive, NULL, NULL, NULL},
    {"_daemon", (getter)coro_get_daemon, (setter)coro_set_daemon, NULL, NULL},
    {"_value", (getter)coro_get_value, NULL, NULL, NULL},
    {"_exc", (getter)coro_get_exc, NULL, NULL, NULL},
    {"_more", (getter)coro_get_slot, (setter)coro_set_slot, NULL, IDK_SLOT(co_more)},
    {"_receiver", (getter)coro_get_slot, (setter)coro_set_slot, NULL, IDK_SLOT(co_receiver)},
    {"_suspender", (getter)coro_get_slot, (setter)coro_set_slot, NULL, IDK_SLOT(co_suspender)},
    {NULL, NULL, NULL, NULL, NULL}
};

/* ---- methods ------------------------------------------------------------------------------- */

static PyObject *coro_is_alive(IdkCoro *co, PyObject *unused)
{
    (void)unused;
    return PyBool_FromLong(co->co_alive);
}

/* Posted by a Coro made on another thread: start it on the loop's. */
static PyObject *coro_start_meth(IdkCoro *co, PyObject *unused)
{
    (void)unused;
    if (idk_coro_start(co) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* For the task's close() after a bad yield: close the generators. */
static PyObject *coro_close(IdkCoro *co, PyObject *unused)
{
    (void)unused;
    if (idk_coro_close_gens(co) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef coro_methods[] = {
    {"is_alive", (PyCFunction)coro_is_alive, METH_NOARGS, "True until the coroutine ends."},
    {"_start", (PyCFunction)coro_start_meth, METH_O, NULL},
    {"close", (PyCFunction)coro_close, METH_NOARGS,
     "Internal: close the generators (the task's clean-up after a bad yield)."},
    {NULL, NULL, 0, NULL}
};

/* ---- type slots ------------------------------------------------------------------------------ */

static int coro_traverse(IdkCoro *co, visitproc visit, void *arg)
{
    Py_VISIT(co->cd_gen);
    Py_VISIT(co->cd_stack);
    Py_VISIT(co->cd_last);
    Py_VISIT(co->cd_pending);
    Py_VISIT(co->co_task);
    Py_VISIT(co->co_name);
    Py_VISIT(co->co_msgs);
    Py_VISIT(co->co_receiver);
    Py_VISIT(co->co_suspender);
    Py_VISIT(co->co_more);
    return 0;
}

static int coro_clear(IdkCoro *co)
{
    Py_CLEAR(co->cd_gen);
    Py_CLEAR(co->cd_stack);
    Py_CLEAR(co->cd_last);
    Py_CLEAR(co->cd_pending);
    Py_CLEAR(co->co_task);
    Py_CLEAR(co->co_name);
    Py_CLEAR(co->co_msgs);
    Py_CLEAR(co->co_receiver);
    Py_CLEAR(co->co_suspender);
    Py_CLEAR(co->co_more);
    return 0;
}

static void coro_dealloc(IdkCoro *co)
{
    PyObject_GC_UnTrack(co);
    coro_clear(co);
    Py_TYPE(co)->tp_free((PyObject *)co);
}

PyTypeObject IdkCoro_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.Coro",
    .tp_basicsize = sizeof(IdkCoro)
};

/* ---- module functions -------------------------------------------------------------------------- */

/* _core.coro_current(): the Coro whose generator is stepping, or None. */
PyObject *idk_coro_current_func(PyObject *self, PyObject *unused)
{
    IdkCoroState *st = (IdkCoroState *)idk_loop_client(&coro_state_kind, 0);
    (void)self;
    (void)unused;
    if (st != NULL && st->current != NULL)
        return idk_newref(st->current);
    Py_RETURN_NONE;
}

/* _core.coro_live(): how many Coros that are not daemons have not ended. */
PyObject *idk_coro_live_func(PyObject *self, PyObject *unused)
{
    IdkCoroState *st = (IdkCoroState *)idk_loop_client(&coro_state_kind, 0);
    (void)self;
    (void)unused;
    return PyLong_FromSsize_t(st != NULL ? state_live(st) : 0);
}

/* _core.coro_scheduler(flag): whether a scheduler thread runs the loop (a Coro
 * made without one asks its class's _need_scheduler() for it). */
PyObject *idk_coro_scheduler_func(PyObject *self, PyObject *flag)
{
    IdkCoroState *st = idk_coro_state();
    int on = PyObject_IsTrue(flag);
    (void)self;
    if (st == NULL || on < 0)
        return NULL;
    st->has_scheduler = on;
    Py_RETURN_NONE;
}

int idk_coro_type_ready(void)
{
    /* one table for this file's methods and coro_wait.c's, filled once */
    static PyMethodDef all[IDK_CORO_NMETHODS + 1];
    int n = 0, i;
    str_inject_cache = IDK_INTERN("_inject_cache");
    str_self_keyword = IDK_INTERN("_self_keyword");
    str_name = IDK_INTERN("__name__");
    if (str_inject_cache == NULL || str_self_keyword == NULL || str_name == NULL)
        return -1;
    for (i = 0; coro_methods[i].ml_name != NULL; i++)
        all[n++] = coro_methods[i];
    for (i = 0; idk_coro_wait_methods[i].ml_name != NULL && n < IDK_CORO_NMETHODS; i++)
        all[n++] = idk_coro_wait_methods[i];
    IdkCoro_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE;
    IdkCoro_Type.tp_new = coro_tp_new;
    IdkCoro_Type.tp_init = (initproc)coro_init;
    IdkCoro_Type.tp_dealloc = (destructor)coro_dealloc;
    IdkCoro_Type.tp_traverse = (traverseproc)coro_traverse;
    IdkCoro_Type.tp_clear = (inquiry)coro_clear;
    IdkCoro_Type.tp_methods = all;
    IdkCoro_Type.tp_getset = coro_getset;
    IdkCoro_Type.tp_doc = "The base of idiokit.asyncoro's Coro: a coroutine and its task.";
    return PyType_Ready(&IdkCoro_Type);
}
