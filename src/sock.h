/* sock.h: what the socket files share.
 *
 *  sockerr.c   the exception classes (SocketError and its subclasses) and
 *              turning an errno or a stdlib socket exception into them
 *  sockobj.c   IoSocket: the fd, its two watchers and two queues of waiting
 *              operations, readiness, close
 *  sockop.c    SocketOp: the stream of one operation, from start to finish
 *              (try, wait, retry in the waiter's turn, timeout, cancel)
 *  sockcalls.c the syscalls of each operation and the methods that start them
 *  socktls.c   TlsSocket: recv/send of idiokit.ssl's sockets as `call` ops of
 *              the stdlib ssl object's read and write
 *
 * The I/O model (docs/internals.rst, "The path of one recv"): an operation
 * tries its syscall when it is made, if nobody waits ahead of it in its
 * direction.  If the syscall would block it joins the queue of that
 * direction, whose watcher is then active.  Readiness only wakes the
 * operation at the head of the queue: a task waiting on it is scheduled, and
 * retries the syscall in its own turn, just before it resumes; an operation
 * no task waits on (given to a pipe, a fork, run as main_loop's stream, not
 * yielded yet) is retried by the readiness callback itself.
 */
#ifndef IDK_SOCK_H
#define IDK_SOCK_H

#include "core.h"
#include <errno.h>

enum { IO_READ = 0, IO_WRITE = 1 };
enum { OP_RECV, OP_RECV_INTO, OP_SEND, OP_SENDALL, OP_ACCEPT, OP_CONNECT, OP_CALL };
/* What a try says: finished (either way), or wait for this direction. */
enum { TRY_DONE = -1, TRY_WAIT_READ = IO_READ, TRY_WAIT_WRITE = IO_WRITE };

typedef struct IdkIoOp IdkIoOp;

typedef struct {
    PyObject_HEAD
    int fd;
    int closed;
    double timeout;                 /* default timeout of ops, -1 = none */
    PyObject *owner;                /* the stdlib socket owning fd */
    ev_io w[2];                     /* IO_READ, IO_WRITE: for the socket's life */
    unsigned char active[2];        /* w[d] started: iff head[d] != NULL */
    IdkIoOp *head[2], *tail[2];     /* waiting ops, one reference each */
} IdkIoSock;

struct IdkIoOp {
    IdkInStream base;
    IdkTask *l_host;                /* as IdkLeaf: the task hosting it, or NULL */
    IdkIoSock *sock;                /* owned */
    IdkIoOp *prev, *next;           /* in sock's queue of `dir` */
    unsigned char queued;
    unsigned char kind;             /* OP_* */
    unsigned char dir;              /* the direction it waits on (call: may change) */
    int flags;
    IdkTimer timer;
    PyObject *obj;                  /* send data / buffer owner / callable */
    PyObject *args;                 /* call/connect args, or accept's wrapper */
    PyObject *want[2];              /* call: exception classes meaning "wait for read/write" */
    Py_buffer view;
    int has_view;
    Py_ssize_t size, done;
};

extern PyTypeObject IdkIoSock_Type, IdkIoOp_Type;

/* sockerr.c: new exceptions (stored form, idk_exc_*), never NULL. */
PyObject *idk_sock_exc_errno(int err, const char *text);
PyObject *idk_sock_exc_timeout(void);
/* The error that is set, fetched and turned into our classes. */
PyObject *idk_sock_exc_fetch(void);
int idk_sock_errors_init(PyObject *m);

static inline int idk_errno_would_block(int e)
{
    return e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ENOBUFS;
}

/* sockobj.c */
void idk_sock_watch(IdkIoSock *s, int dir, int on);
/* Descriptors of cls's own for the C methods of defs it inherits (socktls.c too). */
int idk_sock_own_descriptors(PyObject *cls, PyMethodDef *defs);

/* sockop.c */
IdkIoOp *idk_op_new(IdkIoSock *s, int kind, int dir);
PyObject *idk_op_start(IdkIoOp *op, double timeout);   /* steals op; the stream */
void idk_op_on_ready(IdkIoSock *s, int dir);
void idk_op_raise(IdkIoOp *op, PyObject *exc);          /* steals exc */
void idk_op_return1(IdkIoOp *op, PyObject *value);      /* steals; NULL: the error set */
/* Fail every op waiting in `dir` with SocketError(err, text or strerror). */
void idk_op_fail_dir(IdkIoSock *s, int dir, int err, const char *text);
int idk_op_type_init(void);

/* sockcalls.c: one try of op's syscall: TRY_DONE or the direction to wait on. */
int idk_op_try(IdkIoOp *op);
extern PyMethodDef idk_sock_methods[];
/* The per-call methods' argument checks (socktls.c shares them): the
 * arguments by name into out[] (borrowed, NULL when left out); a missing
 * timeout is the socket's default. */
int args_by_name(PyObject *const *args, Py_ssize_t nargs, IdkKw kw, const char *fname,
                 const char *const *names, int nnames, int nrequired, PyObject **out);
int arg_ssize(PyObject *o, Py_ssize_t *out);
int arg_int(PyObject *o, int *out);
int arg_timeout(IdkIoSock *s, PyObject *to, double *timeout);
int arg_size(PyObject *o, const char *fname, Py_ssize_t *out);   /* not negative */

/* socktls.c */
int idk_tls_type_init(PyObject *m);

#endif /* IDK_SOCK_H */
