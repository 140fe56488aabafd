"""kazoo's Counter, Party/ShallowParty and DoubleBarrier driven line by line from stdin.

Commands (one per line; each answers with one line on stdout):
  counter PATH KIND add N        KIND is int, float or curator; prints the value after the change
  counter PATH KIND value        prints the value (repr)
  counter PATH KIND loop N TIMES adds N TIMES times, prints DONE
  party PATH deep|shallow ID join|leave|members
                                 join/leave print JOINED/LEFT; members prints the sorted identifiers,
                                 comma-separated
  dbarrier PATH NUM ID enter|leave
                                 runs in a thread; prints "ENTERED <participating>" / "LEFT <participating>"
  partitioner PATH ID start ITEM...   a SetPartitioner (time boundary and reaction 0.2 s); waits for the
                                 set, prints "ACQUIRED <sorted items, comma-separated>"
  partitioner PATH ID redivide   waits for RELEASE, releases and waits again; prints as start
  partitioner PATH ID finish     prints FINISHED
"""
import time
import os
import sys
import threading

from kazoo.client import KazooClient

zk = KazooClient(hosts=os.environ["ZK_HOSTS"])
zk.start(timeout=15)
objects = {}
out_lock = threading.Lock()


def say(text):
    with out_lock:
        print(text, flush=True)


def counter(path, kind):
    key = ("counter", path, kind)
    if key not in objects:
        if kind == "float":
            objects[key] = zk.Counter(path, default=0.0)
        else:
            objects[key] = zk.Counter(path, support_curator=(kind == "curator"))
    return objects[key]


def number(kind, text):
    return float(text) if kind == "float" else int(text)


def run(words):
    what = words[0]
    if what == "counter":
        path, kind, op = words[1], words[2], words[3]
        c = counter(path, kind)
        if op == "add":
            c += number(kind, words[4])
            say(repr(c.post_value))
        elif op == "value":
            say(repr(c.value))
        elif op == "loop":
            n = number(kind, words[4])
            for _ in range(int(words[5])):
                c += n
            say("DONE")
    elif what == "party":
        path, style, ident, op = words[1:5]
        key = ("party", path, style, ident)
        if key not in objects:
            make = zk.ShallowParty if style == "shallow" else zk.Party
            objects[key] = make(path, ident)
        p = objects[key]
        if op == "join":
            p.join()
            say("JOINED")
        elif op == "leave":
            p.leave()
            say("LEFT")
        elif op == "members":
            say(",".join(sorted(p)))
    elif what == "dbarrier":
        path, num, ident, op = words[1], int(words[2]), words[3], words[4]
        key = ("dbarrier", path, ident)
        if key not in objects:
            objects[key] = zk.DoubleBarrier(path, num, identifier=ident)
        b = objects[key]

        def blocking():
            if op == "enter":
                b.enter()
                say("ENTERED %s" % b.participating)
            else:
                b.leave()
                say("LEFT %s" % b.participating)

        threading.Thread(target=blocking, daemon=True).start()
    elif what == "partitioner":
        path, ident, op = words[1], words[2], words[3]
        key = ("partitioner", path, ident)
        if op == "start":
            objects[key] = zk.SetPartitioner(
                path, set=words[4:], identifier=ident, time_boundary=0.2, max_reaction_time=0.2
            )
        p = objects[key]
        if op == "redivide":
            end = time.time() + 10
            while not p.release and time.time() < end:
                time.sleep(0.05)
            p.release_set()
        if op == "finish":
            p.finish()
            say("FINISHED")
            return
        p.wait_for_acquire(14)
        say("ACQUIRED " + ",".join(sorted(p)) if p.acquired else "STATE " + p.state)


say("READY")
for line in sys.stdin:
    words = line.split()
    if words:
        run(words)
zk.stop()
zk.close()
