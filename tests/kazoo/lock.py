"""A kazoo Lock, ReadLock, WriteLock or Semaphore driven line by line from stdin.

Arguments: KIND PATH IDENTIFIER [MAX_LEASES]; KIND is lock, read, write or semaphore.
Commands: acquire (blocking; prints ACQUIRED), try (non-blocking; ACQUIRED or BUSY), release (RELEASED
or NOT_HELD), contenders (the identifiers, comma-separated; lease holders sorted for a semaphore).
An error prints ERROR <exception class> <message>.
"""
import os
import sys

from kazoo.client import KazooClient

kind, path, identifier = sys.argv[1], sys.argv[2], sys.argv[3]
zk = KazooClient(hosts=os.environ["ZK_HOSTS"])
zk.start(timeout=15)
if kind == "semaphore":
    recipe = zk.Semaphore(path, identifier, max_leases=int(sys.argv[4]))
else:
    recipe = {"lock": zk.Lock, "read": zk.ReadLock, "write": zk.WriteLock}[kind](path, identifier)
print("READY")
for line in sys.stdin:
    cmd = line.strip()
    try:
        if cmd == "acquire":
            recipe.acquire()
            print("ACQUIRED")
        elif cmd == "try":
            print("ACQUIRED" if recipe.acquire(blocking=False) else "BUSY")
        elif cmd == "release":
            print("RELEASED" if recipe.release() else "NOT_HELD")
        elif cmd == "contenders":
            names = sorted(recipe.lease_holders()) if kind == "semaphore" else recipe.contenders()
            print(",".join(names))
        else:
            print("ERROR unknown command " + cmd)
    except Exception as e:  # reported to the test, which decides
        print("ERROR %s %s" % (type(e).__name__, e))
zk.stop()
zk.close()
