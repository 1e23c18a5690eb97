"""relay.py - TCP servers on 127.0.0.1 that stand between the CLI and the real daemon, for tests of what the
CLI does when the network misbehaves: a Listener hands each connection it accepts to accepted(); a Relay
connects each one on to the daemon and copies bytes both ways, one thread per direction, through
forward(), which a subclass overrides to hold, drip or drop what passes."""

import socket
import threading


class Listener:
    """A listening socket on 127.0.0.1 (port: the one the kernel chose) and a thread accepting on it;
    connections counts the connections accepted so far."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.accepted(conn)

    def accepted(self, conn):
        """Called on the accept thread for each new connection, which it then owns."""
        raise NotImplementedError

    def close(self):
        self.sock.close()


class Relay(Listener):
    """Relays each connection to the daemon on target. state is one dict per connection, shared by its two
    directions (new_state() makes it); forward(data, dst, state, upstream) passes one chunk on (upstream:
    from the client) and returns False to end the connection both ways."""

    def __init__(self, target):
        self.target = target
        super().__init__()

    def accepted(self, conn):
        server = socket.create_connection(("127.0.0.1", self.target))
        state = self.new_state()
        threading.Thread(target=self._pipe, args=(conn, server, state, True), daemon=True).start()
        threading.Thread(target=self._pipe, args=(server, conn, state, False), daemon=True).start()

    def new_state(self):
        return {}

    def forward(self, data, dst, state, upstream):
        dst.sendall(data)
        return True

    def _pipe(self, src, dst, state, upstream):
        try:
            while True:
                data = src.recv(65536)
                if not data or not self.forward(data, dst, state, upstream):
                    break
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
