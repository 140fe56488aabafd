"""kazoo's Queue and LockingQueue driven line by line from stdin (see tests/interop_queue.rs).

Commands (one per line, words separated by spaces; values are ASCII without spaces):
  put KIND PATH PRIORITY VALUE        -> OK           KIND is "plain" or "locking"
  putall PATH PRIORITY VALUE...       -> OK           LockingQueue.put_all
  get KIND PATH                       -> VALUE|NONE   plain: get(); locking: get(1)
  consume PATH                        -> True|False   (the LockingQueue object of PATH)
  release PATH                        -> True|False
  len KIND PATH                       -> N
Named queue_peer, not queue: the script's directory comes first on sys.path and would hide the standard
library's queue module from kazoo.
"""
import os
import sys

from kazoo.client import KazooClient

zk = KazooClient(hosts=os.environ["ZK_HOSTS"])
zk.start(timeout=15)
queues = {}


def queue(kind, path):
    key = (kind, path)
    if key not in queues:
        queues[key] = zk.Queue(path) if kind == "plain" else zk.LockingQueue(path)
    return queues[key]


print("READY")
for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    cmd = words[0]
    if cmd == "put":
        queue(words[1], words[2]).put(words[4].encode(), priority=int(words[3]))
        print("OK")
    elif cmd == "putall":
        queue("locking", words[1]).put_all([w.encode() for w in words[3:]], priority=int(words[2]))
        print("OK")
    elif cmd == "get":
        q = queue(words[1], words[2])
        value = q.get() if words[1] == "plain" else q.get(1)
        print("NONE" if value is None else value.decode())
    elif cmd == "consume":
        print(queue("locking", words[1]).consume())
    elif cmd == "release":
        print(queue("locking", words[1]).release())
    elif cmd == "len":
        print(len(queue(words[1], words[2])))
    else:
        print("UNKNOWN " + cmd)
zk.stop()
zk.close()
