#!/usr/bin/env python3
"""Labelled traffic for the risk rules: a synthetic school with honest and fraudulent promoters,
driven through the HTTP API of a sandbox server, then each rule's precision and recall.

Usage: bench/fraudsim.py PORT ADMIN_TOKEN [--seed N] [--hold-all]

Honest promoters share links with realistic traffic (new visitors on their own addresses and
devices, a few per cent converting, a few per cent refunding); some of their family buy from
home, two of them share one household payout account, one newcomer goes viral on the first day.
The fraudulent kinds each do one thing the rules are meant to see:

  self_buyer      logs in from home, then buys through its own link from that address or device
  click_farm      bursts of clicks: one address, or rotating addresses with one user agent, no cookies
  refund_abuser   accomplices' orders, most refunded once the commission is booked
  shared_payout   several accounts of one person, all paid out to one wallet
  group_stacker   fills its groups with buyers on one phone
  burst           a new promoter with a sudden volume of fake orders on its first day

A rule flags a promoter when a case of that rule names it. Precision counts every fraudulent
promoter it flags as right (whatever the kind); recall counts the promoters of the kinds the rule
is for. The share of honest commission held is by amount, at the end of the run.
"""
import argparse
import json
import random
import sys
import urllib.error
import urllib.request

TARGETS = {
    "self_purchase_ip": {"self_buyer"},
    "self_purchase_device": {"self_buyer"},
    "click_flood": {"click_farm"},
    "conversion_anomaly": {"self_buyer", "burst", "refund_abuser", "group_stacker"},
    "refund_abuse": {"refund_abuser"},
    "shared_device_group": {"group_stacker"},
    "shared_payout_account": {"shared_payout"},
    "new_promoter_burst": {"burst"},
}
USER_AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47",
    "Mozilla/5.0 (Linux; Android 14; PJD110) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.49",
    "Mozilla/5.0 (Linux; Android 13; V2227A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0 Mobile Safari/537.36 MicroMessenger/8.0.48",
    "Mozilla/5.0 (Linux; Android 12; ANA-AN00) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0 Mobile Safari/537.36 MicroMessenger/8.0.46",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
]


class API:
    def __init__(self, port, token):
        self.base = f"http://127.0.0.1:{port}"
        self.token = token
        self.calls = 0

    def send(self, method, path, body=None, headers=None, ok=(200, 201, 204)):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", "Bearer " + self.token)
        request.add_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        self.calls += 1
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read()
                return response.status, (json.loads(text) if text else {})
        except urllib.error.HTTPError as error:
            text = error.read()
            if error.code in ok:
                return error.code, json.loads(text) if text else {}
            raise RuntimeError(f"{method} {path} -> {error.code}: {text[:300]!r}") from None

    def call(self, method, path, body=None, headers=None):
        return self.send(method, path, body, headers)[1]

    def pages(self, path):
        cursor, sep = None, "&" if "?" in path else "?"
        while True:
            page = self.call("GET", path + sep + "limit=100" + (f"&cursor={cursor}" if cursor else ""))
            yield from page["data"]
            cursor = page.get("next_cursor")
            if not cursor:
                return


