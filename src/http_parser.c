/* http_parser.c: _core.HttpParser, the system's llhttp bound as one type.
 *
 * A parser takes bytes (feed) and returns, per call, a list of the events
 * those bytes completed, so the Python side does one call per recv and a
 * few tuple reads per request:
 *   (HEAD, method|status, uri|reason, major, minor, headers, keep_alive, body)
 *       headers: dict lower-cased name -> list of str values (arrival order);
 *       body: -1 chunked, -2 until EOF (responses), else the Content-Length
 *       (0 when there is none);
 *   (BODY, bytes)   a piece of the (de-chunked) body;
 *   (END,)          the message is complete;
 *   (ERROR, status, reason)  the input is bad: status is the HTTP answer
 *       (400, 405, 413, 414, 431, 505); the parser is dead afterwards;
 *   (UPGRADE,)      an Upgrade/CONNECT request ended the HTTP stream.
 *
 * Invariants:
 *  - The parser never holds a reference to a user object: only strings,
 *    lists and the headers dict it is still filling (handed out in a HEAD
 *    event and dropped at once), so it needs no GC support.
 *  - `events` is set only during feed(); callbacks append to it.
 *  - A span split across feed() calls is joined in `acc` (bounded by the
 *    limits: the request line by max_line, headers by max_header_bytes).
 *  - Trailers (fields after a chunked body) are counted against the limits
 *    and dropped, as the original server skipped them.
 *  - Once an error is reported the parser stays dead: every later feed()
 *    repeats the ERROR event.
 */
#include "compat.h"
#include <ctype.h>
#include <string.h>
#include <llhttp.h>

enum { EV_HEAD = 0, EV_BODY = 1, EV_END = 2, EV_ERROR = 3, EV_UPGRADE = 4 };

#define NAME_CACHE 32       /* lower-cased header names kept per parser */
#define NAME_CACHE_MAX 40   /* longest name kept there */

typedef struct {
    size_t len;
    char name[NAME_CACHE_MAX];
    PyObject *str;
} NameSlot;

typedef struct {
    PyObject_HEAD
    llhttp_t p;
    PyObject *events;       /* borrowed, only during feed() */
    PyObject *headers;      /* the message's dict, until its HEAD event */
    PyObject *field;        /* the current header name */
    PyObject *first;        /* request: the URI; response: the reason */
    PyObject *error;        /* the ERROR event once dead, else NULL */
    char *acc;
    size_t acc_len, acc_cap;
    size_t header_bytes, max_line, max_header_bytes;
    long header_count, max_headers;
    long long body_bytes, max_body;  /* max_body < 0: no limit */
    int status;             /* our own error status (limits), else 0 */
    const char *status_reason;
    int skip_body;          /* client: the next response answers a HEAD */
    const char *feed_start; /* start of the data being fed */
    PyObject *method_str;   /* the last request's method name */
    uint8_t method;
    NameSlot names[NAME_CACHE];
} Parser;

static PyTypeObject Parser_Type;
static llhttp_settings_t settings;
static PyObject *end_event;  /* the shared (END,) tuple */
static PyObject *upgrade_event;
static PyObject *head_kind;  /* the int EV_HEAD */

#define P(llp) ((Parser *)(llp)->data)

static int fail(Parser *self, int status, const char *reason)
{
    self->status = status;
    self->status_reason = reason;
    return -1;
}

static int acc_add(Parser *self, const char *at, size_t n, size_t limit)
{
    if (self->acc_len + n > limit)
        return -2;
    if (self->acc_len + n > self->acc_cap) {
        size_t cap = (self->acc_len + n) * 2;
        char *grown = PyMem_Realloc(self->acc, cap);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        self->acc = grown;
        self->acc_cap = cap;
    }
    memcpy(self->acc + self->acc_len, at, n);
    self->acc_len += n;
    return 0;
}

/* Take the accumulated span as a native str; NULL on error. */
static PyObject *acc_take(Parser *self)
{
    PyObject *s = IDK_NATIVE_STR(self->acc, self->acc_len);
    self->acc_len = 0;
    return s;
}

static int on_message_begin(llhttp_t *llp)
{
    Parser *self = P(llp);
    Py_CLEAR(self->headers);
    Py_CLEAR(self->first);
    Py_CLEAR(self->field);
    self->headers = PyDict_New();
    if (self->headers == NULL)
        return -1;
    self->acc_len = 0;
    self->header_bytes = 0;
    self->header_count = 0;
    self->body_bytes = 0;
    return 0;
}

static int on_first_span(llhttp_t *llp, const char *at, size_t n)
{
    Parser *self = P(llp);
    int rc = acc_add(self, at, n, self->max_line);
    if (rc == -2)
        return fail(self, 414, "request line too long");
    return rc;
}

