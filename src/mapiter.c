/* mapiter.c: the iterator a map() task steps, so that no Python code of ours
 * runs per message.  For each input v it calls func(v, *args, **kw); None
 * emits nothing, anything else must be iterable and each item is sent in
 * turn (a flat-map / filter, as the original).  func None: consume().
 *
 * States: WANT (about to ask for input), READ (yielded next(), the value sent
 * back is the message), WRITE (yielded send(x), resumed when consumed).
 * End of input arrives as a thrown StopIteration and ends the iterator with
 * it, so the task's result is the upstream's result.
 */
#include "core.h"


enum { MAP_WANT = 0, MAP_READ = 1, MAP_WRITE = 2 };

typedef struct {
    IdkStepper base;      /* the task steps it with mapiter_step */
    PyObject *mi_func;    /* callable, or None */
    PyObject *mi_args;    /* tuple */
    PyObject *mi_kw;      /* dict or NULL */
    PyObject *mi_items;   /* the current result: a tuple or list walked by
                             index, or an iterator; NULL when done */
    Py_ssize_t mi_index;  /* next index into a tuple or list result */
    int mi_state;
} MapIter;

/* The next item of the current result (new ref), or NULL when it is done
 * (an error may be set). */
static PyObject *mapiter_next_item(MapIter *mi)
{
    PyObject *items = mi->mi_items;
    if (PyTuple_CheckExact(items)) {
        if (mi->mi_index < PyTuple_GET_SIZE(items))
            return idk_newref(PyTuple_GET_ITEM(items, mi->mi_index++));
        return NULL;
    }
    if (PyList_CheckExact(items)) {
        if (mi->mi_index < PyList_GET_SIZE(items))
            return idk_newref(PyList_GET_ITEM(items, mi->mi_index++));
        return NULL;
    }
    return PyIter_Next(items);
}

static PyObject *mapiter_emit(MapIter *mi)
{
    if (mi->mi_items != NULL) {
        PyObject *x, *args, *s;
        if (PyTuple_CheckExact(mi->mi_items) && PyTuple_GET_SIZE(mi->mi_items) == 1
                && mi->mi_index == 0) {
            /* func returned (x,): that tuple is the message's args as is */
            mi->mi_index = 1;
            s = idk_send_new(mi->mi_items);
            mi->mi_state = MAP_WRITE;
            return s;
        }
        x = mapiter_next_item(mi);
        if (x != NULL) {
            args = PyTuple_Pack(1, x);
            Py_DECREF(x);
            if (args == NULL)
                return NULL;
            s = idk_send_new(args);
            Py_DECREF(args);
            mi->mi_state = MAP_WRITE;
            return s;
        }
        Py_CLEAR(mi->mi_items);
        if (PyErr_Occurred())
            return NULL;
    }
    mi->mi_state = MAP_READ;
    return idk_next_new();
}

static PyObject *mapiter_call(MapIter *mi, PyObject *value)
{
    Py_ssize_t n = PyTuple_GET_SIZE(mi->mi_args), i;
    PyObject *args, *r;
    if (n == 0 && mi->mi_kw == NULL)
        return PyObject_CallFunctionObjArgs(mi->mi_func, value, NULL);
    args = PyTuple_New(n + 1);
    if (args == NULL)
        return NULL;
    PyTuple_SET_ITEM(args, 0, idk_newref(value));
    for (i = 0; i < n; i++)
        PyTuple_SET_ITEM(args, i + 1, idk_newref(PyTuple_GET_ITEM(mi->mi_args, i)));
    r = PyObject_Call(mi->mi_func, args, mi->mi_kw);
    Py_DECREF(args);
    return r;
}

static PyObject *mapiter_send(MapIter *mi, PyObject *value);

/* The task's step (IdkStepFn): no send/throw looked up per message.  End
 * of input (or any exc) thrown in ends the iterator with it. */
static int mapiter_step(PyObject *it, PyObject *value, PyObject *exc, PyObject **out)
{
    MapIter *mi = (MapIter *)it;
    if (exc != NULL) {
        Py_CLEAR(mi->mi_items);
        idk_exc_restore(exc);
        *out = NULL;
        return IDK_SEND_ERROR;
    }
    *out = mapiter_send(mi, value);
    return *out != NULL ? IDK_SEND_YIELD : IDK_SEND_ERROR;
}

