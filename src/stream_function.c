/* stream_function.c: what @idiokit.stream returns: a callable that calls the
 * decorated generator (or async def) function and runs the result as a task,
 * with no Python frame of ours per call.
 *
 * It binds like a function when found on a class (so decorated methods get
 * self), and has a __dict__ so functools.update_wrapper can give it the
 * wrapped function's __name__, __doc__, __module__, __qualname__ and
 * __wrapped__.
 */
#include "core.h"

typedef struct {
    PyObject_HEAD
    PyObject *sf_func;     /* the decorated function */
    PyObject *sf_dict;
} IdkStreamFunc;

static PyObject *sf_call(IdkStreamFunc *sf, PyObject *args, PyObject *kw)
{
    PyObject *gen = PyObject_Call(sf->sf_func, args, kw), *task;
    if (gen == NULL)
        return NULL;
    task = idk_task_new(gen);
    Py_DECREF(gen);
    return task;
}

static PyObject *sf_descr_get(PyObject *self, PyObject *obj, PyObject *type)
{
    if (obj == NULL || obj == Py_None)
        return idk_newref(self);
    return idk_method_new(self, obj, type);
}

static int sf_traverse(IdkStreamFunc *sf, visitproc visit, void *arg)
{
    Py_VISIT(sf->sf_func);
    Py_VISIT(sf->sf_dict);
    return 0;
}

static int sf_clear(IdkStreamFunc *sf)
{
    Py_CLEAR(sf->sf_func);
    Py_CLEAR(sf->sf_dict);
    return 0;
}

static void sf_dealloc(IdkStreamFunc *sf)
{
    PyObject_GC_UnTrack(sf);
    sf_clear(sf);
    PyObject_GC_Del(sf);
}

static PyObject *sf_repr(IdkStreamFunc *sf)
{
    PyObject *r = PyObject_Repr(sf->sf_func), *out;
    if (r == NULL)
        return NULL;
    out = IDK_STR_FROM_FORMAT("<idiokit stream function %s>", idk_str_utf8(r));
    Py_DECREF(r);
    return out;
}

static PyObject *sf_get_dict(IdkStreamFunc *sf, void *closure)
{
    (void)closure;
    if (sf->sf_dict == NULL && (sf->sf_dict = PyDict_New()) == NULL)
        return NULL;
    return idk_newref(sf->sf_dict);
}

static int sf_set_dict(IdkStreamFunc *sf, PyObject *value, void *closure)
{
    (void)closure;
    if (value == NULL || !PyDict_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "__dict__ must be set to a dict");
        return -1;
    }
    Py_XSETREF(sf->sf_dict, idk_newref(value));
    return 0;
}

static PyGetSetDef sf_getset[] = {
    {"__dict__", (getter)sf_get_dict, (setter)sf_set_dict, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}
};

PyTypeObject IdkStreamFunc_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "idiokit._core.stream_function",
    .tp_basicsize = sizeof(IdkStreamFunc),
};

/* stream_function(func): the callable behind @idiokit.stream. */
PyObject *idk_stream_function(PyObject *self, PyObject *func)
{
    IdkStreamFunc *sf;
    (void)self;
    if (!PyCallable_Check(func)) {
        idk_err_repr(PyExc_TypeError, "", func, " is not callable");
        return NULL;
    }
    sf = IDK_ALLOC(IdkStreamFunc, &IdkStreamFunc_Type);
    if (sf == NULL)
        return NULL;
    sf->sf_func = idk_newref(func);
    sf->sf_dict = NULL;
    return (PyObject *)sf;
}

int idk_stream_function_type_ready(void)
{
    IdkStreamFunc_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
    IdkStreamFunc_Type.tp_call = (ternaryfunc)sf_call;
    IdkStreamFunc_Type.tp_descr_get = sf_descr_get;
    IdkStreamFunc_Type.tp_dictoffset = offsetof(IdkStreamFunc, sf_dict);
    IdkStreamFunc_Type.tp_getset = sf_getset;
    IdkStreamFunc_Type.tp_getattro = PyObject_GenericGetAttr;
    IdkStreamFunc_Type.tp_setattro = PyObject_GenericSetAttr;
    IdkStreamFunc_Type.tp_traverse = (traverseproc)sf_traverse;
    IdkStreamFunc_Type.tp_clear = (inquiry)sf_clear;
    IdkStreamFunc_Type.tp_dealloc = (destructor)sf_dealloc;
    IdkStreamFunc_Type.tp_repr = (reprfunc)sf_repr;
    IdkStreamFunc_Type.tp_doc = "A stream function: calling it starts a stream.";
    return PyType_Ready(&IdkStreamFunc_Type);
}
