/* sockerr.c: the socket exception classes and the errors the socket
 * operations raise.
 *
 * The C module creates SocketError (an IOError/OSError), and its subclasses
 * SocketTimeout, SocketGAIError and SocketHError, named as idiokit.socket
 * re-exports them.  The stdlib's socket exceptions are turned into these
 * here, with the same args (errno, strerror); nothing calls back into
 * Python to do it.
 *
 * TLS errors: _core._ssl_errors() (called by idiokit.ssl when it loads)
 * imports the stdlib's ssl module and makes SSLError (a SocketError that is
 * also an ssl.SSLError) and SSLCertificateError (also the stdlib's
 * CertificateError); from then on a stdlib ssl error is turned into one of
 * them, with the stdlib error's args and its reason, library, verify_code
 * and verify_message.  A process that never loads idiokit.ssl never imports
 * ssl.
 *
 * Invariants: the classes and the stdlib classes looked up at init are
 * immutable module state (the TLS ones are set once, on first use); every function returns a new exception in the
 * stored form of compat.h (idk_exc_*), never NULL (a failure to build one
 * gives that failure instead).
 */
#include "sock.h"
#include <string.h>

static PyObject *error_cls = NULL, *timeout_cls = NULL;
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
    return exc_of(error_cls,
                  Py_BuildValue("(is)", err, text != NULL ? text : strerror(err)));
}

PyObject *idk_sock_exc_timeout(void)
{
    return exc_of(timeout_cls, Py_BuildValue("(s)", "timed out"));
}

/* The TLS classes and the stdlib's, once _ssl_errors() has made them. */
static PyObject *ssl_error_cls = NULL, *ssl_cert_error_cls = NULL;
static PyObject *std_ssl_error = NULL, *std_cert_error = NULL, *cert_reason = NULL;

static int is_cert_error(PyObject *value)
{
    PyObject *reason;
    int r;
    if (PyErr_GivenExceptionMatches(value, std_cert_error))
        return 1;
    reason = PyObject_GetAttrString(value, "reason");
    if (reason == NULL) {
        PyErr_Clear();
        return 0;
    }
    r = PyObject_RichCompareBool(reason, cert_reason, Py_EQ);
    Py_DECREF(reason);
    if (r < 0)
        PyErr_Clear();
    return r > 0;
}

/* Our TLS class for a stdlib ssl error, or NULL. */
static PyObject *ssl_class_for(PyObject *value)
{
    if (ssl_error_cls == NULL)
        return NULL;
    if (!PyErr_GivenExceptionMatches(value, std_ssl_error)
            && !PyErr_GivenExceptionMatches(value, std_cert_error))
        return NULL;
    return is_cert_error(value) ? ssl_cert_error_cls : ssl_error_cls;
}

/* Our class for a stdlib socket exception value, or NULL: leave it as it is. */
static PyObject *class_for(PyObject *value)
{
    PyObject *cls;
    if (PyObject_TypeCheck(value, (PyTypeObject *)error_cls))
        return NULL;
    if ((cls = ssl_class_for(value)) != NULL)
        return cls;
    if (PyErr_GivenExceptionMatches(value, std_gaierror))
        return gai_error_cls;
    if (PyErr_GivenExceptionMatches(value, std_herror))
        return h_error_cls;
    if (PyErr_GivenExceptionMatches(value, std_timeout))
        return timeout_cls;
    if (PyErr_GivenExceptionMatches(value, std_error))
        return error_cls;
    return NULL;
}

/* Copy a stdlib ssl error's details onto ours (best effort: a missing or
 * unsettable attribute is left out). */
static void copy_ssl_details(PyObject *from, PyObject *to)
{
    static const char *const names[] = {"reason", "library", "verify_code", "verify_message"};
    size_t k;
    for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        PyObject *v = PyObject_GetAttrString(from, names[k]);
        if (v != NULL && v != Py_None && PyObject_SetAttrString(to, names[k], v) < 0)
            PyErr_Clear();
        if (v == NULL)
            PyErr_Clear();
        Py_XDECREF(v);
    }
}

