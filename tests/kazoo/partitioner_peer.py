"""A kazoo SetPartitioner member driven line by line from stdin.

Usage: partitioner_peer.py PATH IDENTIFIER ITEMS TIME_BOUNDARY   (ITEMS comma-separated)
Prints READY once it has joined. Commands (each answers with one line "<STATE> <items comma-separated>"):
  settle     until ACQUIRED (at most 20 s): release_set in RELEASE, wait_for_acquire in ALLOCATING
  state      the current state
  finish     finish() (releases the items, leaves the party)
"""
import os
import sys
import time

from kazoo.client import KazooClient

path, identifier, items, boundary = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
zk = KazooClient(hosts=os.environ["ZK_HOSTS"])
zk.start(timeout=15)
part = zk.SetPartitioner(path, set=items.split(","), identifier=identifier, time_boundary=boundary)
print("READY", flush=True)


def report():
    print("%s %s" % (part.state, ",".join(part) if part.acquired or part.release else ""), flush=True)


for line in sys.stdin:
    cmd = line.strip()
    if cmd == "settle":
        end = time.time() + 20
        while not part.acquired and not part.failed and time.time() < end:
            if part.release:
                part.release_set()
            else:
                part.wait_for_acquire(1)
        report()
    elif cmd == "state":
        report()
    elif cmd == "finish":
        part.finish()
        report()
    else:
        print("ERROR unknown command %r" % cmd, flush=True)
zk.stop()
zk.close()
