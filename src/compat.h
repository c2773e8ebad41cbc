/* compat.h: the one place that knows which Python version we build for.
 *
 * Every `#if PY_VERSION_HEX` of the extension lives here.  The rest of the C
 * code calls the idk_* shims below and never tests versions itself.
 *
 * Exceptions are carried around as one owned "exc" object:
 *   - Python 3: the normalized exception instance (traceback in __traceback__);
 *   - Python 2: a (type, value, traceback) tuple with a normalized value.
 */
#ifndef IDK_COMPAT_H
#define IDK_COMPAT_H

/* No PY_SSIZE_T_CLEAN: no '#' formats are used, and without it the public
 * argument and call functions link by their own (public) names. */
#include <Python.h>
#include <stddef.h>
#include <frameobject.h>
#include <pythread.h>

#if PY_MAJOR_VERSION >= 3
#define IDK_PY3 1
#else
#define IDK_PY3 0
#endif

/* Freelists hide use-after-free from AddressSanitizer: off in ASan builds. */
#if defined(__SANITIZE_ADDRESS__)
#define IDK_FREELISTS 0
#else
#define IDK_FREELISTS 1
#endif

#ifndef Py_RETURN_NONE
#define Py_RETURN_NONE return Py_INCREF(Py_None), Py_None
#endif

#ifndef Py_TYPE
#define Py_TYPE(ob) (((PyObject *)(ob))->ob_type)
#endif

static inline PyObject *idk_newref(PyObject *o) { Py_INCREF(o); return o; }

/* A new zeroed instance of `type` through its public tp_alloc (the
 * PyObject_New macros expand to private functions).  A GC type's instance
 * comes back tracked. */
#define IDK_ALLOC(T, type) ((T *)(type)->tp_alloc((type), 0))
static inline PyObject *idk_xnewref(PyObject *o) { Py_XINCREF(o); return o; }

#if !IDK_PY3
#define PyLong_FromLong PyInt_FromLong
#define IDK_STR_FROM PyString_FromString
#define IDK_INTERN PyString_InternFromString
#define IDK_STR_FROM_FORMAT PyString_FromFormat
#define IDK_TPFLAGS_DEFAULT (Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_ITER)
#else
#define IDK_STR_FROM PyUnicode_FromString
#define IDK_INTERN PyUnicode_InternFromString
#define IDK_STR_FROM_FORMAT PyUnicode_FromFormat
#define IDK_TPFLAGS_DEFAULT Py_TPFLAGS_DEFAULT
#endif

/* A native str from raw bytes, one char per byte: Python 2's str, or
 * Python 3's latin-1 str (HTTP's header and request-line text). */
#if IDK_PY3
#define IDK_NATIVE_STR(s, n) PyUnicode_DecodeLatin1((s), (Py_ssize_t)(n), NULL)
#else
#define IDK_NATIVE_STR(s, n) PyString_FromStringAndSize((s), (Py_ssize_t)(n))
#endif

/* Raise `type` with the message before + repr(obj) + after (Python 2's
 * PyErr_Format has no %R). */
static inline void idk_err_repr(PyObject *type, const char *before, PyObject *obj,
                                const char *after)
{
    PyObject *r = PyObject_Repr(obj);
    if (r == NULL)
        return;
#if PY_MAJOR_VERSION >= 3
    PyErr_Format(type, "%s%U%s", before, r, after);
#else
    PyErr_Format(type, "%s%s%s", before, PyString_AsString(r), after);
#endif
    Py_DECREF(r);
}

/* ---- exceptions as one owned object ---------------------------------- */

/* Take the current exception (which must be set); new reference. */
static inline PyObject *idk_exc_fetch(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#elif IDK_PY3
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL && value != NULL)
        PyException_SetTraceback(value, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
#else
    PyObject *type, *value, *tb, *exc;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value == NULL) { value = Py_None; Py_INCREF(value); }
    if (tb == NULL) { tb = Py_None; Py_INCREF(tb); }
    exc = PyTuple_Pack(3, type, value, tb);
    Py_XDECREF(type); Py_DECREF(value); Py_DECREF(tb);
    return exc;
