/* http_head.c: _core.http_response_head, a server response's status line
 * and header block built in one C call, for the common case.
 *
 *   http_response_head(status_line, code, headers, minor, is_head, keep_alive)
 *       -> (head, framing, length, closing)   or None
 *
 * `headers` is what the handler gave write_headers (a dict).  The result: `head` the bytes of the status line, the header lines
 * and the empty line; `framing` one of FRAME_* below; `length` the
 * Content-Length (FRAME_LENGTH); `closing` whether the connection ends after
 * this response.  The fields are written in the handler's order (names
 * lower-cased), then transfer-encoding (when chunked is chosen), connection
 * and date (unless given), as idiokit/http/_response.py does.
 *
 * Invariants:
 *  - It answers only what it can answer exactly as the Python path would; for
 *    anything else (pairs instead of a dict, a value that is not a str, an
 *    int or a list of str, a name given twice in two cases, a name that is
 *    not a token, CR/LF/NUL in a value, content-length not one plain number,
 *    transfer-encoding or connection given, a status without a body) it
 *    returns None and the caller takes the Python path, which raises the
 *    errors.  So this file never decides an error.
 *  - The date line is cached per whole second on the loop (a loop client),
 *    holding one bytes object; nothing else is kept between calls.
 */
#include "compat.h"
#include "core.h"
#include <string.h>
#include <time.h>

enum { FRAME_CLOSE = 0, FRAME_LENGTH = 1, FRAME_CHUNKED = 2, FRAME_DROPPED = 3 };

#define MAX_FIELDS 64

typedef struct {
    IdkLoopClient base;
    time_t second;
    PyObject *line;         /* b"date: ...\r\n" for `second` */
} DateCache;

static void date_release(IdkLoopClient *c)
{
    Py_CLEAR(((DateCache *)c)->line);
}

static const IdkLoopClientKind date_kind = {"http date", sizeof(DateCache), NULL, NULL, NULL,
                                            date_release};

/* The date line of this second (borrowed), or NULL with an exception. */
static PyObject *date_line(void)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    DateCache *cache = (DateCache *)idk_loop_client(&date_kind, 1);
    time_t now = time(NULL);
    struct tm tm;
    char text[64];
    PyObject *line;
    if (cache == NULL)
        return NULL;
    if (cache->line != NULL && cache->second == now)
        return cache->line;
    if (gmtime_r(&now, &tm) == NULL) {
        PyErr_SetString(PyExc_OverflowError, "the clock is out of gmtime's range");
        return NULL;
    }
    snprintf(text, sizeof(text), "date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
             days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
    line = PyBytes_FromString(text);
    if (line == NULL)
        return NULL;
    Py_XSETREF(cache->line, line);
    cache->second = now;
    return line;
}

/* ---- the output buffer ------------------------------------------------------------ */

typedef struct {
    char *buf;
    size_t len, cap;
    char small[1024];
} Out;

