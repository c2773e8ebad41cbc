/* dns_errors.c: the classes DNS results are made of, created by this module
 * (idiokit.dns re-exports them): the exceptions DNSError and its subclasses
 * DNSTimeout, NoData, MessageError and ResponseError (with .rcode and
 * .string, as the original's), and the MX and SRV record types
 * (namedtuples); plus the mapping from a c-ares status to an exception.
 *
 * Invariants:
 *  - The classes are made once, when the module is initialised, and owned
 *    for the life of the process; nothing here calls back into Python per
 *    query (records are built with tuple's own tp_new, no __new__ in Python).
 *  - Every failure of a query is a DNSError subclass, except a name c-ares
 *    cannot encode (ValueError, as the original) and out of memory.
 */
#include "dns.h"

PyObject *idk_dns_error, *idk_dns_timeout, *idk_dns_response_error, *idk_dns_no_data,
    *idk_dns_message_error, *idk_dns_mx_type, *idk_dns_srv_type;
static PyObject *rcode_strings;     /* rcode -> the original's description */

PyObject *idk_dns_exc(PyObject *cls, PyObject *args)
{
    PyObject *exc;
    if (args == NULL)
        return idk_exc_fetch();
    exc = idk_exc_new(cls, args);
    Py_DECREF(args);
    return exc != NULL ? exc : idk_exc_fetch();
}

static int status_rcode(int status)
{
    switch (status) {
    case ARES_EFORMERR: return 1;
    case ARES_ESERVFAIL: return 2;
    case ARES_ENOTFOUND: return 3;
    case ARES_ENOTIMP: return 4;
    case ARES_EREFUSED: return 5;
    default: return 0;
    }
}

PyObject *idk_dns_status_exc(int status, PyObject *name)
{
    int rcode = status_rcode(status);
    const char *why = ares_strerror(status);
    if (rcode != 0)
        return idk_dns_exc(idk_dns_response_error, Py_BuildValue("(i)", rcode));
    switch (status) {
    case ARES_ENODATA:
        return idk_dns_exc(idk_dns_no_data, Py_BuildValue("(s)", "no data"));
    case ARES_ETIMEOUT:
        return idk_dns_exc(idk_dns_timeout, Py_BuildValue("(sO)", "DNS query timed out", name));
    case ARES_EBADRESP:
        return idk_dns_exc(idk_dns_message_error, Py_BuildValue("(sO)", why, name));
    case ARES_EBADNAME:
        return idk_dns_exc(PyExc_ValueError, Py_BuildValue("(sO)", why, name));
    default:
        return idk_dns_exc(idk_dns_error, Py_BuildValue("(sO)", why, name));
    }
}

PyObject *idk_dns_answer_exc(int status, PyObject *name)
{
    if (status == ARES_ENODATA)
        return idk_dns_status_exc(status, name);
    if (status == ARES_ENOMEM) {
        PyErr_NoMemory();
        return idk_exc_fetch();
    }
    /* A name in the answer that does not expand (a compression loop, a
     * pointer past the end), records past the end, ...: the reply is bad. */
    return idk_dns_exc(idk_dns_message_error,
                       Py_BuildValue("(sO)", "malformed DNS reply", name));
}

PyObject *idk_dns_record(PyObject *type, PyObject *fields)
{
    PyObject *args, *r;
    if (fields == NULL)
        return NULL;
    args = PyTuple_Pack(1, fields);
    Py_DECREF(fields);
    if (args == NULL)
        return NULL;
    r = PyTuple_Type.tp_new((PyTypeObject *)type, args, NULL);
    Py_DECREF(args);
    return r;
}

/* ---- ResponseError's methods ------------------------------------------------------ */

/* "rcode N" for an rcode with no name: "rcode %r" % (rcode,). */
static PyObject *unknown_rcode_string(PyObject *rcode)
{
    PyObject *fmt = IDK_STR_FROM("rcode %r"), *one = PyTuple_Pack(1, rcode), *r = NULL;
    if (fmt != NULL && one != NULL)
        r = PyNumber_Remainder(fmt, one);
    Py_XDECREF(fmt);
    Py_XDECREF(one);
    return r;
}

/* __init__(self, rcode, string=None), as the original: .rcode and .string
 * (by default the rcode's name, or "rcode N"), and args (string,), so that
 * str() is the string alone. */
static PyObject *response_error_init(PyObject *module, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"self", "rcode", "string", NULL};
    PyObject *me, *rcode, *string = Py_None, *one;
    int r;
    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|O:ResponseError", kwlist, &me, &rcode, &string))
        return NULL;
    if (string != Py_None)
        Py_INCREF(string);
    else if ((string = PyDict_GetItem(rcode_strings, rcode)) != NULL)   /* borrowed */
        Py_INCREF(string);
    else
        string = unknown_rcode_string(rcode);
    if (string == NULL)
        return NULL;
    one = PyTuple_Pack(1, string);
    r = one == NULL || PyObject_SetAttrString(me, "rcode", rcode) < 0
        || PyObject_SetAttrString(me, "string", string) < 0
        || PyObject_SetAttrString(me, "args", one) < 0;
    Py_DECREF(string);
    Py_XDECREF(one);
    if (r)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef response_error_init_def = {
    "__init__", (PyCFunction)(void (*)(void))response_error_init, METH_VARARGS | METH_KEYWORDS,
    NULL
};