#endif
}

/* Make `exc` the current exception (borrowed). */
static inline void idk_exc_restore(PyObject *exc)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(idk_newref(exc));
#elif IDK_PY3
    PyErr_Restore(idk_newref((PyObject *)Py_TYPE(exc)), idk_newref(exc),
                  PyException_GetTraceback(exc));
#else
    PyObject *tb = PyTuple_GET_ITEM(exc, 2);
    PyErr_Restore(idk_newref(PyTuple_GET_ITEM(exc, 0)),
                  idk_newref(PyTuple_GET_ITEM(exc, 1)),
                  tb == Py_None ? NULL : idk_newref(tb));
#endif
}

/* The exception instance of `exc` (borrowed). */
static inline PyObject *idk_exc_value(PyObject *exc)
{
#if IDK_PY3
    return exc;
#else
    return PyTuple_GET_ITEM(exc, 1);
#endif
}

/* Build an exc from an instance (a fresh one: no traceback yet); new ref. */
static inline PyObject *idk_exc_from_value(PyObject *value)
{
#if IDK_PY3
    return idk_newref(value);
#else
    return PyTuple_Pack(3, (PyObject *)Py_TYPE(value), value, Py_None);
#endif
}

/* A method object for a C function put in a class's dict, so that it
 * binds to the instance as a Python function would. */
static inline PyObject *idk_instance_method(PyObject *func)
{
#if IDK_PY3
    return PyInstanceMethod_New(func);
#else
    return PyMethod_New(func, NULL, NULL);
#endif
}

/* Is `exc`'s instance an instance of `cls`? */
static inline int idk_exc_matches(PyObject *exc, PyObject *cls)
{
    return PyObject_IsInstance(idk_exc_value(exc), cls) == 1;
}

/* Under PEP 479 a StopIteration leaving a generator becomes RuntimeError with
 * the StopIteration as __cause__.  Return that StopIteration (borrowed) or
 * NULL. */
static inline PyObject *idk_exc_pep479_cause(PyObject *exc)
{
#if IDK_PY3
    PyObject *cause;
    if (!PyErr_GivenExceptionMatches(exc, PyExc_RuntimeError))
        return NULL;
    cause = PyException_GetCause(exc);   /* new reference or NULL */
    if (cause == NULL)
        return NULL;
    Py_DECREF(cause);                    /* still owned by exc */
    if (!PyErr_GivenExceptionMatches(cause, PyExc_StopIteration))
        return NULL;
    return cause;
#else
    (void)exc;
    return NULL;
#endif
}

/* The args of an exception instance; new reference. */
static inline PyObject *idk_exc_args(PyObject *value)
{
    return PyObject_GetAttrString(value, "args");
}

/* (type, value, traceback) of an exc, as logging's exc_info wants; new ref. */
static inline PyObject *idk_exc_info(PyObject *exc)
{
#if IDK_PY3
    PyObject *tb = PyException_GetTraceback(exc), *r;
    r = PyTuple_Pack(3, (PyObject *)Py_TYPE(exc), exc, tb ? tb : Py_None);
    Py_XDECREF(tb);
    return r;
#else
    return idk_newref(exc);
#endif
}

/* An exc from a new instance (steals nothing) and a traceback or None;
 * new reference. */
static inline PyObject *idk_exc_with_tb(PyObject *value, PyObject *tb)
{
#if IDK_PY3
    if (tb != NULL && PyTraceBack_Check(tb))
        PyException_SetTraceback(value, tb);
    return idk_newref(value);
#else
    return PyTuple_Pack(3, (PyObject *)Py_TYPE(value), value, tb ? tb : Py_None);
#endif
}

/* Is `obj` an exc as this version stores them? */
static inline int idk_exc_check(PyObject *obj)
{
#if IDK_PY3
    return PyExceptionInstance_Check(obj);
#else
    return PyTuple_Check(obj) && PyTuple_GET_SIZE(obj) == 3;
#endif
}

