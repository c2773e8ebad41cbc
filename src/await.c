/* await.c: Await, the iterator behind `await stream` in an async def
 * stream: it yields the stream itself once (the task waits on it) and
 * returns the value the task resumes it with.
 *
 * Invariants:
 *  - The stream is yielded at most once, then dropped; a throw or close
 *    drops it too.
 *  - One is made per await: their memory is reused (a freelist on the loop).
 *  - On 3.10+ the coroutine resumes it through am_send, with no
 *    StopIteration built for the value.
 */
#include "core.h"

typedef struct {
    PyObject_HEAD
    PyObject *aw_stream;   /* yielded once, then cleared */
} IdkAwait;

/* One is made per `await stream`: their memory is reused (freelist on the loop). */

static PyObject *await_next(IdkAwait *aw)
{
    PyObject *s = aw->aw_stream;
    if (s != NULL) {
        aw->aw_stream = NULL;
        return s;                  /* the task sees the stream itself */
    }
    return NULL;                   /* resumed with None: the await gives None */
}

static PyObject *await_send(IdkAwait *aw, PyObject *value)
{
    PyObject *stop;
    if (aw->aw_stream != NULL) {
        if (value != Py_None) {
            PyErr_SetString(PyExc_TypeError, "can't send non-None value to a just-started await");
            return NULL;
        }
        return await_next(aw);
    }
    stop = PyObject_CallFunctionObjArgs(PyExc_StopIteration, value, NULL);
    if (stop != NULL) {
        PyErr_SetObject(PyExc_StopIteration, stop);
        Py_DECREF(stop);
    }
    return NULL;
}

static PyObject *await_throw(IdkAwait *aw, PyObject *args)
{
    PyObject *exc = idk_exc_from_throw_args(args);
    Py_CLEAR(aw->aw_stream);
    if (exc != NULL) {
        idk_exc_restore(exc);
        Py_DECREF(exc);
    }
    return NULL;
}

static PyObject *await_close(IdkAwait *aw, PyObject *unused)
{
    (void)unused;
    Py_CLEAR(aw->aw_stream);
    Py_RETURN_NONE;
}

static void await_dealloc(IdkAwait *aw)
{
    Py_XDECREF(aw->aw_stream);
    if (!idk_freelist_push(IDK_FL_AWAIT, aw))
        PyObject_Del(aw);
}

PyObject *idk_await_new(PyObject *stream)
{
    IdkAwait *aw = (IdkAwait *)idk_freelist_pop(IDK_FL_AWAIT);
    if (aw != NULL)
        aw = (IdkAwait *)PyObject_Init((PyObject *)aw, &IdkAwait_Type);
    else
        aw = IDK_ALLOC(IdkAwait, &IdkAwait_Type);
    if (aw == NULL)
        return NULL;
    aw->aw_stream = idk_newref(stream);
    return (PyObject *)aw;
}

#if IDK_HAS_AM_SEND
/* The coroutine resumes its await through this slot (3.10+): the value comes
 * back as a return, with no StopIteration built for it. */
static PySendResult await_am_send(IdkAwait *aw, PyObject *value, PyObject **result)
{
    if (aw->aw_stream != NULL) {
        if (value != Py_None) {
            PyErr_SetString(PyExc_TypeError, "can't send non-None value to a just-started await");
            *result = NULL;
            return PYGEN_ERROR;
        }
        *result = aw->aw_stream;
        aw->aw_stream = NULL;
        return PYGEN_NEXT;
    }
    *result = idk_newref(value);
    return PYGEN_RETURN;
}

static PyAsyncMethods await_as_async;
#endif

static PyMethodDef await_methods[] = {
    {"send", (PyCFunction)await_send, METH_O, NULL},
    {"throw", (PyCFunction)await_throw, METH_VARARGS, NULL},
    {"close", (PyCFunction)await_close, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}
};

PyTypeObject IdkAwait_Type = {PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.Await", .tp_basicsize = sizeof(IdkAwait)};

int idk_await_type_ready(void)
{
    IdkAwait_Type.tp_flags = IDK_TPFLAGS_DEFAULT;
    IdkAwait_Type.tp_dealloc = (destructor)await_dealloc;
    IdkAwait_Type.tp_iter = PyObject_SelfIter;
    IdkAwait_Type.tp_iternext = (iternextfunc)await_next;
    IdkAwait_Type.tp_methods = await_methods;
#if IDK_HAS_AM_SEND
    await_as_async.am_send = (sendfunc)await_am_send;
    IdkAwait_Type.tp_as_async = &await_as_async;
#endif
    return PyType_Ready(&IdkAwait_Type);
}