class School:
    def __init__(self, api, rng):
        self.api, self.rng = api, rng
        self.labels = {}  # promoter id -> kind ("honest" or a fraud kind)
        self.links, self.homes, self.devices, self.tokens = {}, {}, {}, {}
        self.paid = []  # (order id, promoter id, amount)
        self.n = 0

    def uid(self, prefix):
        self.n += 1
        return f"{prefix}-{self.n:07d}"

    def ip(self):
        # Addresses from the documentation and benchmarking ranges, spread wide enough that two
        # unrelated visitors rarely share one.
        return f"198.{18 + self.rng.randrange(2)}.{self.rng.randrange(256)}.{1 + self.rng.randrange(254)}"

    def device(self):
        return "fp1-%016x" % self.rng.getrandbits(64)

    def promoter(self, kind, name):
        promoter = self.api.call("POST", "/api/v1/promoters", {"name": name})["id"]
        self.labels[promoter] = kind
        self.links[promoter] = self.api.call("POST", "/api/v1/links", {"promoter_id": promoter, "product_id": self.product})["code"]
        self.homes[promoter], self.devices[promoter] = self.ip(), self.device()
        self.tokens[promoter] = self.api.call("POST", f"/api/v1/promoters/{promoter}/tokens")["token"]
        return promoter

    def seen_at_home(self, promoter, device=None):
        """The promoter uses its app from home: a sighting of its address and device."""
        urllib_headers = {"Authorization": "Bearer " + self.tokens[promoter], "X-Forwarded-For": self.homes[promoter],
                          "X-Tuike-Device": device or self.devices[promoter]}
        request = urllib.request.Request(f"{self.api.base}/api/v1/promoters/{promoter}/balance", headers=urllib_headers)
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
        self.api.calls += 1

    def click(self, promoter, visitor, ip, device, agent):
        self.api.call("POST", "/api/v1/track/click", {"code": self.links[promoter], "visitor_id": visitor, "ip": ip,
                                                      "device_id": device, "user_agent": agent})

    def order(self, promoter, visitor, ip, device, price=19_900):
        order = self.api.call("POST", "/api/v1/orders", {"buyer_id": self.uid("buyer"), "items": [{"product_id": self.product, "quantity": 1}],
                                                         "visitor_id": visitor, "ip": ip, "device_id": device})["id"]
        self.api.call("POST", f"/api/v1/orders/{order}/paid", {"payment_id": "pay-" + order})
        self.paid.append((order, promoter, price))
        return order

    def visit(self, promoter, buys, ip=None, device=None):
        visitor, ip, device = self.uid("visitor"), ip or self.ip(), device or self.device()
        self.click(promoter, visitor, ip, device, self.rng.choice(USER_AGENTS))
        return self.order(promoter, visitor, ip, device) if buys else None

    def refund(self, order):
        self.api.send("POST", f"/api/v1/orders/{order}/refunds", {"amount": 19_900, "reason": "simulated"}, ok=(409, 422))

    def advance(self, seconds):
        # Hour by hour, as the server's hourly jobs (the risk scan among them) would see the day.
        now = None
        while seconds > 0:
            step = min(seconds, 3_600)
            now = self.api.call("POST", "/api/v1/sandbox/clock/advance", {"seconds": step})["now"]
            seconds -= step
        return now


