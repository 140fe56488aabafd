"""kazoo's NonBlockingLease and MultiNonBlockingLease driven line by line from stdin
(see tests/interop_queue.rs).

Commands (one per line, words separated by spaces):
  lease PATH SECONDS IDENT NOW              -> OBTAINED|REFUSED   NOW: seconds since the epoch, or "real"
  multi COUNT PATH SECONDS IDENT NOW        -> OBTAINED|REFUSED
"""
import datetime
import os
import sys

from kazoo.client import KazooClient
from kazoo.recipe.lease import MultiNonBlockingLease, NonBlockingLease

zk = KazooClient(hosts=os.environ["ZK_HOSTS"])
zk.start(timeout=15)


def clock(now):
    if now == "real":
        return datetime.datetime.utcnow
    at = datetime.datetime.fromtimestamp(int(now), datetime.timezone.utc).replace(tzinfo=None)
    return lambda: at


def answer(obtained):
    print("OBTAINED" if obtained else "REFUSED")


print("READY")
for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    if words[0] == "lease":
        _, path, secs, ident, now = words
        duration = datetime.timedelta(seconds=int(secs))
        answer(NonBlockingLease(zk, path, duration, identifier=ident, utcnow=clock(now)))
    elif words[0] == "multi":
        _, count, path, secs, ident, now = words
        duration = datetime.timedelta(seconds=int(secs))
        answer(MultiNonBlockingLease(zk, int(count), path, duration, identifier=ident, utcnow=clock(now)))
    else:
        print("UNKNOWN " + words[0])
zk.stop()
zk.close()
