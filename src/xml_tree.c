/* xml_tree.c: the per-event half of idiokit.xmlcore's ElementParser, so that
 * no Python code of ours runs per XML start tag, end tag or text run.
 *
 *  - XmlElement (_core.XmlElement) holds an element's five fields; the
 *    Python Element class derives from it and adds the API.  The fields are
 *    member descriptors (_full_name, _text, _tail, _children, _attrs) that
 *    behave as __slots__ do: unset, reading one raises AttributeError.
 *  - XmlBuilder (_core.XmlBuilder) is what the standard library's expat
 *    parser calls: its start, end and data methods are set as the parser's
 *    StartElementHandler, EndElementHandler and CharacterDataHandler.  It
 *    builds the tree below the stream root and appends each completed
 *    level-1 element to the `collected` list it was given.
 *
 * Invariants:
 *  - stack holds the open elements, the root first; every item was made
 *    here, so it is an XmlElement.  An element's attrs dict maps None to
 *    its parent's attrs (namespace lookups walk that chain), except the
 *    root's.
 *  - pending holds the text runs not yet added to the open element: they
 *    go to the last child's tail, or the element's text, at the next tag.
 *  - boundary is the byte index (the parser's CurrentByteIndex) where the
 *    current level-1 element started, or where the last one ended; a
 *    level-1 element over max_size bytes, one nested deeper than max_depth
 *    below the root or holding more than max_elements elements raises
 *    limit_error from the handler, which stops the parse.
 */
#include "core.h"
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    PyObject *full_name, *text, *tail, *children, *attrs;
} XmlElement;

typedef struct {
    PyObject_HEAD
    PyTypeObject *element_type;   /* a subtype of XmlElement */
    PyObject *limit_error;        /* the class raised past a limit */
    PyObject *parser;             /* for CurrentByteIndex */
    PyObject *collected;          /* list: completed level-1 elements */
    PyObject *stack;              /* list of open XmlElements */
    PyObject *pending;            /* list of text runs */
    PyObject *empty;              /* u"" */
    Py_ssize_t max_depth, max_elements, max_size, count, boundary;
} XmlBuilder;

static PyTypeObject XmlElement_Type, XmlBuilder_Type;

/* ---- XmlElement ------------------------------------------------------------ */

static int element_traverse(XmlElement *e, visitproc visit, void *arg)
{
    Py_VISIT(e->full_name);
    Py_VISIT(e->text);
    Py_VISIT(e->tail);
    Py_VISIT(e->children);
    Py_VISIT(e->attrs);
    return 0;
}

static int element_clear(XmlElement *e)
{
    Py_CLEAR(e->full_name);
    Py_CLEAR(e->text);
    Py_CLEAR(e->tail);
    Py_CLEAR(e->children);
    Py_CLEAR(e->attrs);
    return 0;
}

static void element_dealloc(XmlElement *e)
{
    PyObject_GC_UnTrack(e);
    element_clear(e);
    Py_TYPE(e)->tp_free((PyObject *)e);
}

static PyMemberDef element_members[] = {
    {"_full_name", T_OBJECT_EX, offsetof(XmlElement, full_name), 0, NULL},
    {"_text", T_OBJECT_EX, offsetof(XmlElement, text), 0, NULL},
    {"_tail", T_OBJECT_EX, offsetof(XmlElement, tail), 0, NULL},
    {"_children", T_OBJECT_EX, offsetof(XmlElement, children), 0, NULL},
    {"_attrs", T_OBJECT_EX, offsetof(XmlElement, attrs), 0, NULL},
    {NULL, 0, 0, 0, NULL}
};

/* ---- the builder's helpers ------------------------------------------------------ */

static XmlElement *top(XmlBuilder *b)
{
    return (XmlElement *)PyList_GET_ITEM(b->stack, PyList_GET_SIZE(b->stack) - 1);
}

