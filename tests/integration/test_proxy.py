"""The PROXY protocol v2 on planregd's listener (server/proxy.c): a connection from an address in
trusted_proxies starts with a header naming the real client, whom the logs, the per-address
limit and the admission decisions then see; a connection from anyone else is never read as one;
a trusted connection with no header, a bad one or one that never comes is refused."""

import os
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import metric  # noqa: E402
from wire import OK, close_all, proxy_v2, whoami  # noqa: E402

PROXY = "127.0.0.9"  # the load balancer's address in these tests


def silent_proxied(port, count, client_ip):
    """count connections from the proxy that send a header naming client_ip, then nothing."""
    socks = []
    for i in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=3, source_address=(PROXY, 0))
        s.sendall(proxy_v2(client_ip, 40000 + i % 20000))
        socks.append(s)
    return socks


class ProxyTest(harness.WireTest):
    @classmethod
    def setUpClass(cls):
        cls.service = harness.Service("proxy", people=("viewer",))

    def proxied_daemon(self, **env):
        settings = {"PLANREGD_TRUSTED_PROXIES": PROXY + ", 10.9.0.0/16", "PLANREGD_HANDSHAKE_TIMEOUT_MS": "2000"}
        settings.update(env)
        return self.extra_daemon(settings)

    def test_the_header_names_the_client(self):
        d = self.proxied_daemon()
        mark = d.log_mark()
        w = self.wire(daemon=d, source=PROXY, preamble=proxy_v2("192.0.2.33", 4444))
        self.assertEqual(w.call(whoami(1)).code, OK)
        d.wait_log(r"event=conn_open conn=\d+ peer=192\.0\.2\.33:4444 cred=admin", 3, since=mark)
        body = d.metrics()
        self.assertEqual(metric(body, "planregd_proxy_connections_total"), 1, body)
        self.assertEqual(metric(body, "planregd_proxy_headers_total", outcome="header"), 1, body)
        # LOCAL (a health check of the proxy's own) keeps the proxy's address
        mark = d.log_mark()
        w = self.wire(daemon=d, source=PROXY, preamble=proxy_v2(None, 0, local=True))
        self.assertEqual(w.call(whoami(2)).code, OK)
        d.wait_log(r"event=conn_open conn=\d+ peer=127\.0\.0\.9:\d+ cred=admin", 3, since=mark)

    def test_nobody_else_is_read_as_a_proxy(self):
        d = self.proxied_daemon()
        # a client that is not a trusted proxy and sends a header: it is read as TLS, and fails
        with self.assertRaises((OSError, ssl.SSLError)):
            w = self.wire(daemon=d, source="127.0.0.1", preamble=proxy_v2("192.0.2.77", 1), timeout=3)
            w.call(whoami(1))
        self.assertNotIn("192.0.2.77", d.read_log())
        # without a header it is an ordinary client
        w = self.wire(daemon=d, source="127.0.0.1")
        self.assertEqual(w.call(whoami(2)).code, OK)

    def test_a_trusted_connection_needs_its_header(self):
        d = self.proxied_daemon()
        # TLS straight away from the proxy's address: refused, not served as the proxy
        t0 = time.time()
        with self.assertRaises((OSError, ssl.SSLError)):
            w = self.wire(daemon=d, source=PROXY, timeout=3)
            w.call(whoami(1))
        self.assertLess(time.time() - t0, 2.5)
        d.wait_log(r"event=proxy_refused peer=127\.0\.0\.9:\d+ reason=\"the connection did not start with a "
                   r"PROXY protocol v2 header\"", 3)
        # a header that never comes: refused at handshake_timeout_ms
        s = socket.create_connection(("127.0.0.1", d.port), timeout=5, source_address=(PROXY, 0))
        s.sendall(proxy_v2("192.0.2.1", 1)[:10])
        t0 = time.time()
        s.settimeout(5)
        try:
            self.assertEqual(s.recv(16), b"")
        except ConnectionResetError:
            pass
        self.assertLess(time.time() - t0, 4)
        s.close()
        body = d.metrics()
        self.assertGreaterEqual(metric(body, "planregd_proxy_headers_total", outcome="invalid"), 1, body)
        self.assertGreaterEqual(metric(body, "planregd_proxy_headers_total", outcome="timeout"), 1, body)

    def test_limits_count_the_real_client(self):
        """Every connection comes from the proxy's one address; the per-address quota counts the
        clients it names: a client's own quota full of authenticated connections refuses it,
        while another client behind the same proxy is served."""
        d = self.proxied_daemon(PLANREGD_MAX_CONNECTIONS_PER_ADDR="3")
        held = [self.wire(daemon=d, source=PROXY, preamble=proxy_v2("198.51.100.7", 5000 + i)) for i in range(3)]
        for i, w in enumerate(held):
            self.assertEqual(w.call(whoami(i + 1)).code, OK)
        with self.assertRaises((OSError, ssl.SSLError)):
            w = self.wire(daemon=d, source=PROXY, preamble=proxy_v2("198.51.100.7", 6000), timeout=3)
            w.call(whoami(9))
        w = self.wire(daemon=d, source=PROXY, preamble=proxy_v2("198.51.100.8", 6001))
        self.assertEqual(w.call(whoami(10)).code, OK)
        d.wait_log(r"event=conn_refused peer=198\.51\.100\.7:6000 reason=per_addr limit=3", 3)

    def test_a_flood_behind_the_proxy_leaves_other_clients_served(self):
        """One real address floods through the load balancer with silent connections; a client
        at another address behind the same balancer is served within 2 s, and so is one at the
        flooding address (it takes the place of the oldest silent one)."""
        d = self.proxied_daemon(PLANREGD_MAX_HANDSHAKES="64")
        socks = silent_proxied(d.port, 600, "203.0.113.5")
        stop = threading.Event()

        def churn():
            while not stop.is_set():
                socks.extend(silent_proxied(d.port, 1, "203.0.113.5"))
                time.sleep(0.01)

        flooder = threading.Thread(target=churn)
        try:
            time.sleep(0.4)
            flooder.start()
            for client, req in (("203.0.113.6", 1), ("203.0.113.5", 2)):
                t0 = time.time()
                w = self.wire(daemon=d, source=PROXY, preamble=proxy_v2(client, 7000 + req), timeout=5)
                r = w.call(whoami(req))
                took = time.time() - t0
                self.assertEqual(r.code, OK)
                self.assertLess(took, 2.0, "a client at %s behind the proxy waited %.2fs" % (client, took))
        finally:
            stop.set()
            flooder.join(10)
            close_all(socks)

    def test_a_bad_trusted_proxies_setting_is_refused_at_start(self):
        env = {k: "" for k in os.environ if k.startswith("PLANREGD_")}
        env.update(harness.daemon_env(harness.dsn(self.service.db), self.service.pki))
        env["PLANREGD_TRUSTED_PROXIES"] = "10.0.0.0/33"
        r = harness.run([harness.PLANREGD, "check-config"], env=env)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("trusted_proxies: \"10.0.0.0/33\" is not an IP address or network", r.stderr)


if __name__ == "__main__":
    harness.main()
