"""A fake Alipay open-platform gateway on loopback, for Tuike's tests.

Built on `python-alipay-sdk` with the roles swapped: its AliPay object holds the platform's
private key as "app key" and the merchant app's public key as "Alipay key", so the SDK's own
`_verify` checks Tuike's requests and its own `_sign` signs the answers (over the answer
object's text, as Alipay does) and the notifications (sorted k=v, sign and sign_type left out).

Run: python3 fake_alipay.py config.json; it prints its port on the first line.
Control paths: POST /fake/pay, /fake/mode, /fake/clock, /fake/finish-transfers; GET /fake/state.
"""
import json
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

from alipay import AliPay

cfg = json.load(open(sys.argv[1]))
platform = AliPay(appid=cfg["app_id"], app_notify_url=None, app_private_key_string=cfg["platform_private_key"],
                  alipay_public_key_string=cfg["app_public_key"], sign_type="RSA2")
lock = threading.Lock()
state = {"trades": {}, "refunds": {}, "transfers": {}, "transfer_mode": "success", "refund_mode": "answer", "requests": [], "clock_offset": 0}
BEIJING = timezone(timedelta(hours=8))


def now():
    return time.time() + state["clock_offset"]


def request_problem(params):
    params = dict(params)
    sign = params.pop("sign", None)
    if not sign:
        return "no sign"
    if params.get("sign_type") != "RSA2" or params.get("app_id") != cfg["app_id"] or params.get("charset") != "utf-8":
        return "common parameters"
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if v != "")
    if not platform._verify(message, sign):
        return "sign"
    sent = datetime.strptime(params.get("timestamp", ""), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING).timestamp()
    if abs(sent - now()) > 600:
        return "timestamp"
    return None


def signed_answer(method, obj):
    key = method.replace(".", "_") + "_response"
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return '{"' + key + '":' + text + ',"sign":"' + platform._sign(text) + '"}'