static int out_add(Out *o, const char *s, size_t n)
{
    if (o->len + n > o->cap) {
        size_t cap = (o->len + n) * 2;
        char *grown = PyMem_Malloc(cap);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(grown, o->buf, o->len);
        if (o->buf != o->small)
            PyMem_Free(o->buf);
        o->buf = grown;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    return 0;
}

/* ---- one field -------------------------------------------------------------------- */

typedef struct {
    const char *name;       /* lower-cased, in `lower` */
    size_t name_len;
    PyObject *value;        /* borrowed: a str, an int or a list of str */
    char lower[48];
} Field;

/* An int the Python path writes as str(value): int (and long on 2.7), not bool. */
static int is_plain_int(PyObject *o)
{
#if !IDK_PY3
    if (PyInt_CheckExact(o))
        return 1;
#endif
    return PyLong_CheckExact(o);
}

/* RFC 9110 tchar, lower-case letters only (names are lower-cased first). */
static int is_tchar(unsigned char c)
{
    static unsigned char table[256];
    if (!table['a']) {
        const char *p;
        int i;
        for (i = 0; i < 26; i++)
            table['a' + i] = 1;
        for (i = 0; i < 10; i++)
            table['0' + i] = 1;
        for (p = "!#$%&'*+-.^_`|~"; *p; p++)
            table[(unsigned char)*p] = 1;
    }
    return table[c];
}

/* The decimal digits of x >= 0 at the end of buf[32]; their start. */
static char *format_ull(unsigned long long x, char *end, size_t *n)
{
    char *p = end;
    do {
        *--p = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    *n = (size_t)(end - p);
    return p;
}

/* 1 if the name fits the fast path (stored lower-cased in f), else 0. */
static int take_name(Field *f, PyObject *key)
{
    Py_ssize_t i, n;
    const char *s = idk_native_str_view(key, &n);
    if (s == NULL || n == 0 || (size_t)n >= sizeof(f->lower))
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        if (!is_tchar(c))
            return 0;
        f->lower[i] = (char)c;
    }
    f->lower[n] = 0;
    f->name = f->lower;
    f->name_len = (size_t)n;
    return 1;
}

static int name_is(const Field *f, const char *name)
{
    return f->name_len == strlen(name) && memcmp(f->name, name, f->name_len) == 0;
}

/* A value's text with no CR, LF or NUL; NULL if it has them or is not a str. */
static const char *clean_text(PyObject *v, Py_ssize_t *n)
{
    const char *s = idk_native_str_view(v, n);
    Py_ssize_t i;
    if (s == NULL)
        return NULL;
    for (i = 0; i < *n; i++) {
        if (s[i] == '\r' || s[i] == '\n' || s[i] == 0)
            return NULL;
    }
    return s;
}

/* Append "name: value\r\n" for each value of f; 0 done, 1 not on the fast
 * path, -1 error. */
static int out_field(Out *o, const Field *f)
{
    PyObject *v = f->value;
    Py_ssize_t i, count = 1, n;
    char number[32];
    for (i = 0; i < count; i++) {
        PyObject *item = v;
        const char *s;
        if (PyList_CheckExact(v)) {
            count = PyList_GET_SIZE(v);
            if (count == 0)
                return 0;
            item = PyList_GET_ITEM(v, i);
        }
        if (is_plain_int(item)) {
            long long x = PyLong_AsLongLong(item);
            size_t len;
            if (x == -1 && PyErr_Occurred()) {
                PyErr_Clear();
                return 1;
            }
            if (x < 0)
                return 1;
            s = format_ull((unsigned long long)x, number + sizeof(number), &len);
            n = (Py_ssize_t)len;
        } else if ((s = clean_text(item, &n)) == NULL) {
            return 1;
        }
        if (out_add(o, f->name, f->name_len) < 0 || out_add(o, ": ", 2) < 0
                || out_add(o, s, (size_t)n) < 0 || out_add(o, "\r\n", 2) < 0)
            return -1;
    }
    return 0;
}

/* Content-Length's one plain number, or -1 if the field is not that. */
static long long content_length(PyObject *v)
{
    Py_ssize_t n, i;
    const char *s;
    long long x = 0;
    if (PyList_CheckExact(v)) {
        if (PyList_GET_SIZE(v) != 1)
            return -1;
        v = PyList_GET_ITEM(v, 0);
    }
    if (is_plain_int(v)) {
        x = PyLong_AsLongLong(v);
        if (x < 0)
            PyErr_Clear();
        return x < 0 ? -1 : x;
    }
    s = clean_text(v, &n);
    if (s == NULL || n == 0 || n > 18)
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    return x;
}

/* Collect the fields of `headers`; their count, or -1 when not on the fast path. */
static int collect(PyObject *headers, Field *fields, long long *length, int *has_date)
{
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    int count = 0, i;
    if (!PyDict_CheckExact(headers) || PyDict_Size(headers) > MAX_FIELDS)
        return -1;
    while (PyDict_Next(headers, &pos, &key, &value)) {
        Field *f = &fields[count];
        if (!take_name(f, key))
            return -1;
        for (i = 0; i < count; i++) {
            if (fields[i].name_len == f->name_len
                    && memcmp(fields[i].name, f->name, f->name_len) == 0)
                return -1;      /* "X-A" and "x-a": the Python path merges them */
        }
        if (name_is(f, "transfer-encoding") || name_is(f, "connection"))
            return -1;
        if (name_is(f, "content-length")) {
            *length = content_length(value);
            if (*length < 0)
                return -1;
        } else if (name_is(f, "date")) {
            *has_date = 1;
        }
        f->value = value;
        count++;
    }
    return count;
}

static PyObject *http_response_head(PyObject *self, PyObject *args)
{
    PyObject *line, *headers, *date, *result = NULL;
    int code, minor, is_head, keep_alive, count, i, framing, closing, has_date = 0;
    long long length = -1;
    Field fields[MAX_FIELDS];
    Out o;
    (void)self;
    if (PyTuple_GET_SIZE(args) != 6 || !PyBytes_Check(PyTuple_GET_ITEM(args, 0))) {
        PyErr_SetString(PyExc_TypeError, "http_response_head(status_line: bytes, code, "
                        "headers, minor, is_head, keep_alive)");
        return NULL;
    }
    line = PyTuple_GET_ITEM(args, 0);
    headers = PyTuple_GET_ITEM(args, 2);
    code = (int)PyLong_AsLong(PyTuple_GET_ITEM(args, 1));
    minor = (int)PyLong_AsLong(PyTuple_GET_ITEM(args, 3));
    is_head = PyObject_IsTrue(PyTuple_GET_ITEM(args, 4));
    keep_alive = PyObject_IsTrue(PyTuple_GET_ITEM(args, 5));
    if (PyErr_Occurred() || is_head < 0 || keep_alive < 0)
        return NULL;
    if ((code >= 100 && code < 200) || code == 204 || code == 304)
        Py_RETURN_NONE;
    count = collect(headers, fields, &length, &has_date);
    if (count < 0) {
        if (PyErr_Occurred())
            return NULL;
        Py_RETURN_NONE;
    }
    if (is_head)
        framing = FRAME_DROPPED;
    else if (length >= 0)
        framing = FRAME_LENGTH;
    else if (minor >= 1)
        framing = FRAME_CHUNKED;
    else
        framing = FRAME_CLOSE;
    closing = !(keep_alive && framing != FRAME_CLOSE);
    o.buf = o.small;
    o.len = 0;
    o.cap = sizeof(o.small);
    if (out_add(&o, PyBytes_AS_STRING(line), (size_t)PyBytes_GET_SIZE(line)) < 0)
        goto done;
    for (i = 0; i < count; i++) {
        int rc = out_field(&o, &fields[i]);
        if (rc < 0)
            goto done;
        if (rc > 0) {
            result = idk_newref(Py_None);
            goto done;
        }
    }
    if (framing == FRAME_CHUNKED && out_add(&o, "transfer-encoding: chunked\r\n", 28) < 0)
        goto done;
    if (minor >= 1) {
        if (closing && out_add(&o, "connection: close\r\n", 19) < 0)
            goto done;
    } else if (closing ? out_add(&o, "connection: close\r\n", 19) < 0
               : out_add(&o, "connection: keep-alive\r\n", 24) < 0) {
        goto done;
    }
    if (!has_date) {
        date = date_line();
        if (date == NULL || out_add(&o, PyBytes_AS_STRING(date),
                                    (size_t)PyBytes_GET_SIZE(date)) < 0)
            goto done;
    }
    if (out_add(&o, "\r\n", 2) < 0)
        goto done;
    result = PyTuple_New(4);
    if (result == NULL)
        goto done;
    PyTuple_SET_ITEM(result, 0, PyBytes_FromStringAndSize(o.buf, (Py_ssize_t)o.len));
    PyTuple_SET_ITEM(result, 1, PyLong_FromLong(framing));
    PyTuple_SET_ITEM(result, 2, PyLong_FromLongLong(framing == FRAME_LENGTH ? length : 0));
    PyTuple_SET_ITEM(result, 3, idk_newref(closing ? Py_True : Py_False));
    if (PyTuple_GET_ITEM(result, 0) == NULL || PyTuple_GET_ITEM(result, 1) == NULL
            || PyTuple_GET_ITEM(result, 2) == NULL)
        Py_CLEAR(result);
done:
    if (o.buf != o.small)
        PyMem_Free(o.buf);
    return result;
}

static PyMethodDef head_functions[] = {
    {"http_response_head", (PyCFunction)http_response_head, METH_VARARGS,
     "http_response_head(status_line, code, headers, minor, is_head, keep_alive) -> "
     "(head, framing, length, closing), or None when the Python path must decide"},
    {NULL, NULL, 0, NULL}
};

int idk_http_head_init(PyObject *m)
{
    PyMethodDef *def;
    for (def = head_functions; def->ml_name != NULL; def++) {
        PyObject *f = PyCFunction_New(def, NULL);
        if (f == NULL || PyModule_AddObject(m, def->ml_name, f) < 0) {
            Py_XDECREF(f);
            return -1;
        }
    }
    return 0;
}