static PyObject *mapiter_send(MapIter *mi, PyObject *value)
{
    if (mi->mi_state == MAP_READ && mi->mi_func != Py_None) {
        PyObject *r = mapiter_call(mi, value);
        if (r == NULL)
            return NULL;
        if (PyTuple_CheckExact(r) || PyList_CheckExact(r)) {
            mi->mi_items = r;          /* walked by index: no iterator */
            mi->mi_index = 0;
            return mapiter_emit(mi);
        }
        if (r != Py_None) {
            mi->mi_items = PyObject_GetIter(r);
            if (mi->mi_items == NULL) {
                Py_DECREF(r);
                return NULL;
            }
        }
        Py_DECREF(r);
    }
    return mapiter_emit(mi);
}

static PyObject *mapiter_next(MapIter *mi)
{
    return mapiter_send(mi, Py_None);
}

static PyObject *mapiter_throw(MapIter *mi, PyObject *args)
{
    PyObject *exc = idk_exc_from_throw_args(args);
    Py_CLEAR(mi->mi_items);
    if (exc != NULL) {
        idk_exc_restore(exc);
        Py_DECREF(exc);
    }
    return NULL;
}

static PyObject *mapiter_close(MapIter *mi, PyObject *unused)
{
    (void)unused;
    Py_CLEAR(mi->mi_items);
    Py_RETURN_NONE;
}

static int mapiter_traverse(MapIter *mi, visitproc visit, void *arg)
{
    Py_VISIT(mi->mi_func);
    Py_VISIT(mi->mi_args);
    Py_VISIT(mi->mi_kw);
    Py_VISIT(mi->mi_items);
    return 0;
}

static int mapiter_clear(MapIter *mi)
{
    Py_CLEAR(mi->mi_func);
    Py_CLEAR(mi->mi_args);
    Py_CLEAR(mi->mi_kw);
    Py_CLEAR(mi->mi_items);
    return 0;
}

static void mapiter_dealloc(MapIter *mi)
{
    PyObject_GC_UnTrack(mi);
    mapiter_clear(mi);
    PyObject_GC_Del(mi);
}

static PyMethodDef mapiter_methods[] = {
    {"send", (PyCFunction)mapiter_send, METH_O, NULL},
    {"throw", (PyCFunction)mapiter_throw, METH_VARARGS, NULL},
    {"close", (PyCFunction)mapiter_close, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}
};

PyTypeObject IdkMapIter_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.map_iterator", .tp_basicsize = sizeof(MapIter)
};

/* _core.map(func, *args, **kw) -> a stream; func None consumes. */
PyObject *idk_map_func(PyObject *self, PyObject *args, PyObject *kw)
{
    MapIter *mi;
    PyObject *rest, *task;
    (void)self;
    if (PyTuple_GET_SIZE(args) < 1) {
        PyErr_SetString(PyExc_TypeError, "map() needs a function");
        return NULL;
    }
    rest = PyTuple_GetSlice(args, 1, PyTuple_GET_SIZE(args));
    if (rest == NULL)
        return NULL;
    mi = IDK_ALLOC(MapIter, &IdkMapIter_Type);
    if (mi == NULL) {
        Py_DECREF(rest);
        return NULL;
    }
    mi->mi_func = idk_newref(PyTuple_GET_ITEM(args, 0));
    mi->mi_args = rest;
    mi->mi_kw = (kw != NULL && PyDict_Size(kw) > 0) ? PyDict_Copy(kw) : NULL;
    mi->mi_items = NULL;
    mi->mi_index = 0;
    mi->mi_state = MAP_WANT;
    mi->base.st_step = mapiter_step;
    task = idk_task_new_stepped(&mi->base);
    Py_DECREF(mi);
    return task;
}

int idk_mapiter_type_ready(void)
{
    IdkMapIter_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
    IdkMapIter_Type.tp_dealloc = (destructor)mapiter_dealloc;
    IdkMapIter_Type.tp_traverse = (traverseproc)mapiter_traverse;
    IdkMapIter_Type.tp_clear = (inquiry)mapiter_clear;
    IdkMapIter_Type.tp_iter = PyObject_SelfIter;
    IdkMapIter_Type.tp_iternext = (iternextfunc)mapiter_next;
    IdkMapIter_Type.tp_methods = mapiter_methods;
    return PyType_Ready(&IdkMapIter_Type);
}