/* ---- text ------------------------------------------------------------------- */

/* The native str from UTF-8 bytes: text on Python 3 (undecodable bytes kept
 * with surrogateescape), the bytes themselves on Python 2. */
static inline PyObject *idk_text_from_utf8(const char *s, Py_ssize_t n)
{
#if IDK_PY3
    return PyUnicode_DecodeUTF8(s, n, "surrogateescape");
#else
    return PyString_FromStringAndSize(s, n);
#endif
}

/* The bytes of an exact native str whose characters are all one byte (Python
 * 3: latin-1 text; 2.7: any str), and its length in *n; NULL (no exception)
 * for anything else. */
static inline const char *idk_native_str_view(PyObject *o, Py_ssize_t *n)
{
#if IDK_PY3
    if (!PyUnicode_CheckExact(o))
        return NULL;
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(o) < 0) {
        PyErr_Clear();
        return NULL;
    }
#endif
    if (PyUnicode_KIND(o) != PyUnicode_1BYTE_KIND)
        return NULL;
    *n = PyUnicode_GET_LENGTH(o);
    return (const char *)PyUnicode_1BYTE_DATA(o);
#else
    if (!PyString_CheckExact(o))
        return NULL;
    *n = PyString_GET_SIZE(o);
    return PyString_AS_STRING(o);
#endif
}

static inline const char *idk_str_utf8(PyObject *o)
{
#if IDK_PY3
    return PyUnicode_AsUTF8(o);
#else
    return PyString_AsString(o);
#endif
}

/* ---- type features ----------------------------------------------------------- */

/* am_send (3.10+): resuming an await returns the value without an exception. */
#define IDK_HAS_AM_SEND (PY_VERSION_HEX >= 0x030A0000)

#if IDK_PY3
#define IDK_TPFLAGS_CHECKTYPES 0
#define IDK_DECLARE_ASYNC(name) static PyAsyncMethods name
#define IDK_SET_AWAIT(type, methods, fn) \
    do { (methods).am_await = (unaryfunc)(fn); (type).tp_as_async = &(methods); } while (0)
#define IDK_SET_FINALIZE(type, fn) ((type).tp_finalize = (destructor)(fn))
#else
#define IDK_TPFLAGS_CHECKTYPES Py_TPFLAGS_CHECKTYPES
#define IDK_DECLARE_ASYNC(name) static int name
#define IDK_SET_AWAIT(type, methods, fn) do { (void)(methods); (void)(fn); } while (0)
#define IDK_SET_FINALIZE(type, fn) ((void)(fn))
#endif

#if PY_VERSION_HEX >= 0x03040000 && PY_VERSION_HEX < 0x03080000
#define IDK_TPFLAGS_FINALIZE Py_TPFLAGS_HAVE_FINALIZE
#else
#define IDK_TPFLAGS_FINALIZE 0
#endif

/* In tp_dealloc: run the finalizer `fn` (PEP 442 on Python 3; by hand, with
 * the object briefly alive again, on Python 2).  Nonzero if the finalizer
 * resurrected the object, which must then not be freed. */
static inline int idk_finalize_from_dealloc(PyObject *o, destructor fn)
{
#if IDK_PY3
    (void)fn;
    return PyObject_CallFinalizerFromDealloc(o) < 0;
#else
    o->ob_refcnt = 1;
    fn(o);
    return --o->ob_refcnt != 0;
#endif
}

/* A bound method of `func` for `obj` (how a function binds on a class). */
static inline PyObject *idk_method_new(PyObject *func, PyObject *obj, PyObject *type)
{
#if IDK_PY3
    (void)type;
    return PyMethod_New(func, obj);
#else
    return PyMethod_New(func, obj, type);
#endif
}