static int byte_index(XmlBuilder *b, Py_ssize_t *out)
{
    PyObject *v = PyObject_GetAttrString(b->parser, "CurrentByteIndex");
    if (v == NULL)
        return -1;
    *out = PyNumber_AsSsize_t(v, PyExc_OverflowError);
    Py_DECREF(v);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

static PyObject *limit(XmlBuilder *b, const char *format, Py_ssize_t n)
{
    PyObject *text = IDK_STR_FROM_FORMAT(format, n);
    if (text != NULL) {
        PyErr_SetObject(b->limit_error, text);
        Py_DECREF(text);
    }
    return NULL;
}

/* `*field += text` for a text string field. */
static int append_text(PyObject **field, PyObject *text)
{
    PyObject *joined = PyUnicode_Concat(*field, text);
    if (joined == NULL)
        return -1;
    Py_XSETREF(*field, joined);
    return 0;
}

/* The pending text goes to the open element's last child's tail, or to its
 * text when it has no child yet. */
static int flush(XmlBuilder *b)
{
    XmlElement *current = top(b);
    PyObject *text, *children = current->children;
    int r;
    if (PyList_GET_SIZE(b->pending) == 1)
        text = idk_newref(PyList_GET_ITEM(b->pending, 0));
    else if ((text = PyUnicode_Join(b->empty, b->pending)) == NULL)
        return -1;
    if (PyList_SetSlice(b->pending, 0, PyList_GET_SIZE(b->pending), NULL) < 0) {
        Py_DECREF(text);
        return -1;
    }
    if (children != Py_None && PyList_GET_SIZE(children) > 0) {
        XmlElement *last = (XmlElement *)PyList_GET_ITEM(children, PyList_GET_SIZE(children) - 1);
        r = append_text(&last->tail, text);
    } else {
        r = append_text(&current->text, text);
    }
    Py_DECREF(text);
    return r;
}

static XmlElement *new_element(XmlBuilder *b, PyObject *name, PyObject *attrs)
{
    XmlElement *e = (XmlElement *)b->element_type->tp_alloc(b->element_type, 0);
    if (e == NULL)
        return NULL;
    e->full_name = idk_newref(name);
    e->text = idk_newref(b->empty);
    e->tail = idk_newref(b->empty);
    e->children = idk_newref(Py_None);
    e->attrs = idk_newref(attrs);
    return e;
}

/* Link a new element below `parent` (depth: the open elements, root
 * included, above it), checking the depth and count limits. */
static int add_child(XmlBuilder *b, XmlElement *parent, XmlElement *e, Py_ssize_t depth)
{
    if (PyDict_SetItem(e->attrs, Py_None, parent->attrs) < 0)
        return -1;
    if (depth > b->max_depth) {
        limit(b, "elements nested deeper than %zd levels", b->max_depth);
        return -1;
    }
    if (++b->count > b->max_elements) {
        limit(b, "more than %zd elements in one stanza", b->max_elements);
        return -1;
    }
    if (parent->children == Py_None) {
        PyObject *list = PyList_New(1);
        if (list == NULL)
            return -1;
        PyList_SET_ITEM(list, 0, idk_newref((PyObject *)e));
        Py_XSETREF(parent->children, list);
        return 0;
    }
    return PyList_Append(parent->children, (PyObject *)e);
}

/* ---- the handlers ------------------------------------------------------------------ */

static PyObject *builder_start(XmlBuilder *b, PyObject *args)
{
    PyObject *name, *attrs;
    XmlElement *e;
    Py_ssize_t depth = PyList_GET_SIZE(b->stack);
    int r;
    if (!PyArg_UnpackTuple(args, "start", 2, 2, &name, &attrs))
        return NULL;
    if (!PyDict_Check(attrs)) {
        PyErr_SetString(PyExc_TypeError, "start() wants the attributes as a dict");
        return NULL;
    }
    if (PyList_GET_SIZE(b->pending) > 0 && flush(b) < 0)
        return NULL;
    if ((e = new_element(b, name, attrs)) == NULL)
        return NULL;
    if (depth > 1) {
        r = add_child(b, top(b), e, depth);
    } else {
        r = depth == 1 ? PyDict_SetItem(attrs, Py_None, top(b)->attrs) : 0;
        if (r == 0)
            r = byte_index(b, &b->boundary);
        b->count = 0;
    }
    if (r == 0)
        r = PyList_Append(b->stack, (PyObject *)e);
    Py_DECREF(e);
    if (r < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *builder_end(XmlBuilder *b, PyObject *name)
{
    Py_ssize_t n = PyList_GET_SIZE(b->stack), end_index;
    PyObject *e;
    (void)name;
    if (n == 0) {
        PyErr_SetString(PyExc_ValueError, "end() without an open element");
        return NULL;
    }
    if (PyList_GET_SIZE(b->pending) > 0 && flush(b) < 0)
        return NULL;
    e = idk_newref(PyList_GET_ITEM(b->stack, n - 1));
    if (PyList_SetSlice(b->stack, n - 1, n, NULL) < 0)
        goto fail;
    if (n == 2) {
        if (byte_index(b, &end_index) < 0)
            goto fail;
        if (end_index - b->boundary > b->max_size) {
            limit(b, "a stanza of more than %zd bytes", b->max_size);
            goto fail;
        }
        if (PyList_Append(b->collected, e) < 0)
            goto fail;
        b->boundary = end_index;
    }
    Py_DECREF(e);
    Py_RETURN_NONE;
fail:
    Py_DECREF(e);
    return NULL;
}

static PyObject *builder_data(XmlBuilder *b, PyObject *text)
{
    if (PyList_GET_SIZE(b->stack) > 1) {
        if (PyList_Append(b->pending, text) < 0)
            return NULL;
    } else if (byte_index(b, &b->boundary) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef builder_methods[] = {
    {"start", (PyCFunction)builder_start, METH_VARARGS,
     "start(name, attrs): expat's StartElementHandler"},
    {"end", (PyCFunction)builder_end, METH_O, "end(name): expat's EndElementHandler"},
    {"data", (PyCFunction)builder_data, METH_O, "data(text): expat's CharacterDataHandler"},
    {NULL, NULL, 0, NULL}
};

static PyMemberDef builder_members[] = {
    {"boundary", T_PYSSIZET, offsetof(XmlBuilder, boundary), READONLY,
     "byte index where the current level-1 element began (or the last one ended)"},
    {NULL, 0, 0, 0, NULL}
};

/* ---- the builder's life ---------------------------------------------------------- */

static PyObject *builder_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *names[] = {"element_type", "limit_error", "parser", "collected", "max_depth",
                            "max_elements", "max_size", NULL};
    PyObject *element_type, *limit_error, *parser, *collected;
    Py_ssize_t max_depth, max_elements, max_size;
    XmlBuilder *b;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOO!nnn:XmlBuilder", names, &element_type,
                                     &limit_error, &parser, &PyList_Type, &collected,
                                     &max_depth, &max_elements, &max_size))
        return NULL;
    if (!PyType_Check(element_type)
            || !PyType_IsSubtype((PyTypeObject *)element_type, &XmlElement_Type)) {
        PyErr_SetString(PyExc_TypeError, "element_type must be a subclass of XmlElement");
        return NULL;
    }
    if ((b = (XmlBuilder *)type->tp_alloc(type, 0)) == NULL)
        return NULL;
    b->element_type = (PyTypeObject *)idk_newref(element_type);
    b->limit_error = idk_newref(limit_error);
    b->parser = idk_newref(parser);
    b->collected = idk_newref(collected);
    b->stack = PyList_New(0);
    b->pending = PyList_New(0);
    b->empty = PyUnicode_FromStringAndSize("", 0);
    b->max_depth = max_depth;
    b->max_elements = max_elements;
    b->max_size = max_size;
    if (b->stack == NULL || b->pending == NULL || b->empty == NULL) {
        Py_DECREF(b);
        return NULL;
    }
    return (PyObject *)b;
}

static int builder_traverse(XmlBuilder *b, visitproc visit, void *arg)
{
    Py_VISIT(b->element_type);
    Py_VISIT(b->limit_error);
    Py_VISIT(b->parser);
    Py_VISIT(b->collected);
    Py_VISIT(b->stack);
    Py_VISIT(b->pending);
    return 0;
}

static int builder_clear(XmlBuilder *b)
{
    Py_CLEAR(b->element_type);
    Py_CLEAR(b->limit_error);
    Py_CLEAR(b->parser);
    Py_CLEAR(b->collected);
    Py_CLEAR(b->stack);
    Py_CLEAR(b->pending);
    Py_CLEAR(b->empty);
    return 0;
}

static void builder_dealloc(XmlBuilder *b)
{
    PyObject_GC_UnTrack(b);
    builder_clear(b);
    Py_TYPE(b)->tp_free((PyObject *)b);
}

static PyTypeObject XmlElement_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.XmlElement",
    .tp_basicsize = sizeof(XmlElement)
};

static PyTypeObject XmlBuilder_Type = {
    PyVarObject_HEAD_INIT(NULL, 0) .tp_name = "idiokit._core.XmlBuilder",
    .tp_basicsize = sizeof(XmlBuilder)
};

int idk_xml_tree_init(PyObject *m)
{
    XmlElement_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC;
    XmlElement_Type.tp_new = PyType_GenericNew;
    XmlElement_Type.tp_dealloc = (destructor)element_dealloc;
    XmlElement_Type.tp_traverse = (traverseproc)element_traverse;
    XmlElement_Type.tp_clear = (inquiry)element_clear;
    XmlElement_Type.tp_members = element_members;
    XmlElement_Type.tp_doc = "The fields of an XML element (idiokit.xmlcore.Element's base).";
    XmlBuilder_Type.tp_flags = IDK_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
    XmlBuilder_Type.tp_new = builder_new;
    XmlBuilder_Type.tp_dealloc = (destructor)builder_dealloc;
    XmlBuilder_Type.tp_traverse = (traverseproc)builder_traverse;
    XmlBuilder_Type.tp_clear = (inquiry)builder_clear;
    XmlBuilder_Type.tp_methods = builder_methods;
    XmlBuilder_Type.tp_members = builder_members;
    XmlBuilder_Type.tp_doc = "XmlBuilder(element_type, limit_error, parser, collected, max_depth, "
                             "max_elements, max_size): expat handlers building Elements.";
    if (PyType_Ready(&XmlElement_Type) < 0 || PyType_Ready(&XmlBuilder_Type) < 0)
        return -1;
    Py_INCREF(&XmlElement_Type);
    if (PyModule_AddObject(m, "XmlElement", (PyObject *)&XmlElement_Type) < 0)
        return -1;
    Py_INCREF(&XmlBuilder_Type);
    return PyModule_AddObject(m, "XmlBuilder", (PyObject *)&XmlBuilder_Type);
}
