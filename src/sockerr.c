/* sockerr.c: the socket exception classes and the errors the socket
 * operations raise.
 *
 * The C module creates SocketError (an IOError/OSError), and its subclasses
 * SocketTimeout, SocketGAIError and SocketHError, named as idiokit.socket
 * re-exports them.  The stdlib's socket exceptions are turned into these
 * here, with the same args (errno, strerror); nothing calls back into
 * Python to do it.
 *
 * Invariants: the classes and the stdlib classes looked up at init are
 * immutable module state; every function returns a new exception in the
 * stored form of compat.h (idk_exc_*), never NULL (a failure to build one
 * gives that failure instead).
 */
#include "sock.h"
#include <string.h>

PyObject *idk_sock_error_cls = NULL, *idk_sock_timeout_cls = NULL;
static PyObject *gai_error_cls = NULL, *h_error_cls = NULL;
/* The stdlib's: _socket.error (OSError on Python 3), gaierror, herror, timeout. */
static PyObject *std_error, *std_gaierror, *std_herror, *std_timeout;

static PyObject *exc_of(PyObject *cls, PyObject *args)
{
    PyObject *v = args != NULL ? PyObject_Call(cls, args, NULL) : NULL, *exc;
    Py_XDECREF(args);
    if (v == NULL)
        return idk_exc_fetch();
    exc = idk_exc_from_value(v);
    Py_DECREF(v);
    return exc;
}

PyObject *idk_sock_exc_errno(int err, const char *text)
{
    return exc_of(idk_sock_error_cls,
                  Py_BuildValue("(is)", err, text != NULL ? text : strerror(err)));
}

PyObject *idk_sock_exc_timeout(void)
{
    return exc_of(idk_sock_timeout_cls, Py_BuildValue("(s)", "timed out"));
}

/* Our class for a stdlib socket exception value, or NULL: leave it as it is. */
static PyObject *class_for(PyObject *value)
{
    if (PyObject_TypeCheck(value, (PyTypeObject *)idk_sock_error_cls))
        return NULL;
    if (PyErr_GivenExceptionMatches(value, std_gaierror))
        return gai_error_cls;
    if (PyErr_GivenExceptionMatches(value, std_herror))
        return h_error_cls;
    if (PyErr_GivenExceptionMatches(value, std_timeout))
        return idk_sock_timeout_cls;
    if (PyErr_GivenExceptionMatches(value, std_error))
        return idk_sock_error_cls;
    return NULL;
}

/* The converted exception for a stored one; a new reference. */
static PyObject *convert(PyObject *exc)
{
    PyObject *value = idk_exc_value(exc), *cls = class_for(value), *args;
    if (cls == NULL)
        return idk_newref(exc);
    args = idk_exc_args(value);
    if (args == NULL || !PyTuple_Check(args)) {
        Py_XDECREF(args);
        PyErr_Clear();
        return idk_newref(exc);
    }
    return exc_of(cls, args);
}

PyObject *idk_sock_exc_fetch(void)
{
    PyObject *exc = idk_exc_fetch(), *conv = convert(exc);
    Py_DECREF(exc);
    return conv;
}

/* _socket_error(exc): exc as idiokit.socket raises it (for the Python
 * layer's calls of the stdlib socket); exc itself if it is no socket error. */
static PyObject *mod_socket_error(PyObject *self, PyObject *value)
{
    PyObject *exc, *conv, *r;
    (void)self;
    if (!PyExceptionInstance_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "_socket_error() takes an exception");
        return NULL;
    }
    if ((exc = idk_exc_from_value(value)) == NULL)
        return NULL;
    conv = convert(exc);
    Py_DECREF(exc);
    r = idk_newref(idk_exc_value(conv));
    Py_DECREF(conv);
    return r;
}

static PyMethodDef socket_error_def = {
    "_socket_error", mod_socket_error, METH_O,
    "_socket_error(exc): the idiokit.socket exception for a stdlib socket exception."
};

static PyObject *new_class(PyObject *m, const char *name, PyObject *base, const char *doc)
{
    char full[64];
    PyObject *cls;
    PyOS_snprintf(full, sizeof(full), "idiokit.socket.%s", name);
    cls = PyErr_NewExceptionWithDoc(full, (char *)doc, base, NULL);
    if (cls == NULL)
        return NULL;
    Py_INCREF(cls);           /* one for the module, one kept here */
    if (PyModule_AddObject(m, name, cls) < 0) {
        Py_DECREF(cls);
        return NULL;
    }
    return cls;
}

static PyObject *std_class(PyObject *mod, const char *name)
{
    return PyObject_GetAttrString(mod, name);
}

int idk_sock_errors_init(PyObject *m)
{
    PyObject *std = PyImport_ImportModule("_socket"), *f;
    if (std == NULL)
        return -1;
    std_error = std_class(std, "error");
    std_gaierror = std_class(std, "gaierror");
    std_herror = std_class(std, "herror");
    std_timeout = std_class(std, "timeout");
    Py_DECREF(std);
    if (std_error == NULL || std_gaierror == NULL || std_herror == NULL || std_timeout == NULL)
        return -1;
    idk_sock_error_cls = new_class(m, "SocketError", PyExc_IOError,
                                   "A socket operation failed: args are (errno, strerror).");
    if (idk_sock_error_cls == NULL)
        return -1;
    idk_sock_timeout_cls = new_class(m, "SocketTimeout", idk_sock_error_cls,
                                     "A socket operation timed out.");
    gai_error_cls = new_class(m, "SocketGAIError", idk_sock_error_cls,
                              "Address lookup failed (the stdlib's gaierror).");
    h_error_cls = new_class(m, "SocketHError", idk_sock_error_cls,
                            "Host lookup failed (the stdlib's herror).");
    if (idk_sock_timeout_cls == NULL || gai_error_cls == NULL || h_error_cls == NULL)
        return -1;
    f = PyCFunction_New(&socket_error_def, NULL);
    if (f == NULL || PyModule_AddObject(m, socket_error_def.ml_name, f) < 0)
        return -1;
    return 0;
}