/* Take a tracked object out of the cyclic GC; 1 if it was tracked (and must
 * be tracked again before anyone can free it).  Without a public way to ask
 * (before 3.9) it leaves the object alone and returns 0. */
static inline int idk_gc_untrack_if_tracked(PyObject *o)
{
#if PY_VERSION_HEX >= 0x03090000
    if (PyObject_IS_GC(o) && PyObject_GC_IsTracked(o)) {
        PyObject_GC_UnTrack(o);
        return 1;
    }
#else
    (void)o;
#endif
    return 0;
}

/* ---- calls --------------------------------------------------------------------- */

/* func(*args[:nargs], name=value), where kwnames is the 1-tuple (name,), or
 * func(*args[:nargs]) when kwnames is NULL; new reference.  3.9+ makes no
 * argument tuple or keyword dict (vectorcall) for up to 8 positional ones. */
static inline PyObject *idk_call_plus_kw(PyObject *func, PyObject *const *args, Py_ssize_t nargs,
                                         PyObject *kwnames, PyObject *value)
{
    PyObject *tuple, *dict = NULL, *r = NULL;
    Py_ssize_t i;
#if PY_VERSION_HEX >= 0x03090000
    PyObject *stack[9];
    if (nargs <= 8) {
        for (i = 0; i < nargs; i++)
            stack[i] = args[i];
        stack[nargs] = value;
        return PyObject_Vectorcall(func, stack, (size_t)nargs, kwnames);
    }
#endif
    if ((tuple = PyTuple_New(nargs)) == NULL)
        return NULL;
    for (i = 0; i < nargs; i++)
        PyTuple_SET_ITEM(tuple, i, idk_newref(args[i]));
    if (kwnames != NULL && (dict = PyDict_New()) != NULL
            && PyDict_SetItem(dict, PyTuple_GET_ITEM(kwnames, 0), value) < 0)
        Py_CLEAR(dict);
    if (kwnames == NULL || dict != NULL)
        r = PyObject_Call(func, tuple, dict);
    Py_XDECREF(dict);
    Py_DECREF(tuple);
    return r;
}

/* ---- stepping generators and coroutines -------------------------------- */

/* it.name(arg), with arg passed as one argument even when it is a tuple
 * (PyObject_CallMethod's "O" would unpack a tuple). */
static inline PyObject *idk_call_method1(PyObject *it, const char *name, PyObject *arg)
{
    PyObject *meth = PyObject_GetAttrString(it, name), *r;
    if (meth == NULL)
        return NULL;
    r = PyObject_CallFunctionObjArgs(meth, arg, NULL);
    Py_DECREF(meth);
    return r;
}

enum { IDK_SEND_YIELD = 0, IDK_SEND_RETURN = 1, IDK_SEND_ERROR = -1 };

/* Send `value` (borrowed) into iterator `it`.  On IDK_SEND_YIELD *out is the
 * yielded object; on IDK_SEND_RETURN *out is the return value (both new
 * references); on IDK_SEND_ERROR an exception is set.  A StopIteration raised
 * by the iterator is reported as an error, so that the caller sees its args
 * in one place. */
static inline int idk_iter_send(PyObject *it, PyObject *value, PyObject **out)
{
#if PY_VERSION_HEX >= 0x030A0000
    PySendResult r;
    if (value == Py_None && Py_TYPE(it)->tp_iternext != NULL
            && !PyGen_CheckExact(it) && !PyCoro_CheckExact(it)) {
        *out = Py_TYPE(it)->tp_iternext(it);
        return *out != NULL ? IDK_SEND_YIELD : IDK_SEND_ERROR;
    }
    if (!PyGen_CheckExact(it) && !PyCoro_CheckExact(it)) {
        *out = idk_call_method1(it, "send", value);
        return *out != NULL ? IDK_SEND_YIELD : IDK_SEND_ERROR;
    }
    r = PyIter_Send(it, value, out);
    if (r == PYGEN_NEXT)
        return IDK_SEND_YIELD;
    if (r == PYGEN_RETURN)
        return IDK_SEND_RETURN;
    return IDK_SEND_ERROR;
#else
    if (value == Py_None && Py_TYPE(it)->tp_iternext != NULL) {
        *out = Py_TYPE(it)->tp_iternext(it);
    } else {
        *out = idk_call_method1(it, "send", value);
    }
    if (*out != NULL)
        return IDK_SEND_YIELD;
#if IDK_PY3
    /* A generator exhausted through tp_iternext returns NULL with no error. */
    if (!PyErr_Occurred()) {
        *out = idk_newref(Py_None);
        return IDK_SEND_RETURN;
    }
#else
    if (!PyErr_Occurred()) {
        *out = idk_newref(Py_None);
        return IDK_SEND_RETURN;
    }
#endif
    return IDK_SEND_ERROR;
#endif
}

