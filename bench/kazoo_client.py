"""kazoo_client.py -- the workloads of harness.c with kazoo (threading handler), for the same table.

    python3 kazoo_client.py HOSTS get|set|create|sync|watch|sessions N [INFLIGHT]

Prints one "RESULT client=kazoo ..." line.
"""
import logging
import resource
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError

DATA = b"x" * 100


def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def usage():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_nvcsw + r.ru_nivcsw


class Window:
    """At most `size` requests outstanding, refilled in batches of size/8 (as harness.c does)."""

    def __init__(self, size):
        self.cv = threading.Condition()
        self.size = size
        self.outstanding = 0
        self.failures = 0
        self.wake_at = -1

    def acquire(self):
        with self.cv:
            if self.outstanding >= self.size:
                while self.outstanding > self.size - max(self.size // 8, 1):
                    self.wake_at = self.size - max(self.size // 8, 1)
                    self.cv.wait()
            self.outstanding += 1

    def done(self, ok):
        with self.cv:
            if not ok:
                self.failures += 1
            self.outstanding -= 1
            if self.outstanding <= self.wake_at:
                self.wake_at = -1
                self.cv.notify()

    def drain(self):
        with self.cv:
            while self.outstanding > 0:
                self.wake_at = 0
                self.cv.wait()


def connect(hosts):
    zk = KazooClient(hosts=hosts, timeout=10)
    zk.start(timeout=15)
    return zk


def main():
    logging.basicConfig(level=logging.ERROR)
    hosts, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    window = Window(int(sys.argv[4]) if len(sys.argv) > 4 else 1000)
    out = "RESULT client=kazoo work=%s n=%d" % (work, n)

    if work == "sessions":
        rss0, th0 = status("VmRSS"), status("Threads")
        clients = [connect(hosts) for _ in range(n)]
        rss1, th1 = status("VmRSS"), status("Threads")
        print("%s rss_kb=%d rss_kb_per_session=%.1f threads=%d threads_per_session=%.2f"
              % (out, rss1, (rss1 - rss0) / n, th1, (th1 - th0) / n))
        for zk in clients:
            zk.stop()
            zk.close()
        return

    th0 = status("Threads")
    zk = connect(hosts)
    rss_connect, anon_connect, threads = status("VmRSS"), status("RssAnon"), status("Threads") - th0
    for path, data in (("/bench-get", DATA), ("/bench-cd", b"")):
        try:
            zk.create(path, data)
        except NodeExistsError:
            pass

    if work == "treecache":
        from kazoo.recipe.cache import TreeCache, TreeEvent

        zk.ensure_path("/bench-tc")
        for i in range(n):
            try:
                zk.create("/bench-tc/n%d" % i, DATA)
            except NodeExistsError:
                pass
        initialized = threading.Event()
        added = [0]

        def on_event(ev):
            if ev.event_type == TreeEvent.NODE_ADDED:
                added[0] += 1
            elif ev.event_type == TreeEvent.INITIALIZED:
                initialized.set()

        rss0 = status("VmRSS")
        t0 = time.monotonic()
        cache = TreeCache(zk, "/bench-tc")
        cache.listen(on_event)
        cache.start()
        initialized.wait()
        t1 = time.monotonic()
        print("%s nodes=%d init_ms=%.1f rss_kb=%d" % (out, added[0], (t1 - t0) * 1e3, status("VmRSS") - rss0))
        cache.close()
    elif work == "sync":
        lat = []
        c0, s0 = usage()
        t0 = time.monotonic()
        for _ in range(n):
            a = time.monotonic()
            data, _ = zk.get("/bench-get")
            assert len(data) == 100
            lat.append(time.monotonic() - a)
        t1 = time.monotonic()
        c1, s1 = usage()
        lat.sort()
        print("%s secs=%.3f ops=%.0f cpu_us=%.2f csw=%.3f p50_us=%.1f p99_us=%.1f"
              % (out, t1 - t0, n / (t1 - t0), (c1 - c0) * 1e6 / n, (s1 - s0) / n,
                 lat[n // 2] * 1e6, lat[int(n * 0.99)] * 1e6))
    elif work == "watch":
        def completed(a):
            window.done(a.exception is None and a.value is None)

        for i in range(n):
            window.acquire()
            zk.exists_async("/bench-w/kazoo-%d" % i, watch=lambda ev: None).rawlink(completed)
        window.drain()
        rss1 = status("VmRSS")
        print("%s rss_connect_kb=%d anon_connect_kb=%d rss_watch_kb=%d bytes_per_watch=%.0f threads=%d"
              % (out, rss_connect, anon_connect, rss1, (rss1 - rss_connect) * 1024 / n, threads))
    else:
        def completed(a):
            window.done(a.exception is None)

        def get_completed(a):
            window.done(a.exception is None and len(a.value[0]) == 100)

        c0, s0 = usage()
        t0 = time.monotonic()
        for i in range(n):
            window.acquire()
            if work == "get":
                zk.get_async("/bench-get").rawlink(get_completed)
            elif work == "set":
                zk.set_async("/bench-get", DATA).rawlink(completed)
            elif i % 2 == 0:
                zk.create_async("/bench-cd/kazoo-%d" % (i // 2), DATA).rawlink(completed)
            else:
                zk.delete_async("/bench-cd/kazoo-%d" % (i // 2)).rawlink(completed)
        window.drain()
        t1 = time.monotonic()
        c1, s1 = usage()
        n = max(n, 1)  # the connect-only run (n=0) prints zeros
        print("%s inflight=%d secs=%.3f ops=%.0f cpu_us=%.2f csw=%.3f threads=%d"
              % (out, window.size, t1 - t0, n / (t1 - t0), (c1 - c0) * 1e6 / n, (s1 - s0) / n, threads))
    if window.failures:
        sys.exit("kazoo %s: %d requests failed" % (work, window.failures))
    zk.stop()
    zk.close()


if __name__ == "__main__":
    main()