static int on_first_complete(llhttp_t *llp)
{
    Parser *self = P(llp);
    Py_XSETREF(self->first, acc_take(self));
    return self->first == NULL ? -1 : 0;
}

static int on_header_span(llhttp_t *llp, const char *at, size_t n)
{
    Parser *self = P(llp);
    int rc;
    self->header_bytes += n;
    if (self->header_bytes > self->max_header_bytes)
        return fail(self, 431, "request header fields too large");
    rc = acc_add(self, at, n, self->max_header_bytes);
    if (rc == -2)
        return fail(self, 431, "request header fields too large");
    return rc;
}

/* The lower-cased name in acc as a str, from the small cache if it is there. */
static PyObject *take_name(Parser *self)
{
    size_t i, n = self->acc_len;
    unsigned h = 2166136261u;
    NameSlot *slot;
    PyObject *s;
    for (i = 0; i < n; i++) {
        char c = self->acc[i];
        if (c >= 'A' && c <= 'Z')
            self->acc[i] = (char)(c + 32);
        h = (h ^ (unsigned char)self->acc[i]) * 16777619u;
    }
    if (n > NAME_CACHE_MAX)
        return acc_take(self);
    slot = &self->names[h % NAME_CACHE];
    if (slot->str != NULL && slot->len == n && memcmp(slot->name, self->acc, n) == 0) {
        self->acc_len = 0;
        return idk_newref(slot->str);
    }
    s = acc_take(self);
    if (s == NULL)
        return NULL;
    Py_XSETREF(slot->str, idk_newref(s));
    slot->len = n;
    memcpy(slot->name, self->acc, n);
    return s;
}

static int on_field_complete(llhttp_t *llp)
{
    Parser *self = P(llp);
    self->header_count++;
    if (self->header_count > self->max_headers)
        return fail(self, 431, "too many header fields");
    Py_XSETREF(self->field, take_name(self));
    return self->field == NULL ? -1 : 0;
}

static int on_value_complete(llhttp_t *llp)
{
    Parser *self = P(llp);
    PyObject *value, *values;
    int rc = -1;
    if (self->field == NULL)
        return fail(self, 400, "header value without a name");
    value = acc_take(self);
    if (value == NULL)
        return -1;
    if (self->headers == NULL) {    /* a trailer (after the chunks): dropped */
        Py_DECREF(value);
        Py_CLEAR(self->field);
        return 0;
    }
    values = PyDict_GetItem(self->headers, self->field);   /* borrowed */
    if (values != NULL) {
        rc = PyList_Append(values, value);
    } else {
        values = PyList_New(1);
        if (values != NULL) {
            PyList_SET_ITEM(values, 0, idk_newref(value));
            rc = PyDict_SetItem(self->headers, self->field, values);
            Py_DECREF(values);
        }
    }
    Py_DECREF(value);
    Py_CLEAR(self->field);
    return rc;
}

/* The method's name, kept for the next request (a connection repeats it). */
static PyObject *method_name(Parser *self, uint8_t method)
{
    if (self->method_str == NULL || self->method != method) {
        PyObject *s = IDK_STR_FROM(llhttp_method_name((llhttp_method_t)method));
        if (s == NULL)
            return NULL;
        Py_XSETREF(self->method_str, s);
        self->method = method;
    }
    return idk_newref(self->method_str);
}

static long long body_kind(Parser *self)
{
    llhttp_t *llp = &self->p;
    if (llp->flags & F_CHUNKED)
        return -1;
    if (llp->flags & F_CONTENT_LENGTH)
        return (long long)llp->content_length;
    if (llp->type == HTTP_RESPONSE && !self->skip_body && llhttp_message_needs_eof(llp))
        return -2;
    return 0;
}

/* The HEAD event tuple (steals `first`); NULL on error.  Built item by item:
 * Py_BuildValue's format parsing cost as much as the rest of the event. */
static PyObject *head_event(PyObject *first, PyObject *target, int major, int minor,
                            PyObject *headers, int keep_alive, long long body)
{
    PyObject *ev = PyTuple_New(8), *items[7];
    int i;
    items[0] = first;
    items[1] = idk_newref(target);
    items[2] = PyLong_FromLong(major);
    items[3] = PyLong_FromLong(minor);
    items[4] = idk_newref(headers);
    items[5] = idk_newref(keep_alive ? Py_True : Py_False);
    items[6] = PyLong_FromLongLong(body);
    for (i = 0; i < 7; i++) {
        if (items[i] == NULL || ev == NULL) {
            for (i = 0; i < 7; i++)
                Py_XDECREF(items[i]);
            Py_XDECREF(ev);
            return NULL;
        }
    }
    PyTuple_SET_ITEM(ev, 0, idk_newref(head_kind));
    for (i = 0; i < 7; i++)
        PyTuple_SET_ITEM(ev, i + 1, items[i]);
    return ev;
}