/* Throw `exc` (an idk exc object, borrowed) into iterator `it`. */
static inline int idk_iter_throw(PyObject *it, PyObject *exc, PyObject **out)
{
#if IDK_PY3
    *out = idk_call_method1(it, "throw", exc);
#else
    *out = PyObject_CallMethod(it, "throw", "OOO", PyTuple_GET_ITEM(exc, 0),
                               PyTuple_GET_ITEM(exc, 1),
                               PyTuple_GET_ITEM(exc, 2));
#endif
    return *out != NULL ? IDK_SEND_YIELD : IDK_SEND_ERROR;
}

static inline int idk_is_coroutine(PyObject *it)
{
#if PY_VERSION_HEX >= 0x03050000
    return PyCoro_CheckExact(it);
#else
    (void)it;
    return 0;
#endif
}

/* ---- module creation ---------------------------------------------------- */

/* setup.py compiles with -fvisibility=hidden, so that calls between our own
 * files are direct (no PLT, and inlinable); the init function is the one
 * symbol the interpreter looks up.  PyMODINIT_FUNC marks it visible only on
 * some versions (3.9+), so say it here for all. */
#if defined(__GNUC__)
#define IDK_EXPORT __attribute__((visibility("default")))
#else
#define IDK_EXPORT
#endif

#if IDK_PY3
#define IDK_MOD_INIT(name) IDK_EXPORT PyMODINIT_FUNC PyInit_##name(void)
#define IDK_MOD_RETURN(m) return (m)
#define IDK_MODULE_DEF(var, name, doc, methods) \
    static struct PyModuleDef var = {PyModuleDef_HEAD_INIT, name, doc, -1, methods, \
                                     NULL, NULL, NULL, NULL}
#define IDK_MODULE_CREATE(var, name, doc, methods) PyModule_Create(&(var))
#define IDK_MODULE_DISCARD(m) Py_DECREF(m)
#else
#define IDK_MOD_INIT(name) IDK_EXPORT PyMODINIT_FUNC init##name(void)
#define IDK_MOD_RETURN(m) do { (void)(m); return; } while (0)
#define IDK_MODULE_DEF(var, name, doc, methods) static int var
#define IDK_MODULE_CREATE(var, name, doc, methods) \
    ((void)(var), Py_InitModule3(name, methods, doc))
#define IDK_MODULE_DISCARD(m) ((void)(m))
#endif

static inline int idk_is_finalizing(void)
{
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing();
#else
    return 0;   /* no public API before 3.13; callers also check the loop */
#endif
}

/* Methods on the per-call path (recv, send, ...) are written once as
 *     impl(self, PyObject *const *args, Py_ssize_t nargs, IdkKw kw)
 * and exposed through IDK_FAST_METHOD: METH_FASTCALL | METH_KEYWORDS on 3.7+
 * (no argument tuple per call), a METH_VARARGS | METH_KEYWORDS wrapper on 2.7.
 * kw carries keywords in the calling convention's form; idk_kw_next() walks
 * them (nothing to walk in the common keyword-free call). */
typedef struct {
    PyObject *names;   /* 3.7+: kwnames (values follow the positional ones) */
    PyObject *dict;    /* 2.7: the keyword dict */
} IdkKw;