/* Bind a C function as a plain function in the class: called with self as
 * its first argument. */
static int add_method(PyObject *cls, PyMethodDef *def)
{
    PyObject *f = PyCFunction_New(def, NULL), *m;
    int r;
    if (f == NULL)
        return -1;
    m = idk_instance_method(f);
    Py_DECREF(f);
    if (m == NULL)
        return -1;
    r = PyObject_SetAttrString(cls, def->ml_name, m);
    Py_DECREF(m);
    return r;
}

/* ---- making the classes ----------------------------------------------------------- */

static PyObject *new_error(const char *name, const char *doc, PyObject *base)
{
    return PyErr_NewExceptionWithDoc((char *)name, (char *)doc, base, NULL);
}

static PyObject *new_record_type(PyObject *namedtuple, const char *name, const char *fields)
{
    PyObject *t = PyObject_CallFunction(namedtuple, "ss", name, fields), *mod;
    if (t == NULL)
        return NULL;
    mod = IDK_STR_FROM("idiokit.dns");
    if (mod == NULL || PyObject_SetAttrString(t, "__module__", mod) < 0)
        Py_CLEAR(t);
    Py_XDECREF(mod);
    return t;
}

static int make_rcode_strings(void)
{
    static const char *words[] = {"no error", "format error", "server failure", "name error",
                                  "not implemented", "refused"};
    int i;
    if ((rcode_strings = PyDict_New()) == NULL)
        return -1;
    for (i = 0; i < 6; i++) {
        PyObject *k = PyLong_FromLong(i), *v = IDK_STR_FROM(words[i]);
        int r = k == NULL || v == NULL || PyDict_SetItem(rcode_strings, k, v) < 0;
        Py_XDECREF(k);
        Py_XDECREF(v);
        if (r)
            return -1;
    }
    return 0;
}

static int make_classes(void)
{
    PyObject *collections, *namedtuple;
    idk_dns_error = new_error("idiokit.dns.DNSError",
                              "Every DNS failure is one of these (a malformed name is a "
                              "ValueError).", PyExc_Exception);
    if (idk_dns_error == NULL)
        return -1;
    idk_dns_timeout = new_error("idiokit.dns.DNSTimeout",
                                "Every try at every server timed out.", idk_dns_error);
    idk_dns_no_data = new_error("idiokit.dns.NoData", "The name exists but has no records "
                                "of the asked type (NOERROR, empty).", idk_dns_error);
    idk_dns_message_error = new_error("idiokit.dns.MessageError",
                                      "A server's reply could not be parsed.", idk_dns_error);
    idk_dns_response_error = new_error(
        "idiokit.dns.ResponseError", "ResponseError(rcode, string=None): the server answered with an "
        "error rcode.\n.rcode and .string, for example 3 and \"name error\" (NXDOMAIN); as in "
        "the original,\nstr() and .args are the string alone, and an rcode with no name "
        "reads \"rcode N\".", idk_dns_error);
    if (idk_dns_timeout == NULL || idk_dns_no_data == NULL || idk_dns_message_error == NULL
            || idk_dns_response_error == NULL || make_rcode_strings() < 0
            || add_method(idk_dns_response_error, &response_error_init_def) < 0)
        return -1;
    collections = PyImport_ImportModule("collections");
    if (collections == NULL)
        return -1;
    namedtuple = PyObject_GetAttrString(collections, "namedtuple");
    Py_DECREF(collections);
    if (namedtuple == NULL)
        return -1;
    idk_dns_mx_type = new_record_type(namedtuple, "MX", "preference exchange");
    idk_dns_srv_type = new_record_type(namedtuple, "SRV", "priority weight port target");
    Py_DECREF(namedtuple);
    return idk_dns_mx_type != NULL && idk_dns_srv_type != NULL ? 0 : -1;
}

static int add_ref(PyObject *m, const char *name, PyObject *o)
{
    Py_INCREF(o);
    if (PyModule_AddObject(m, name, o) < 0) {
        Py_DECREF(o);
        return -1;
    }
    return 0;
}

int idk_dns_errors_init(PyObject *m)
{
    if (make_classes() < 0)
        return -1;
    if (add_ref(m, "DNSError", idk_dns_error) < 0
            || add_ref(m, "DNSTimeout", idk_dns_timeout) < 0
            || add_ref(m, "NoData", idk_dns_no_data) < 0
            || add_ref(m, "MessageError", idk_dns_message_error) < 0
            || add_ref(m, "ResponseError", idk_dns_response_error) < 0
            || add_ref(m, "DNS_RCODE_STRINGS", rcode_strings) < 0
            || add_ref(m, "DnsMX", idk_dns_mx_type) < 0
            || add_ref(m, "DnsSRV", idk_dns_srv_type) < 0)
        return -1;
    return 0;
}
