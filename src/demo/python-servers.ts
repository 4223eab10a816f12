// src/demo/python-servers.ts — the real servers of the cluster topology (cluster-topology.ts), as
// python3 scripts run with `python3 -c SCRIPT ARGS...` in a server's namespace: an HTTP server
// (python's own http.server handler over a directory) and a line echo server. Each prints one
// line once it listens. Pure data; main thread.

// Python's socketservers listen with a backlog of 5, which a burst of connects overflows (a
// real server's is hundreds, nginx's 511): both servers here listen with 512.
// HTTP: GET /name answers the name file of the directory it serves (python3 http.server's handler).
// An IPv6 bind address (a colon in it) makes IPv6 servers.
export const HTTP_SERVER = `
import functools, http.server, socket, sys
class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 512
    address_family = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[3])
server = Server((sys.argv[1], int(sys.argv[2])), handler)
print('Serving HTTP', flush=True)
server.serve_forever()
`;
// A line echo server (python3): the long-lived connections of the cluster tests talk to it.
export const ECHO_SERVER = `
import socket, socketserver, sys
class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line)
            self.wfile.flush()
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 512
    address_family = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
server = Server((sys.argv[1], int(sys.argv[2])), Echo)
print('ready', flush=True)
server.serve_forever()
`;