def simulate(api, seed, hold_all, thresholds):
    rng = random.Random(seed)
    school = School(api, rng)
    if hold_all:
        for code in TARGETS:
            api.call("PUT", f"/api/v1/risk/rules/{code}", {"mode": "hold"})
    for setting in thresholds:
        code, value = setting.split("=")
        api.call("PUT", f"/api/v1/risk/rules/{code}", {"threshold": int(value)})
    school.product = api.call("POST", "/api/v1/products", {"title": "考研英语一 全程班", "price": 19_900})["id"]
    campaign = api.call("POST", "/api/v1/group-campaigns", {"product_id": school.product, "group_price": 9_900, "leader_price": 8_900,
                                                             "group_size": 3, "duration_seconds": 86_400})["id"]
    honest = [school.promoter("honest", f"推客{n}") for n in range(60)]
    popularity = {p: rng.choice([4, 8, 12, 20, 30, 45]) for p in honest}
    fraud = {kind: [school.promoter(kind, f"{kind}-{n}") for n in range(count)]
             for kind, count in [("self_buyer", 6), ("click_farm", 4), ("refund_abuser", 4), ("shared_payout", 3), ("group_stacker", 3)]}
    # Nobody is new when the traffic starts; the newcomers join on day 4.
    school.advance(3 * 86_400)
    refundable = []
    for day in range(7):
        # Each actor's day is a list of things done at some hour; the clock then walks the day
        # hour by hour, as the hourly jobs (the risk scan among them) see it.
        plan = []

        def at(hour, action):
            plan.append((hour, len(plan), action))

        # Yesterday's refunds come first, once the commissions are booked.
        for order in refundable:
            at(0, lambda order=order: school.refund(order))
        refundable = []

        def honest_visits(promoter, count):
            for _ in range(count):
                order = school.visit(promoter, buys=rng.random() < 0.04)
                if order and rng.random() < 0.06:
                    refundable.append(order)

        def real_group(promoter):
            visitor, ip, device = school.uid("visitor"), school.ip(), school.device()
            school.click(promoter, visitor, ip, device, rng.choice(USER_AGENTS))
            opened = api.call("POST", "/api/v1/groups", {"campaign_id": campaign, "buyer_id": school.uid("buyer"), "visitor_id": visitor,
                                                        "ip": ip, "device_id": device})
            api.call("POST", f"/api/v1/orders/{opened['order']['id']}/paid", {"payment_id": "pay-" + opened["order"]["id"]})
            for _ in range(2):
                joined = api.call("POST", f"/api/v1/groups/{opened['group']['id']}/join",
                                  {"buyer_id": school.uid("buyer"), "visitor_id": school.uid("visitor"), "ip": school.ip(), "device_id": school.device()})
                api.call("POST", f"/api/v1/orders/{joined['order']['id']}/paid", {"payment_id": "pay-" + joined["order"]["id"]})

        if day == 4:
            fraud["burst"] = [school.promoter("burst", f"burst-{n}") for n in range(2)]
            viral = school.promoter("honest", "爆款新人")
            honest.append(viral)
            popularity[viral] = 45
            # 640 clicks over the day, 26 orders: 4 %, like everyone.
            for hour in range(24):
                at(hour, lambda viral=viral, hour=hour: [school.visit(viral, buys=n % 25 == 0) for n in range(hour * 27, hour * 27 + 27)])
            for promoter in fraud["burst"]:
                for hour in range(1, 13):
                    at(hour, lambda promoter=promoter: [school.visit(promoter, buys=True) for _ in range(2)])
        for promoter in honest:
            if rng.random() < 0.5:
                at(rng.randrange(24), lambda promoter=promoter: school.seen_at_home(promoter))
            for _ in range(rng.randint(popularity[promoter] // 2, popularity[promoter])):
                at(rng.randrange(24), lambda promoter=promoter: honest_visits(promoter, 1))
            if rng.random() < 0.03:  # family at home buys through the promoter's link
                at(rng.randrange(24), lambda promoter=promoter: school.visit(promoter, buys=True, ip=school.homes[promoter]))
            if rng.random() < 0.04:  # a group of three real buyers
                at(rng.randrange(24), lambda promoter=promoter: real_group(promoter))
        for promoter in fraud["self_buyer"]:
            hour = rng.randrange(20)
            at(hour, lambda promoter=promoter: school.seen_at_home(promoter))
            for _ in range(rng.randint(3, 8)):
                at(rng.randrange(24), lambda promoter=promoter: school.visit(promoter, buys=False))
            for _ in range(rng.randint(1, 3)):
                # From home, or on mobile data with the same phone.
                at_home = rng.random() < 0.5
                at(rng.randrange(hour, 24), lambda promoter=promoter, at_home=at_home: school.visit(
                    promoter, buys=True, ip=school.homes[promoter] if at_home else None, device=None if at_home else school.devices[promoter]))
        for promoter in fraud["click_farm"]:
            if rng.random() < 0.5:
                def flood(promoter=promoter):
                    ip = school.ip()
                    for _ in range(40):
                        school.click(promoter, school.uid("visitor"), ip, school.device(), USER_AGENTS[0])
            else:
                def flood(promoter=promoter):
                    agent = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
                    for _ in range(45):
                        school.click(promoter, school.uid("visitor"), school.ip(), None, agent)
            at(rng.randrange(24), flood)
        for promoter in fraud["refund_abuser"]:
            for _ in range(rng.randint(2, 4)):
                at(rng.randrange(24), lambda promoter=promoter: school.visit(promoter, buys=False))
            for _ in range(2):
                def abuse(promoter=promoter):
                    order = school.visit(promoter, buys=True)
                    if rng.random() < 0.75:
                        refundable.append(order)
                at(rng.randrange(24), abuse)
        for promoter in fraud["shared_payout"]:
            for _ in range(rng.randint(8, 16)):
                at(rng.randrange(24), lambda promoter=promoter: school.visit(promoter, buys=rng.random() < 0.15))

        def stacked_group(promoter):
            phone, network = school.device(), school.ip()
            school.visit(promoter, buys=False)
            visitor = school.uid("visitor")
            school.click(promoter, visitor, network, phone, USER_AGENTS[2])
            opened = api.call("POST", "/api/v1/groups", {"campaign_id": campaign, "buyer_id": school.uid("buyer"), "visitor_id": visitor,
                                                        "ip": network, "device_id": phone})
            api.call("POST", f"/api/v1/orders/{opened['order']['id']}/paid", {"payment_id": "pay-" + opened["order"]["id"]})
            for _ in range(2):
                visitor = school.uid("visitor")
                school.click(promoter, visitor, school.ip(), phone, USER_AGENTS[2])
                joined = api.call("POST", f"/api/v1/groups/{opened['group']['id']}/join",
                                  {"buyer_id": school.uid("buyer"), "visitor_id": visitor, "ip": school.ip(), "device_id": phone})
                api.call("POST", f"/api/v1/orders/{joined['order']['id']}/paid", {"payment_id": "pay-" + joined["order"]["id"]})

        for promoter in fraud["group_stacker"]:
            at(rng.randrange(24), lambda promoter=promoter: stacked_group(promoter))
        plan.sort(key=lambda item: (item[0], item[1]))
        for hour in range(24):
            for _, _, action in [item for item in plan if item[0] == hour]:
                action()
            school.advance(3_600)

    # Withdrawals after the freeze: everyone with money asks; the shared-payout ring and one
    # honest household name one account each.
    now = school.advance(8 * 86_400)
    api.call("POST", "/api/v1/settlements", {"period_end": now})
    household = []
    for promoter in honest + [p for kind in fraud.values() for p in kind]:
        available = api.call("GET", f"/api/v1/promoters/{promoter}/balance")["available"]
        if available < 10_000:  # the program's minimum withdrawal
            continue
        kind = school.labels[promoter]
        if kind == "honest" and len(household) < 2:
            household.append(promoter)
        account = ("ring@example.com" if kind == "shared_payout" else "household@example.com" if promoter in household
                   else f"{promoter}@example.com")
        status, answer = api.send("POST", "/api/v1/withdrawals", {"promoter_id": promoter, "amount": available, "channel": "alipay", "account": account},
                             ok=(409, 422))
        if status != 201:
            print(f"withdrawal of {promoter} ({kind}) refused: {status} {answer}", file=sys.stderr)
    school.advance(3_600)
    return school


def report(api, school, hold_all):
    flagged = {code: set() for code in TARGETS}
    for found in api.pages("/api/v1/risk/cases"):
        for signal in found["signals"]:
            flagged.setdefault(signal["code"], set()).add(found["promoter_id"])
    fraudulent = {p for p, kind in school.labels.items() if kind != "honest"}
    print(f"\n{'rule':24} {'flagged':>7} {'right':>6} {'precision':>9} {'recall':>7}   (targets)")
    for code, targets in TARGETS.items():
        positives = {p for p, kind in school.labels.items() if kind in targets}
        hits = flagged.get(code, set())
        right = len(hits & fraudulent)
        precision = f"{right / len(hits):.2f}" if hits else "–"
        recall = f"{len(hits & positives) / len(positives):.2f}" if positives else "–"
        caught = {}
        for promoter in hits:
            caught[school.labels[promoter]] = caught.get(school.labels[promoter], 0) + 1
        print(f"{code:24} {len(hits):>7} {right:>6} {precision:>9} {recall:>7}   ({', '.join(sorted(targets))}; flagged: "
              f"{', '.join(f'{kind} {count}' for kind, count in sorted(caught.items()))})")
    anything = set().union(*flagged.values())
    print(f"{'any rule':24} {len(anything):>7} {len(anything & fraudulent):>6} "
          f"{len(anything & fraudulent) / max(len(anything), 1):>9.2f} {len(anything & fraudulent) / max(len(fraudulent), 1):>7.2f}   (any fraud)")
    honest_total = honest_held = 0
    for commission in api.pages("/api/v1/commissions"):
        if school.labels.get(commission["promoter_id"]) != "honest" or commission["status"] in ("reversed", "rejected"):
            continue
        honest_total += commission["amount"]
        if commission["status"] == "held":
            honest_held += commission["amount"]
    share = honest_held / honest_total if honest_total else 0
    mode = "every rule in hold mode" if hold_all else "default modes"
    print(f"\nhonest commission held ({mode}): {honest_held / 100:.2f} of {honest_total / 100:.2f} yuan = {share:.1%}")
    kinds = {}
    for kind in school.labels.values():
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"promoters: {kinds}; paid orders: {len(school.paid)}; API calls: {api.calls}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port")
    parser.add_argument("token")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hold-all", action="store_true", help="put every rule in hold mode first")
    parser.add_argument("--threshold", action="append", default=[], metavar="CODE=N", help="try another threshold for a rule")
    args = parser.parse_args()
    api = API(args.port, args.token)
    school = simulate(api, args.seed, args.hold_all, args.threshold)
    report(api, school, args.hold_all)


if __name__ == "__main__":
    sys.exit(main())
