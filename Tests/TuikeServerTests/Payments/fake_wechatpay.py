"""A fake WeChat Pay API v3 platform on loopback, for Tuike's tests.

It checks every merchant request as WeChat Pay does (the WECHATPAY2-SHA256-RSA2048 Authorization
with the merchant's public key, its mchid, serial and timestamp), answers signed with the platform
key through the `wechatpayv3` SDK's own signing, and builds notifications the platform's way:
the resource sealed with AES-256-GCM under the API v3 key (and read back with the SDK's own
decryption), the envelope signed with the platform key. Notifications are handed to the test to
deliver, so the test decides when (and whether, and how altered) they reach Tuike.

Run: python3 fake_wechatpay.py config.json; it prints its port on the first line.
Control paths (no signature): POST /fake/pay, /fake/refund-notify, /fake/mode, /fake/serial, /fake/clock, /fake/finish-transfers;
GET /fake/state.
"""
import base64
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from wechatpayv3 import utils

cfg = json.load(open(sys.argv[1]))
merchant_key = serialization.load_pem_public_key(cfg["merchant_public_key"].encode())
platform_key = utils.load_private_key(cfg["platform_private_key"])
lock = threading.Lock()
state = {"orders": {}, "refunds": {}, "bills": {}, "transfer_mode": "success", "refund_mode": "answer", "requests": [], "clock_offset": 0,
         "serial": cfg["platform_public_key_id"]}


def now():
    """The platform's clock; a test moves it with Tuike's sandbox clock, so both keep agreeing."""
    return time.time() + state["clock_offset"]
PREFIX = "WECHATPAY2-SHA256-RSA2048 "