/* The converted exception for a stored one; a new reference. */
static PyObject *convert(PyObject *exc)
{
    PyObject *value = idk_exc_value(exc), *cls = class_for(value), *args, *conv;
    if (cls == NULL)
        return idk_newref(exc);
    args = idk_exc_args(value);
    if (args == NULL || !PyTuple_Check(args)) {
        Py_XDECREF(args);
        PyErr_Clear();
        return idk_newref(exc);
    }
    conv = exc_of(cls, args);
    if (cls == ssl_error_cls || cls == ssl_cert_error_cls)
        copy_ssl_details(value, idk_exc_value(conv));
    return conv;
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

static PyObject *new_class_in(PyObject *m, const char *module, const char *name, PyObject *base,
                              const char *doc)
{
    char full[64];
    PyObject *cls;
    PyOS_snprintf(full, sizeof(full), "%s.%s", module, name);
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

static PyObject *new_class(PyObject *m, const char *name, PyObject *base, const char *doc)
{
    return new_class_in(m, "idiokit.socket", name, base, doc);
}

/* str() of a TLS error: its message (one arg) or its text (errno, text),
 * as the stdlib's socket errors read, not the stdlib ssl error's args tuple. */
static PyObject *ssl_error_str(PyObject *unused, PyObject *self)
{
    PyObject *args = PyObject_GetAttrString(self, "args"), *r;
    (void)unused;
    if (args == NULL)
        return NULL;
    if (PyTuple_Check(args) && (PyTuple_GET_SIZE(args) == 1 || PyTuple_GET_SIZE(args) == 2))
        r = PyObject_Str(PyTuple_GET_ITEM(args, PyTuple_GET_SIZE(args) - 1));
    else
        r = PyObject_Str(args);
    Py_DECREF(args);
    return r;
}

static PyMethodDef ssl_error_str_def = {"__str__", ssl_error_str, METH_O, NULL};

/* The TLS classes, with both bases: (ours, the stdlib's). */
static PyObject *new_ssl_class(PyObject *m, const char *name, PyObject *ours, PyObject *std,
                               const char *doc)
{
    PyObject *bases = PyTuple_Pack(2, ours, std), *cls = NULL;
    PyObject *func = PyCFunction_New(&ssl_error_str_def, NULL);
    PyObject *meth = func != NULL ? idk_instance_method(func) : NULL;
    if (bases == NULL || meth == NULL)
        goto done;
    cls = new_class_in(m, "idiokit.ssl", name, bases, doc);
    if (cls != NULL && PyObject_SetAttrString(cls, "__str__", meth) < 0)
        Py_CLEAR(cls);
done:
    Py_XDECREF(bases);
    Py_XDECREF(func);
    Py_XDECREF(meth);
    return cls;
}

/* _ssl_errors(): (SSLError, SSLCertificateError), made on the first call. */
static PyObject *mod_ssl_errors(PyObject *m, PyObject *unused)
{
    PyObject *ssl;
    (void)unused;
    if (ssl_error_cls != NULL)
        return PyTuple_Pack(2, ssl_error_cls, ssl_cert_error_cls);
    if ((ssl = PyImport_ImportModule("ssl")) == NULL)
        return NULL;
    std_ssl_error = PyObject_GetAttrString(ssl, "SSLError");
    std_cert_error = std_ssl_error != NULL ? PyObject_GetAttrString(ssl, "CertificateError") : NULL;
    Py_DECREF(ssl);
    cert_reason = Py_BuildValue("s", "CERTIFICATE_VERIFY_FAILED");
    if (std_cert_error == NULL || cert_reason == NULL)
        return NULL;
    ssl_error_cls = new_ssl_class(m, "SSLError", error_cls, std_ssl_error,
                                  "A TLS failure: a SocketError that is also an ssl.SSLError.");
    if (ssl_error_cls == NULL)
        return NULL;
    ssl_cert_error_cls = new_ssl_class(m, "SSLCertificateError", ssl_error_cls, std_cert_error,
                                       "The peer's certificate is not trusted, has expired, or "
                                       "does not match the host name.");
    if (ssl_cert_error_cls == NULL) {
        Py_CLEAR(ssl_error_cls);
        return NULL;
    }
    return PyTuple_Pack(2, ssl_error_cls, ssl_cert_error_cls);
}

static PyMethodDef ssl_errors_def = {
    "_ssl_errors", mod_ssl_errors, METH_NOARGS,
    "_ssl_errors(): (SSLError, SSLCertificateError), idiokit.ssl's classes, made on first use."
};

int idk_sock_errors_init(PyObject *m)
{
    PyObject *std = PyImport_ImportModule("_socket"), *f;
    if (std == NULL)
        return -1;
    std_error = PyObject_GetAttrString(std, "error");
    std_gaierror = PyObject_GetAttrString(std, "gaierror");
    std_herror = PyObject_GetAttrString(std, "herror");
    std_timeout = PyObject_GetAttrString(std, "timeout");
    Py_DECREF(std);
    if (std_error == NULL || std_gaierror == NULL || std_herror == NULL || std_timeout == NULL)
        return -1;
    error_cls = new_class(m, "SocketError", PyExc_IOError,
                                   "A socket operation failed: args are (errno, strerror).");
    if (error_cls == NULL)
        return -1;
    timeout_cls = new_class(m, "SocketTimeout", error_cls,
                                     "A socket operation timed out.");
    gai_error_cls = new_class(m, "SocketGAIError", error_cls,
                              "Address lookup failed (the stdlib's gaierror).");
    h_error_cls = new_class(m, "SocketHError", error_cls,
                            "Host lookup failed (the stdlib's herror).");
    if (timeout_cls == NULL || gai_error_cls == NULL || h_error_cls == NULL)
        return -1;
    f = PyCFunction_New(&socket_error_def, NULL);
    if (f == NULL || PyModule_AddObject(m, socket_error_def.ml_name, f) < 0)
        return -1;
    f = PyCFunction_New(&ssl_errors_def, m);
    if (f == NULL || PyModule_AddObject(m, ssl_errors_def.ml_name, f) < 0)
        return -1;
    return 0;
}
