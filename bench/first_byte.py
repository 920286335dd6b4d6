#!/usr/bin/env python3
"""Time to the first byte of a streamed answer (the CSV exports) with several clients at once.

Usage: first_byte.py URL SECONDS CLIENTS [HEADER ...]   (a header is "Name: value")

Each client opens a connection, asks, waits for the first byte of the body, notes how long that
took, and hangs up: the server stops streaming the rest. An export's full time grows with its rows
by nature (wrk measures that); what a person waits for before the download starts should not.
Prints the number of answers and the p50 and p99 of the time to the first byte.
"""
import http.client
import sys
import threading
import time
import urllib.parse

url, seconds, clients = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
headers = dict(h.split(": ", 1) for h in sys.argv[4:])
target = urllib.parse.urlsplit(url)
path = target.path + ("?" + target.query if target.query else "")
times, failures = [], []
lock = threading.Lock()
stop = time.monotonic() + seconds


def client():
    while time.monotonic() < stop:
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        try:
            started = time.monotonic()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            first = response.read(1)
            elapsed = time.monotonic() - started
            with lock:
                (times if response.status == 200 and first else failures).append(elapsed)
        except OSError as error:
            with lock:
                failures.append(str(error))
        finally:
            connection.close()


threads = [threading.Thread(target=client) for _ in range(clients)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
times.sort()
if not times:
    print(f"no answer ({len(failures)} failures)")
    sys.exit(1)


def at(share):
    return times[min(len(times) - 1, int(share * len(times)))] * 1000


print(f"{len(times)} answers, first byte p50 {at(0.50):.2f}ms p99 {at(0.99):.2f}ms" + (f", {len(failures)} failed" if failures else ""))