def authorization_problem(method, path, body, header):
    if not header or not header.startswith(PREFIX):
        return "no WECHATPAY2-SHA256-RSA2048 authorization"
    fields = {}
    for part in header[len(PREFIX):].split(","):
        key, _, value = part.partition("=")
        fields[key.strip()] = value.strip().strip('"')
    if fields.get("mchid") != cfg["mchid"]:
        return "mchid"
    if fields.get("serial_no") != cfg["merchant_serial_no"]:
        return "serial_no"
    if abs(int(fields.get("timestamp", "0")) - now()) > 300:
        return "timestamp"
    message = f"{method}\n{path}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n"
    try:
        merchant_key.verify(base64.b64decode(fields["signature"]), message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except Exception:
        return "signature"
    return None


def signed_headers(body, offset=0):
    timestamp, nonce = str(int(now()) + offset), uuid.uuid4().hex
    return {"Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce, "Wechatpay-Serial": state["serial"],
            "Wechatpay-Signature": utils.rsa_sign(platform_key, f"{timestamp}\n{nonce}\n{body}\n")}


def notification(event_type, original_type, resource, offset=0):
    nonce = uuid.uuid4().hex[:12]
    plain = json.dumps(resource, ensure_ascii=False)
    sealed = AESGCM(cfg["api_v3_key"].encode()).encrypt(nonce.encode(), plain.encode(), original_type.encode())
    ciphertext = base64.b64encode(sealed).decode()
    assert utils.aes_decrypt(nonce, ciphertext, original_type, cfg["api_v3_key"]) == plain
    body = json.dumps({"id": str(uuid.uuid4()), "create_time": "2026-12-04T10:00:00+08:00", "resource_type": "encrypt-resource",
                       "event_type": event_type, "summary": "支付成功",
                       "resource": {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM", "ciphertext": ciphertext,
                                    "associated_data": original_type, "nonce": nonce}}, ensure_ascii=False)
    return {"headers": signed_headers(body, offset), "body": body}


def refund_answer(refund):
    return {"refund_id": refund["refund_id"], "out_refund_no": refund["out_refund_no"], "transaction_id": refund["transaction_id"],
            "out_trade_no": refund["out_trade_no"], "status": refund["status"],
            "amount": {"refund": refund["refund"], "total": refund["total"], "currency": "CNY"}}


def transaction(no):
    order = state["orders"][no]
    result = {"appid": order["appid"], "mchid": cfg["mchid"], "out_trade_no": no, "trade_type": order["trade_type"],
              "trade_state": order["state"], "trade_state_desc": order["state"], "amount": {"total": order["total"], "currency": "CNY"}}
    if order["state"] == "SUCCESS":
        result.update({"transaction_id": order["transaction_id"], "success_time": "2026-12-04T10:00:00+08:00", "bank_type": "OTHERS",
                       "payer": {"openid": order.get("openid", "o-buyer")},
                       "amount": {"total": order["total"], "payer_total": order["total"], "currency": "CNY", "payer_currency": "CNY"}})
    return result


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, obj=None):
        body = "" if obj is None else json.dumps(obj, ensure_ascii=False)
        data = body.encode()
        self.send_response(status)
        for name, value in signed_headers(body).items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.serve("GET")

    def do_POST(self):
        self.serve("POST")

    def serve(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        path = urlparse(self.path).path
        if path.startswith("/fake/"):
            with lock:
                return self.control(path, json.loads(raw or "{}"))
        problem = authorization_problem(method, self.path, raw, self.headers.get("Authorization"))
        with lock:
            state["requests"].append({"method": method, "path": path, "verified": problem is None})
        if problem:
            return self.reply(401, {"code": "SIGN_ERROR", "message": problem})
        data = json.loads(raw) if raw else {}
        parts = path.strip("/").split("/")
        delay = 0
        with lock:
            status, answer, delay = self.route(method, parts, data)
        if delay:
            time.sleep(delay)
        self.reply(status, answer)

    def route(self, method, parts, data):
        if method == "POST" and parts[:3] == ["v3", "pay", "transactions"] and len(parts) == 4:
            kind = parts[3]
            required = ["appid", "mchid", "description", "out_trade_no", "time_expire", "notify_url", "amount"]
            if any(not data.get(k) for k in required) or data["appid"] != cfg["appid"] or data["mchid"] != cfg["mchid"]:
                return 400, {"code": "PARAM_ERROR", "message": "missing or wrong field"}, 0
            if data["amount"].get("currency") != "CNY" or not isinstance(data["amount"].get("total"), int) or data["amount"]["total"] <= 0:
                return 400, {"code": "PARAM_ERROR", "message": "amount"}, 0
            if kind == "jsapi" and not data.get("payer", {}).get("openid"):
                return 400, {"code": "PARAM_ERROR", "message": "payer.openid"}, 0
            if kind == "h5" and not data.get("scene_info", {}).get("payer_client_ip"):
                return 400, {"code": "PARAM_ERROR", "message": "scene_info"}, 0
            no = data["out_trade_no"]
            existing = state["orders"].get(no)
            if existing and existing["state"] == "SUCCESS":
                return 400, {"code": "ORDERPAID", "message": "该订单已支付"}, 0
            if existing and existing["state"] == "CLOSED":
                return 400, {"code": "ORDER_CLOSED", "message": "该订单已关闭"}, 0
            if existing and existing["total"] != data["amount"]["total"]:
                return 400, {"code": "INVALID_REQUEST", "message": "订单号重复"}, 0
            state["orders"][no] = {"appid": data["appid"], "total": data["amount"]["total"], "state": "NOTPAY", "trade_type": kind.upper(),
                                   "openid": data.get("payer", {}).get("openid"), "notify_url": data["notify_url"]}
            prepay = "wx" + uuid.uuid4().hex
            answers = {"native": {"code_url": "weixin://wxpay/bizpayurl?pr=" + prepay[:10]}, "jsapi": {"prepay_id": prepay},
                       "h5": {"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=" + prepay}}
            return 200, answers[kind], 0
        if parts[:4] == ["v3", "pay", "transactions", "out-trade-no"]:
            no = parts[4]
            if no not in state["orders"]:
                return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}, 0
            if method == "GET":
                return 200, transaction(no), 0
            if state["orders"][no]["state"] == "SUCCESS":
                return 400, {"code": "ORDERPAID", "message": "该订单已支付"}, 0
            state["orders"][no]["state"] = "CLOSED"
            return 204, None, 0
        if method == "POST" and parts == ["v3", "refund", "domestic", "refunds"]:
            paid = [no for no, o in state["orders"].items() if o.get("transaction_id") == data.get("transaction_id")]
            if not paid:
                return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"}, 0
            order = state["orders"][paid[0]]
            amount = data.get("amount", {})
            if amount.get("total") != order["total"] or amount.get("currency") != "CNY":
                return 400, {"code": "PARAM_ERROR", "message": "amount.total"}, 0
            refund = state["refunds"].get(data["out_refund_no"])
            if refund is None:
                refunded = sum(r["refund"] for r in state["refunds"].values() if r["out_trade_no"] == paid[0])
                if amount.get("refund", 0) <= 0 or refunded + amount["refund"] > order["total"]:
                    return 400, {"code": "INVALID_REQUEST", "message": "退款金额超过订单金额"}, 0
                refund = {"refund_id": "50" + uuid.uuid4().hex[:20], "out_refund_no": data["out_refund_no"], "out_trade_no": paid[0],
                          "transaction_id": data["transaction_id"], "refund": amount["refund"], "total": order["total"], "status": "PROCESSING"}
                state["refunds"][data["out_refund_no"]] = refund
            return 200, refund_answer(refund), 3 if state["refund_mode"] == "timeout" else 0
        if method == "GET" and parts[:4] == ["v3", "refund", "domestic", "refunds"] and len(parts) == 5:
            refund = state["refunds"].get(parts[4])
            if refund is None:
                return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"}, 0
            return 200, refund_answer(refund), 0
        if method == "POST" and parts == ["v3", "fund-app", "mch-transfer", "transfer-bills"]:
            no = data.get("out_bill_no", "")
            if (not no.isalnum() or data.get("appid") != cfg["appid"] or not data.get("openid") or data.get("transfer_scene_id") != "1005"
                    or not isinstance(data.get("transfer_amount"), int) or data["transfer_amount"] <= 0 or not data.get("transfer_scene_report_infos")):
                return 400, {"code": "PARAM_ERROR", "message": "bad transfer"}, 0
            name = None
            if "user_name" in data:
                if self.headers.get("Wechatpay-Serial") != cfg["platform_public_key_id"]:
                    return 400, {"code": "PARAM_ERROR", "message": "Wechatpay-Serial must name the key user_name is encrypted with"}, 0
                name = platform_key.decrypt(base64.b64decode(data["user_name"]),
                                            padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)).decode()
            elif data["transfer_amount"] >= 200000:
                return 400, {"code": "PARAM_ERROR", "message": "转账金额>=2000元时，收款用户姓名必填"}, 0
            mode = state["transfer_mode"]
            if no not in state["bills"]:
                states = {"success": "SUCCESS", "timeout": "SUCCESS", "fail": "FAIL", "processing": "PROCESSING", "confirm": "WAIT_USER_CONFIRM"}
                state["bills"][no] = {"out_bill_no": no, "transfer_bill_no": "1330" + uuid.uuid4().hex[:20], "state": states[mode],
                                      "transfer_amount": data["transfer_amount"], "openid": data["openid"], "appid": data["appid"], "user_name": name}
                if mode == "fail":
                    state["bills"][no]["fail_reason"] = "PAYEE_ACCOUNT_ABNORMAL"
                if mode == "confirm":
                    state["bills"][no]["package_info"] = "ABBQO+oYAAABAAAAAAAk+yPZGDgAAAAg" + uuid.uuid4().hex
            bill = dict(state["bills"][no])
            keys = ("out_bill_no", "transfer_bill_no", "state", "fail_reason", "package_info")
            return 200, {k: bill[k] for k in keys if k in bill}, 3 if mode == "timeout" else 0
        if method == "POST" and parts[:5] == ["v3", "fund-app", "mch-transfer", "transfer-bills", "out-bill-no"] and parts[-1] == "cancel":
            bill = state["bills"].get(parts[5])
            if bill is None:
                return 404, {"code": "NOT_FOUND", "message": "记录不存在"}, 0
            if bill["state"] not in ("ACCEPTED", "PROCESSING", "WAIT_USER_CONFIRM"):
                return 400, {"code": "INVALID_REQUEST", "message": "当前状态不可撤销"}, 0
            bill["state"] = "CANCELLED"
            bill.pop("package_info", None)
            return 200, {"out_bill_no": bill["out_bill_no"], "transfer_bill_no": bill["transfer_bill_no"], "state": "CANCELING"}, 0
        if method == "GET" and parts[:5] == ["v3", "fund-app", "mch-transfer", "transfer-bills", "out-bill-no"]:
            bill = state["bills"].get(parts[5])
            if bill is None:
                return 404, {"code": "NOT_FOUND", "message": "记录不存在"}, 0
            return 200, {k: v for k, v in dict(bill, mch_id=cfg["mchid"]).items() if k != "package_info"}, 0
        return 404, {"code": "NOT_FOUND", "message": "no such path in the fake"}, 0

    def control(self, path, data):
        if path == "/fake/pay":
            no = data["out_trade_no"]
            order = state["orders"][no]
            order["state"] = "SUCCESS"
            order.setdefault("transaction_id", "4200" + uuid.uuid4().hex[:24])
            resource = transaction(no)
            for key, value in data.get("tamper", {}).items():
                if key in ("total", "currency"):
                    resource["amount"][key] = value
                else:
                    resource[key] = value
            return self.plain(notification("TRANSACTION.SUCCESS", "transaction", resource, data.get("offset", 0)))
        if path == "/fake/refund-notify":
            refund = state["refunds"][data["out_refund_no"]]
            refund["status"] = data.get("status", "SUCCESS")
            resource = {"mchid": cfg["mchid"], "out_trade_no": refund["out_trade_no"], "transaction_id": refund["transaction_id"],
                        "out_refund_no": refund["out_refund_no"], "refund_id": refund["refund_id"], "refund_status": refund["status"],
                        "amount": {"total": refund["total"], "refund": refund["refund"], "payer_total": refund["total"], "payer_refund": refund["refund"]}}
            return self.plain(notification("REFUND." + refund["status"], "refund", resource))
        if path == "/fake/mode":
            state["transfer_mode"] = data.get("transfer", state["transfer_mode"])
            state["refund_mode"] = data.get("refund", state["refund_mode"])
            return self.plain({"transfer": state["transfer_mode"], "refund": state["refund_mode"]})
        if path == "/fake/serial":
            state["serial"] = data["serial"]
            return self.plain({"serial": state["serial"]})
        if path == "/fake/clock":
            state["clock_offset"] += data["advance"]
            return self.plain({"clock_offset": state["clock_offset"]})
        if path == "/fake/finish-transfers":
            for bill in state["bills"].values():
                if bill["state"] in ("PROCESSING", "WAIT_USER_CONFIRM"):
                    bill["state"] = "SUCCESS"
                    bill.pop("package_info", None)
            return self.plain({"ok": True})
        if path == "/fake/state":
            return self.plain(state)
        return self.plain({"error": "unknown control path"}, 404)

    def plain(self, obj, status=200):
        data = json.dumps(obj, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