def failed(sub_code, sub_msg):
    return {"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_msg}


def yuan(text):
    value = Decimal(text)
    assert value == value.quantize(Decimal("0.01")) and value > 0
    return value


def notification(trade, tamper):
    fields = {"notify_time": datetime.fromtimestamp(now(), BEIJING).strftime("%Y-%m-%d %H:%M:%S"), "notify_type": "trade_status_sync",
              "notify_id": uuid.uuid4().hex, "charset": "utf-8", "version": "1.0", "app_id": cfg["app_id"], "seller_id": cfg["seller_id"],
              "trade_no": trade["trade_no"], "out_trade_no": trade["out_trade_no"], "trade_status": trade["status"],
              "total_amount": trade["total_amount"], "receipt_amount": trade["total_amount"], "buyer_pay_amount": trade["total_amount"],
              "subject": trade["subject"], "gmt_payment": "2026-12-04 10:00:00", "buyer_id": "2088102177846880"}
    fields.update(tamper)
    unsigned = "&".join(f"{k}={v}" for k, v in platform._ordered_data(dict(fields)))
    fields["sign"] = platform._sign(unsigned)
    fields["sign_type"] = "RSA2"
    assert platform.verify(dict(fields, sign_type="RSA2"), fields["sign"]) is not None
    return fields


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, text, content_type="application/json;charset=utf-8"):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/fake/state":
            with lock:
                return self.send(200, json.dumps(state, ensure_ascii=False))
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        with lock:
            problem = request_problem(params)
            state["requests"].append({"method": params.get("method"), "verified": problem is None})
            if problem:
                return self.send(400, "<p>invalid-signature: " + problem + "</p>", "text/html;charset=utf-8")
            if params.get("method") not in ("alipay.trade.page.pay", "alipay.trade.wap.pay") or not params.get("notify_url"):
                return self.send(400, "<p>invalid method</p>", "text/html;charset=utf-8")
            biz = json.loads(params["biz_content"])
            code = {"alipay.trade.page.pay": "FAST_INSTANT_TRADE_PAY", "alipay.trade.wap.pay": "QUICK_WAP_WAY"}[params["method"]]
            yuan(biz["total_amount"])
            if biz.get("product_code") != code or not biz.get("subject") or not biz.get("time_expire"):
                return self.send(400, "<p>invalid biz_content</p>", "text/html;charset=utf-8")
            trade = state["trades"].setdefault(biz["out_trade_no"], {"out_trade_no": biz["out_trade_no"], "status": "WAIT_BUYER_PAY"})
            trade.update({"total_amount": biz["total_amount"], "subject": biz["subject"], "notify_url": params["notify_url"],
                          "return_url": params.get("return_url")})
        self.send(200, "<html><body>支付宝收银台 " + biz["total_amount"] + "</body></html>", "text/html;charset=utf-8")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        path = urlparse(self.path).path
        if path.startswith("/fake/"):
            with lock:
                return self.control(path, json.loads(raw or "{}"))
        params = dict(parse_qsl(raw, keep_blank_values=True))
        delay = 0
        with lock:
            problem = request_problem(params)
            state["requests"].append({"method": params.get("method"), "verified": problem is None})
            method = params.get("method", "")
            if problem:
                answer = {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature", "sub_msg": problem}
            else:
                answer, delay = self.route(method, json.loads(params.get("biz_content") or "{}"))
        if delay:
            time.sleep(delay)
        self.send(200, signed_answer(method, answer))

    def route(self, method, biz):
        trades, ok = state["trades"], {"code": "10000", "msg": "Success"}
        if method == "alipay.trade.query":
            trade = trades.get(biz.get("out_trade_no"))
            if trade is None:
                return failed("ACQ.TRADE_NOT_EXIST", "交易不存在"), 0
            return dict(ok, out_trade_no=trade["out_trade_no"], trade_no=trade.get("trade_no", ""), trade_status=trade["status"],
                        total_amount=trade["total_amount"]), 0
        if method == "alipay.trade.close":
            trade = trades.get(biz.get("out_trade_no"))
            if trade is None:
                return failed("ACQ.TRADE_NOT_EXIST", "交易不存在"), 0
            if trade["status"] != "WAIT_BUYER_PAY":
                return failed("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"), 0
            trade["status"] = "TRADE_CLOSED"
            return dict(ok, out_trade_no=trade["out_trade_no"]), 0
        if method == "alipay.trade.refund":
            paid = [t for t in trades.values() if t.get("trade_no") == biz.get("trade_no")]
            if not paid:
                return failed("ACQ.TRADE_NOT_EXIST", "交易不存在"), 0
            trade = paid[0]
            number = biz.get("out_request_no")
            if number not in state["refunds"]:
                refunded = sum(Decimal(r["refund_amount"]) for r in state["refunds"].values() if r["trade_no"] == trade["trade_no"])
                if refunded + yuan(biz["refund_amount"]) > Decimal(trade["total_amount"]):
                    return failed("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限"), 0
                state["refunds"][number] = {"trade_no": trade["trade_no"], "refund_amount": biz["refund_amount"]}
            total = sum(Decimal(r["refund_amount"]) for r in state["refunds"].values() if r["trade_no"] == trade["trade_no"])
            delay = 3 if state["refund_mode"] == "timeout" else 0
            return dict(ok, trade_no=trade["trade_no"], out_trade_no=trade["out_trade_no"], fund_change="Y", refund_fee=f"{total:.2f}"), delay
        if method == "alipay.trade.fastpay.refund.query":
            refund = state["refunds"].get(biz.get("out_request_no"))
            if refund is None or refund["trade_no"] != biz.get("trade_no"):
                return ok, 0
            return dict(ok, trade_no=refund["trade_no"], out_request_no=biz["out_request_no"], refund_amount=refund["refund_amount"],
                        refund_status="REFUND_SUCCESS"), 0
        if method == "alipay.fund.trans.uni.transfer":
            payee = biz.get("payee_info", {})
            if biz.get("product_code") != "TRANS_ACCOUNT_NO_PWD" or biz.get("biz_scene") != "DIRECT_TRANSFER" or not biz.get("out_biz_no"):
                return {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-parameter", "sub_msg": "参数有误"}, 0
            if payee.get("identity_type") == "ALIPAY_LOGON_ID" and not payee.get("name"):
                return failed("PAYEE_USER_INFO_ERROR", "收款用户姓名或其它信息不一致"), 0
            mode = state["transfer_mode"]
            number = biz["out_biz_no"]
            if number not in state["transfers"]:
                status = {"success": "SUCCESS", "timeout": "SUCCESS", "fail": "FAIL", "dealing": "DEALING"}[mode]
                state["transfers"][number] = {"out_biz_no": number, "order_id": "2026" + uuid.uuid4().hex[:24], "status": status,
                                              "trans_amount": biz["trans_amount"], "payee": payee}
            transfer = state["transfers"][number]
            if transfer["status"] == "FAIL":
                return failed("PAYEE_ACCOUNT_STATUS_ERROR", "收款方账户状态异常"), 0
            return dict(ok, out_biz_no=number, order_id=transfer["order_id"], status=transfer["status"]), 3 if mode == "timeout" else 0
        if method == "alipay.fund.trans.common.query":
            transfer = state["transfers"].get(biz.get("out_biz_no"))
            if transfer is None:
                return failed("ORDER_NOT_EXIST", "转账订单不存在"), 0
            return dict(ok, out_biz_no=transfer["out_biz_no"], order_id=transfer["order_id"], status=transfer["status"],
                        trans_amount=transfer["trans_amount"]), 0
        return {"code": "40004", "msg": "Business Failed", "sub_code": "isv.unknown-method", "sub_msg": method}, 0

    def control(self, path, data):
        if path == "/fake/pay":
            trade = state["trades"][data["out_trade_no"]]
            trade["status"] = "TRADE_SUCCESS"
            trade.setdefault("trade_no", "2026120422001" + uuid.uuid4().hex[:15])
            return self.send(200, json.dumps(notification(trade, data.get("tamper", {})), ensure_ascii=False))
        if path == "/fake/mode":
            state["transfer_mode"] = data.get("transfer", state["transfer_mode"])
            state["refund_mode"] = data.get("refund", state["refund_mode"])
            return self.send(200, json.dumps({"transfer": state["transfer_mode"], "refund": state["refund_mode"]}))
        if path == "/fake/clock":
            state["clock_offset"] += data["advance"]
            return self.send(200, json.dumps({"clock_offset": state["clock_offset"]}))
        if path == "/fake/finish-transfers":
            for transfer in state["transfers"].values():
                if transfer["status"] == "DEALING":
                    transfer["status"] = "SUCCESS"
            return self.send(200, json.dumps({"ok": True}))
        return self.send(404, json.dumps({"error": "unknown control path"}))


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