static int on_headers_complete(llhttp_t *llp)
{
    Parser *self = P(llp);
    PyObject *first, *ev;
    long long body = body_kind(self);
    int rc, skip = self->skip_body;
    self->skip_body = 0;
    if (llp->http_major != 1)
        return fail(self, 505, "HTTP version not supported");
    if (self->max_body >= 0 && body > self->max_body)
        return fail(self, 413, "request body too large");
    if (llp->type == HTTP_REQUEST)
        first = method_name(self, llp->method);
    else
        first = PyLong_FromLong(llp->status_code);
    if (first == NULL)
        return -1;
    if (skip)
        llp->flags |= F_SKIPBODY;   /* so that keep-alive needs no EOF */
    ev = head_event(first, self->first != NULL ? self->first : Py_None, llp->http_major,
                    llp->http_minor, self->headers, llhttp_should_keep_alive(llp),
                    skip ? 0LL : body);
    if (ev == NULL)
        return -1;
    rc = PyList_Append(self->events, ev);
    Py_DECREF(ev);
    Py_CLEAR(self->headers);
    Py_CLEAR(self->first);
    if (rc < 0)
        return -1;
    return skip ? 1 : 0;
}

static int on_body(llhttp_t *llp, const char *at, size_t n)
{
    Parser *self = P(llp);
    PyObject *ev;
    int rc;
    self->body_bytes += (long long)n;
    if (self->max_body >= 0 && self->body_bytes > self->max_body)
        return fail(self, 413, "request body too large");
    ev = Py_BuildValue("(iN)", EV_BODY, PyBytes_FromStringAndSize(at, (Py_ssize_t)n));
    if (ev == NULL)
        return -1;
    rc = PyList_Append(self->events, ev);
    Py_DECREF(ev);
    return rc;
}

static int on_message_complete(llhttp_t *llp)
{
    return PyList_Append(P(llp)->events, end_event);
}

/* An unknown method that is a valid token gets 405; other junk 400. */
static int method_status(Parser *self, const char *pos, const char *limit)
{
    const char *start = pos, *end;
    static const char tchar[] = "!#$%&'*+-.^_`|~";
    while (start > self->feed_start && start[-1] != '\n')
        start--;
    for (end = start; end < limit && (isalnum((unsigned char)*end)
                                      || (*end && strchr(tchar, *end))); end++)
        ;
    return (end > start && end < limit && *end == ' ') ? 405 : 400;
}

static PyObject *error_event(Parser *self, llhttp_errno_t err, const char *end)
{
    int status = self->status;
    const char *reason = self->status_reason;
    if (status == 0) {
        reason = llhttp_get_error_reason(&self->p);
        if (reason == NULL)
            reason = llhttp_errno_name(err);
        status = 400;
        if (err == HPE_INVALID_METHOD) {
            const char *pos = llhttp_get_error_pos(&self->p);
            if (pos != NULL && pos >= self->feed_start && pos < end)
                status = method_status(self, pos, end);
        } else if (err == HPE_INVALID_VERSION) {
            status = 505;
        }
    }
    return Py_BuildValue("(iis)", EV_ERROR, status, reason);
}

static PyObject *finish_feed(Parser *self, PyObject *events, llhttp_errno_t err,
                             const char *end)
{
    PyObject *ev = NULL;
    self->events = NULL;
    if (err == HPE_OK)
        return events;
    if (err == HPE_PAUSED_UPGRADE) {
        ev = idk_newref(upgrade_event);
    } else {
        if (PyErr_Occurred())   /* a callback failed on Python's side */
            goto fail;
        ev = error_event(self, err, end);
    }
    if (ev == NULL || PyList_Append(events, ev) < 0)
        goto fail;
    Py_XSETREF(self->error, ev);
    return events;
fail:
    Py_XDECREF(ev);
    Py_DECREF(events);
    return NULL;
}

static PyObject *parser_feed(Parser *self, PyObject *data)
{
    Py_buffer view;
    PyObject *events;
    llhttp_errno_t err;
    if (self->error != NULL)
        return Py_BuildValue("[O]", self->error);
    if (self->events != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "HttpParser.feed() re-entered");
        return NULL;
    }
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    events = PyList_New(0);
    if (events == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    self->events = events;
    self->feed_start = view.buf;
    err = llhttp_execute(&self->p, view.buf, (size_t)view.len);
    events = finish_feed(self, events, err, (const char *)view.buf + view.len);
    PyBuffer_Release(&view);
    return events;
}

static PyObject *parser_feed_eof(Parser *self, PyObject *unused)
{
    PyObject *events;
    (void)unused;
    if (self->error != NULL)
        return Py_BuildValue("[O]", self->error);
    events = PyList_New(0);
    if (events == NULL)
        return NULL;
    self->events = events;
    self->feed_start = NULL;
    return finish_feed(self, events, llhttp_finish(&self->p), NULL);
}