#if PY_VERSION_HEX >= 0x03070000
#define IDK_FAST_FLAGS (METH_FASTCALL | METH_KEYWORDS)
#define IDK_FAST_METHOD(name, impl, self_type)                                              \
    static PyObject *name(PyObject *self, PyObject *const *args, Py_ssize_t nargs,          \
                          PyObject *kwnames)                                                \
    {                                                                                       \
        IdkKw kw = {kwnames, NULL};                                                         \
        return impl((self_type *)self, args, nargs, kw);                                    \
    }
#else
#define IDK_FAST_FLAGS (METH_VARARGS | METH_KEYWORDS)
#define IDK_FAST_METHOD(name, impl, self_type)                                              \
    static PyObject *name(PyObject *self, PyObject *args, PyObject *kwdict)                 \
    {                                                                                       \
        IdkKw kw = {NULL, kwdict};                                                          \
        return impl((self_type *)self, &PyTuple_GET_ITEM(args, 0), PyTuple_GET_SIZE(args),  \
                    kw);                                                                    \
    }
#endif

/* Module functions on the per-message path (next(), send(*args)) take
 * positional arguments only, written once as
 *     impl(PyObject *const *args, Py_ssize_t nargs)
 * and exposed through IDK_POSITIONAL_FUNC: METH_FASTCALL on 3.7+ (CPython
 * calls it straight from the bytecode, with no tp_call round trip), a
 * METH_VARARGS wrapper on 2.7. */
#if PY_VERSION_HEX >= 0x03070000
#define IDK_POSITIONAL_FLAGS METH_FASTCALL
#define IDK_POSITIONAL_FUNC(name, impl)                                                     \
    static PyObject *name(PyObject *self, PyObject *const *args, Py_ssize_t nargs)          \
    {                                                                                       \
        (void)self;                                                                         \
        return impl(args, nargs);                                                           \
    }
#else
#define IDK_POSITIONAL_FLAGS METH_VARARGS
#define IDK_POSITIONAL_FUNC(name, impl)                                                     \
    static PyObject *name(PyObject *self, PyObject *args)                                   \
    {                                                                                       \
        (void)self;                                                                         \
        return impl(&PyTuple_GET_ITEM(args, 0), PyTuple_GET_SIZE(args));                    \
    }
#endif
#define IDK_POSITIONAL_CAST(f) ((PyCFunction)(void (*)(void))(f))

/* Walk the keywords: *pos starts at 0; 1 with a borrowed (key, value), 0 at the end. */
static inline int idk_kw_next(IdkKw kw, PyObject *const *args, Py_ssize_t nargs,
                              Py_ssize_t *pos, PyObject **key, PyObject **value)
{
    if (kw.dict != NULL)
        return PyDict_Next(kw.dict, pos, key, value);
    if (kw.names == NULL || *pos >= PyTuple_GET_SIZE(kw.names))
        return 0;
    *key = PyTuple_GET_ITEM(kw.names, *pos);
    *value = args[nargs + *pos];
    (*pos)++;
    return 1;
}

/* A keyword's text for an error message ("?" if it is not a str). */
static inline const char *idk_name_text(PyObject *key)
{
    const char *text = NULL;
#if IDK_PY3
    if (PyUnicode_Check(key))
        text = PyUnicode_AsUTF8(key);
#else
    if (PyString_Check(key))
        text = PyString_AS_STRING(key);
#endif
    if (text == NULL)
        PyErr_Clear();
    return text != NULL ? text : "?";
}

/* 1 if the keyword `key` (a str) is `name`. */
static inline int idk_name_is(PyObject *key, const char *name)
{
#if IDK_PY3
    return PyUnicode_Check(key) && PyUnicode_CompareWithASCIIString(key, name) == 0;
#else
    return PyString_Check(key) && strcmp(PyString_AS_STRING(key), name) == 0;
#endif
}

#endif /* IDK_COMPAT_H */
