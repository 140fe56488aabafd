"""Reads the data of each path given on stdin (one per line) with kazoo and prints it (or NONODE)."""
import os
import sys

from kazoo.client import KazooClient

zk = KazooClient(hosts=os.environ["ZK_HOSTS"])
zk.start(timeout=15)
print("READY")
for line in sys.stdin:
    path = line.strip()
    data = zk.get(path)[0] if zk.exists(path) else None
    print("NONODE" if data is None else data.decode())
zk.stop()
zk.close()
