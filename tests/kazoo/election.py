"""A kazoo Election candidate. Arguments: PATH IDENTIFIER.

Commands: run (runs for leader on a thread; prints LEADER when elected, then leads until the command
stop, then prints DONE), contenders (comma-separated identifiers in election order).
"""
import os
import sys
import threading

from kazoo.client import KazooClient

path, identifier = sys.argv[1], sys.argv[2]
zk = KazooClient(hosts=os.environ["ZK_HOSTS"])
zk.start(timeout=15)
election = zk.Election(path, identifier)
stop = threading.Event()


def lead():
    print("LEADER", flush=True)
    stop.wait()


def run():
    election.run(lead)
    print("DONE", flush=True)


runner = None
print("READY")
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "run":
        stop.clear()
        runner = threading.Thread(target=run, daemon=True)
        runner.start()
    elif cmd == "stop":
        stop.set()
        runner.join()
    elif cmd == "contenders":
        print(",".join(election.contenders()))
    else:
        print("ERROR unknown command " + cmd)
stop.set()
zk.stop()
zk.close()