static PyObject *parser_skip_body(Parser *self, PyObject *unused)
{
    (void)unused;
    self->skip_body = 1;
    Py_RETURN_NONE;
}

static PyObject *parser_idle(Parser *self, PyObject *unused)
{
    /* No message is in progress: nothing of a next one was seen. */
    (void)unused;
    return idk_newref(self->headers == NULL && self->error == NULL
                      && self->p.finish != HTTP_FINISH_UNSAFE ? Py_True : Py_False);
}

static PyObject *parser_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"kind", "max_line", "max_header_bytes", "max_headers",
                             "max_body", NULL};
    int kind;
    Py_ssize_t max_line = 8192, max_header_bytes = 65536, max_headers = 100;
    long long max_body = -1;
    Parser *self;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "i|nnnL:HttpParser", kwlist, &kind,
                                     &max_line, &max_header_bytes, &max_headers, &max_body))
        return NULL;
    if (kind != HTTP_REQUEST && kind != HTTP_RESPONSE) {
        PyErr_SetString(PyExc_ValueError, "kind must be 1 (request) or 2 (response)");
        return NULL;
    }
    if (max_line < 1 || max_header_bytes < 1 || max_headers < 1) {
        PyErr_SetString(PyExc_ValueError, "HttpParser limits must be positive");
        return NULL;
    }
    self = IDK_ALLOC(Parser, type);
    if (self == NULL)
        return NULL;
    llhttp_init(&self->p, (llhttp_type_t)kind, &settings);
    self->p.data = self;
    self->max_line = (size_t)max_line;
    self->max_header_bytes = (size_t)max_header_bytes;
    self->max_headers = (long)max_headers;
    self->max_body = max_body;
    return (PyObject *)self;
}

static void parser_dealloc(Parser *self)
{
    int i;
    Py_XDECREF(self->headers);
    Py_XDECREF(self->field);
    Py_XDECREF(self->first);
    Py_XDECREF(self->error);
    Py_XDECREF(self->method_str);
    for (i = 0; i < NAME_CACHE; i++)
        Py_XDECREF(self->names[i].str);
    PyMem_Free(self->acc);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef parser_methods[] = {
    {"feed", (PyCFunction)parser_feed, METH_O,
     "feed(data) -> list of the events these bytes completed"},
    {"feed_eof", (PyCFunction)parser_feed_eof, METH_NOARGS,
     "feed_eof() -> events: the peer closed (ends a body framed by EOF)"},
    {"skip_body", (PyCFunction)parser_skip_body, METH_NOARGS,
     "skip_body(): the next response has no body (it answers a HEAD)"},
    {"idle", (PyCFunction)parser_idle, METH_NOARGS,
     "idle() -> True if no message is in progress"},
    {NULL, NULL, 0, NULL}
};

static PyTypeObject Parser_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.HttpParser",
    .tp_basicsize = sizeof(Parser)
};

int idk_http_module_init(PyObject *m)
{
    llhttp_settings_init(&settings);
    settings.on_message_begin = on_message_begin;
    settings.on_url = on_first_span;
    settings.on_url_complete = on_first_complete;
    settings.on_status = on_first_span;
    settings.on_status_complete = on_first_complete;
    settings.on_header_field = on_header_span;
    settings.on_header_field_complete = on_field_complete;
    settings.on_header_value = on_header_span;
    settings.on_header_value_complete = on_value_complete;
    settings.on_headers_complete = on_headers_complete;
    settings.on_body = on_body;
    settings.on_message_complete = on_message_complete;
    Parser_Type.tp_flags = IDK_TPFLAGS_DEFAULT;
    Parser_Type.tp_doc = "HttpParser(kind, max_line=8192, max_header_bytes=65536, "
                         "max_headers=100, max_body=-1): llhttp, fed bytes, "
                         "returning lists of events (see src/http_parser.c)";
    Parser_Type.tp_new = parser_new;
    Parser_Type.tp_dealloc = (destructor)parser_dealloc;
    Parser_Type.tp_methods = parser_methods;
    if (PyType_Ready(&Parser_Type) < 0)
        return -1;
    end_event = Py_BuildValue("(i)", EV_END);
    upgrade_event = Py_BuildValue("(i)", EV_UPGRADE);
    head_kind = PyLong_FromLong(EV_HEAD);
    if (end_event == NULL || upgrade_event == NULL || head_kind == NULL)
        return -1;
    Py_INCREF(&Parser_Type);
    if (PyModule_AddObject(m, "HttpParser", (PyObject *)&Parser_Type) < 0) {
        Py_DECREF(&Parser_Type);
        return -1;
    }
    return 0;
}
