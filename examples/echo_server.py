# examples/echo_server.py: the TCP server of asyncoro's introduction, with
# only the import changed (asyncoro -> idiokit.asyncoro).  Each line a client
# sends comes back; the program keeps serving until it is killed.
import socket, sys
import idiokit.asyncoro as asyncoro

def process_request(sock, coro=None):
    while True:
        data = yield sock.recv(1024)
        if not data:
            break
        reply = data
        yield sock.sendall(reply)
    sock.close()

def server(host, port, coro=None):
    sock = asyncoro.AsyncSocket(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)

    while True:
        conn, addr = yield sock.accept()
        asyncoro.Coro(process_request, conn)

host, port = '127.0.0.1', int(sys.argv[1]) if len(sys.argv) > 1 else 8010
asyncoro.Coro(server, host, port)
