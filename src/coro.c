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

static void state_release(IdkLoopClient *c)
{
    IdkCoroState *st = (IdkCoroState *)c;
    Py_CLEAR(st->inj_type);
    Py_CLEAR(st->inj_func);
    Py_CLEAR(st->inj_kwnames);
}

static const IdkLoopClientKind coro_state_kind = {
    "asyncoro", sizeof(IdkCoroState), NULL, NULL, NULL, state_release
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

/* Does target take the class's keyword?  1, 0, or -1 with an error set.
 * The class's _inject_cache (by code object) answers, else its _injects(). */
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

/* The keyword to pass the Coro as, as a 1-tuple (name,) (new ref) in
 * *kwnames, or NULL when target takes none; 0, or -1 with an error set.  The
 * state remembers the last answer: spawning many Coros of one function asks
 * once. */
static int coro_keyword(IdkCoro *co, IdkCoroState *st, PyObject *target, PyObject **kwnames)
{
    PyObject *type = (PyObject *)Py_TYPE(co), *keyword;
    int injects;
    *kwnames = NULL;
    if (target == st->inj_func && type == st->inj_type) {
        *kwnames = idk_xnewref(st->inj_kwnames);
        return 0;
    }
    if ((injects = coro_injects(co, target)) < 0)
        return -1;
    if (injects) {
        if ((keyword = PyObject_GetAttr(type, str_self_keyword)) == NULL)
            return -1;
        *kwnames = PyTuple_Pack(1, keyword);
        Py_DECREF(keyword);
        if (*kwnames == NULL)
            return -1;
    }
    if (PyFunction_Check(target)) {
        Py_XSETREF(st->inj_type, idk_newref(type));
        Py_XSETREF(st->inj_func, idk_newref(target));
        Py_XSETREF(st->inj_kwnames, idk_xnewref(*kwnames));
    }
    return 0;
}

/* target(*argv[:argc], **kw) plus the Coro as the keyword of kwnames (a
 * 1-tuple, or NULL for none) unless kw (a dict or NULL) has it. */
static PyObject *coro_call_target(IdkCoro *co, PyObject *target, PyObject *const *argv,
                                  Py_ssize_t argc, PyObject *kw, PyObject *kwnames)
{
    PyObject *args, *all = NULL, *r = NULL;
    Py_ssize_t i;
    int has = 1;
    if (kw == NULL || PyDict_Size(kw) == 0)
        return idk_call_plus_kw(target, argv, argc, kwnames, (PyObject *)co);
    if ((args = PyTuple_New(argc)) == NULL)
        return NULL;
    for (i = 0; i < argc; i++)
        PyTuple_SET_ITEM(args, i, idk_newref(argv[i]));
    if (kwnames != NULL && (has = PyDict_Contains(kw, PyTuple_GET_ITEM(kwnames, 0))) == 0
            && (all = PyDict_Copy(kw)) != NULL
            && PyDict_SetItem(all, PyTuple_GET_ITEM(kwnames, 0), (PyObject *)co) < 0)
        Py_CLEAR(all);
    if (has > 0 || all != NULL)
        r = PyObject_Call(target, args, all != NULL ? all : kw);
    Py_XDECREF(all);
    Py_DECREF(args);
    return r;
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
    if (co->co_task != NULL || co->cd_gens == NULL)
        return 0;
    co->co_task = idk_task_new_stepped(&co->base);
    return co->co_task != NULL ? 0 : -1;
}

/* The live list: the scheduler's terminate() and join(show_running) walk it
 * (a live Coro and its generator are out of the cyclic GC, so
 * gc.get_objects() would not find them). */
static void coro_link_live(IdkCoro *co, IdkCoroState *st)
{
    co->co_prev = NULL;
    co->co_next = st->live;
    if (st->live != NULL)
        st->live->co_prev = co;
    st->live = co;
}

/* No longer alive: out of the live list and the counts. */
static void coro_settle(IdkCoro *co, IdkCoroState *st)
{
    if (!co->co_alive)
        return;
    co->co_alive = 0;
    if (st == NULL)
        return;
    st->ended++;
    if (co->co_daemon)
        st->daemons--;
    if (co->co_prev != NULL)
        co->co_prev->co_next = co->co_next;
    else
        st->live = co->co_next;
    if (co->co_next != NULL)
        co->co_next->co_prev = co->co_prev;
    co->co_prev = co->co_next = NULL;
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
    PyObject *target, *cargs = NULL, *kwargs = NULL, *kwnames = NULL, *gen = NULL, *r;
    IdkCoroState *st;
    Py_ssize_t first = 0;
    int result = -1;
    if (co->co_name != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "a Coro is initialised once");
        return -1;
    }
    if ((st = idk_coro_state()) == NULL)
        return -1;
    if (PyTuple_GET_SIZE(args) > 0) {
        target = PyTuple_GET_ITEM(args, 0);
        cargs = idk_newref(args);      /* the arguments are the items after target */
        kwargs = idk_xnewref(kw);
        first = 1;
    } else if (coro_keyword_form(kw, &target, &cargs, &kwargs) < 0) {
        goto done;
    }
    if (coro_keyword(co, st, target, &kwnames) < 0)
        goto done;
    if ((co->co_name = PyObject_GetAttr(target, str_name)) == NULL)
        goto done;
    gen = coro_call_target(co, target, &PyTuple_GET_ITEM(cargs, first),
                           PyTuple_GET_SIZE(cargs) - first, kwargs, kwnames);
    if (gen == NULL)
        goto done;
    if (!PyGen_Check(gen)) {
        idk_err_repr(PyExc_TypeError, "a Coro needs a generator, got ", gen, "");
        goto done;
    }
    if (!st->has_scheduler) {
        if ((r = PyObject_CallMethod((PyObject *)co, "_need_scheduler", NULL)) == NULL)
            goto done;
        Py_DECREF(r);
    }
    co->cd_gens = idk_newref(gen);
    /* a live coroutine is kept by its task: its generator needs no GC visits */
    co->cd_gen_hidden = (unsigned char)idk_gc_untrack_if_tracked(gen);
    co->co_alive = 1;
    st->started++;
    coro_link_live(co, st);
    if (coro_start_or_post(co) < 0) {
        coro_settle(co, st);
        idk_coro_clear_gens(co);
        goto done;
    }
    result = 0;
done:
    Py_XDECREF(gen);
    Py_XDECREF(kwnames);
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
    IdkCoroState *st = (IdkCoroState *)idk_loop_client(&coro_state_kind, 0);
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
    coro_settle(co, st);
    if (co->co_more != NULL || (st != NULL && state_live(st) <= 0)) {
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
    if (co->co_alive && flag != co->co_daemon) {
        IdkCoroState *st = (IdkCoroState *)idk_loop_client(&coro_state_kind, 0);
        if (st != NULL)
            st->daemons += flag ? 1 : -1;
    }
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

/* A settable slot (_more) at offset `closure`. */
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
    {"_wait", (getter)idk_coro_get_wait, (setter)idk_coro_set_wait, NULL, NULL},
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
    Py_VISIT(co->cd_gens);
    Py_VISIT(co->cd_last);
    Py_VISIT(co->co_task);
    Py_VISIT(co->co_name);
    if (co->co_mail != NULL) {
        Py_VISIT(co->co_mail->mb_msgs);
        Py_VISIT(co->co_mail->mb_wait);
    }
    Py_VISIT(co->co_more);
    return 0;
}

static int coro_clear(IdkCoro *co)
{
    /* a Coro freed alive (never started: its posted start never ran) */
    coro_settle(co, (IdkCoroState *)idk_loop_client(&coro_state_kind, 0));
    idk_coro_clear_gens(co);
    Py_CLEAR(co->cd_last);
    Py_CLEAR(co->co_task);
    Py_CLEAR(co->co_name);
    if (co->co_mail != NULL) {
        Py_CLEAR(co->co_mail->mb_msgs);
        Py_CLEAR(co->co_mail->mb_wait);
        PyMem_Free(co->co_mail);
        co->co_mail = NULL;
    }
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

/* _core.coro_current(): the Coro whose generator is stepping (the task the
 * loop steps is a Coro's), or None. */
PyObject *idk_coro_current_func(PyObject *self, PyObject *unused)
{
    IdkTask *t = idk_loop != NULL ? idk_loop->l_task : NULL;
    (void)self;
    (void)unused;
    if (t != NULL && t->t_gen_kind == IDK_GEN_STEPPER && t->t_gen != NULL
            && PyObject_TypeCheck(t->t_gen, &IdkCoro_Type))
        return idk_newref(t->t_gen);
    Py_RETURN_NONE;
}

/* _core.coro_all_live(): a list of the Coros alive. */
PyObject *idk_coro_all_live_func(PyObject *self, PyObject *unused)
{
    IdkCoroState *st = (IdkCoroState *)idk_loop_client(&coro_state_kind, 0);
    PyObject *list = PyList_New(0);
    IdkCoro *co;
    (void)self;
    (void)unused;
    for (co = st != NULL ? st->live : NULL; co != NULL && list != NULL; co = co->co_next) {
        if (PyList_Append(list, (PyObject *)co) < 0)
            Py_CLEAR(list);
    }
    return list;
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
