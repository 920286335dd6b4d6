#!/usr/bin/env python3
"""Drives bench/groups.sh: opens GROUPS groups of size 3, pays the leaders, then CLIENTS concurrent
clients send three join attempts per group (two find a slot, the third is refused with group_full)
and pay each reservation. Prints joins/s and pays/s; the shell script checks the database after."""
import http.client, json, os, sys, threading, time, queue

port, token = int(sys.argv[1]), sys.argv[2]
groups_wanted, clients = int(os.environ.get("GROUPS", "1000")), int(os.environ.get("CLIENTS", "64"))
local = threading.local()

def call(method, path, body=None):
    if not hasattr(local, "conn"):
        local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    local.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = local.conn.getresponse()
    data = response.read()
    return response.status, (json.loads(data) if data else {})

def parallel(tasks, worker):
    work, results, lock = queue.Queue(), [], threading.Lock()
    for task in tasks: work.put(task)
    def run():
        while True:
            try: task = work.get_nowait()
            except queue.Empty: return
            result = worker(task)
            with lock: results.append(result)
    threads = [threading.Thread(target=run) for _ in range(clients)]
    start = time.time()
    for thread in threads: thread.start()
    for thread in threads: thread.join()
    return results, time.time() - start

_, product = call("POST", "/api/v1/products", {"title": "拼团压测课", "price": 19900})
_, campaign = call("POST", "/api/v1/group-campaigns", {"product_id": product["id"], "group_price": 9900, "group_size": 3,
                                                        "per_user_limit": 1, "payment_timeout_seconds": 3600})
def open_group(index):
    status, body = call("POST", "/api/v1/groups", {"campaign_id": campaign["id"], "buyer_id": f"leader-{index}"})
    assert status == 201, body
    status, paid = call("POST", f"/api/v1/orders/{body['order']['id']}/paid", {"payment_id": f"pay-leader-{index}"})
    assert status == 200, paid
    return body["group"]["id"]
group_ids, elapsed = parallel(range(groups_wanted), open_group)
print(f"opened and paid {len(group_ids)} leader orders in {elapsed:.1f} s")

attempts = [(group, f"{group}-buyer-{n}") for n in range(3) for group in group_ids]
def join(task):
    group, buyer = task
    status, body = call("POST", f"/api/v1/groups/{group}/join", {"buyer_id": buyer})
    return status, body.get("order", {}).get("id"), body.get("error", {}).get("code")
joins, elapsed = parallel(attempts, join)
accepted = [order for status, order, _ in joins if status == 201]
full = sum(1 for status, _, code in joins if status == 409 and code == "group_full")
print(f"join attempts: {len(joins)} in {elapsed:.2f} s = {len(joins) / elapsed:.0f} joins/s "
      f"({len(accepted)} reserved, {full} group_full, {len(joins) - len(accepted) - full} other)")

def pay(order):
    status, _ = call("POST", f"/api/v1/orders/{order}/paid", {"payment_id": "pay-" + order})
    return status
paid, elapsed = parallel(accepted, pay)
print(f"payments: {len(paid)} in {elapsed:.2f} s = {len(paid) / elapsed:.0f} pays/s ({sum(1 for s in paid if s == 200)} ok)")
