/* timeout.c: the one reading of a timeout argument, for every timeout of the
 * core (socket operations and settimeout, select, sleep, timer.timeout, and
 * through sleep every wait that has one).
 *
 * The rule (docs/socket.rst, "Timeouts"):
 *  - None, and +inf, wait forever: *out is -1.
 *  - Any other int or float is that many seconds; a negative one is 0 (do
 *    not wait: poll once), as the original's countdowns and select did.
 *  - NaN is a ValueError; anything that is not a number (a str, a list,
 *    and bool too is accepted as the int it is) is the same TypeError.
 * It never calls Python code beyond __float__ of a number type.
 */
#include "core.h"
#include <math.h>

int idk_parse_timeout(PyObject *obj, double *out)
{
    double t;
    if (obj == NULL || obj == Py_None) {
        *out = -1.0;
        return 0;
    }
    if (PyFloat_CheckExact(obj))
        t = PyFloat_AS_DOUBLE(obj);
    else if (PyLong_CheckExact(obj)) {
        if ((t = PyLong_AsDouble(obj)) == -1.0 && PyErr_Occurred())
            return -1;     /* an int too large for a float: OverflowError */
    } else if (PyUnicode_Check(obj) || PyBytes_Check(obj) || !PyNumber_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "timeout must be None or a number, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return -1;
    } else if ((t = PyFloat_AsDouble(obj)) == -1.0 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "timeout must be None or a number, not %.100s",
                         Py_TYPE(obj)->tp_name);
        }
        return -1;
    }
    if (t != t) {
        PyErr_SetString(PyExc_ValueError, "timeout must not be NaN");
        return -1;
    }
    *out = isinf(t) && t > 0 ? -1.0 : t < 0 ? 0.0 : t;
    return 0;
}

/* _core.parse_timeout(t): the rule above from Python (idiokit.select checks
 * its argument at the call with it): None or seconds >= 0. */
static PyObject *mod_parse_timeout(PyObject *self, PyObject *obj)
{
    double t;
    (void)self;
    if (idk_parse_timeout(obj, &t) < 0)
        return NULL;
    if (t < 0)
        Py_RETURN_NONE;
    return PyFloat_FromDouble(t);
}

static PyMethodDef parse_timeout_def = {
    "parse_timeout", mod_parse_timeout, METH_O,
    "parse_timeout(t): None (wait forever) or the seconds, >= 0, that the core makes of t."
};

int idk_timeout_module_init(PyObject *m)
{
    PyObject *f = PyCFunction_New(&parse_timeout_def, NULL);
    if (f == NULL || PyModule_AddObject(m, parse_timeout_def.ml_name, f) < 0)
        return -1;
    return 0;
}
