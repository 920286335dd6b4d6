#!/usr/bin/env python3
"""The browser test: a real headless Chromium walks the story of a group buy against a running
`tuike serve --demo --sandbox` (see Tests/Browser/run.sh, which starts one).

A buyer opens a promoter's link and opens a group; a second and a third buyer join from the share
link; the first buyer's group page turns to success without a reload (over Server-Sent Events); the
promoter logs in and sees the commission, saves a poster from the material center and copies a
text (both counted as shares), an operator uploads an image in the console; finance settles in the console, the promoter asks for a
withdrawal in the portal, and finance approves it in the console and releases a held self-purchase from
the risk queue.

With SCREENSHOTS=<dir> it also saves the main pages at phone (390 px) and desktop (1280 px) width.
"""
import json
import os
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE = os.environ.get("TUIKE_URL", "http://127.0.0.1:8097")
ADMIN_TOKEN = os.environ["TUIKE_ADMIN_TOKEN"]
SHOTS = os.environ.get("SCREENSHOTS")
PHONE, DESKTOP = (390, 844), (1280, 900)
DOWNLOADS = tempfile.mkdtemp(prefix="tuike-walk-")
PROMOTER_PHONE, PASSWORD = "13800138001", "tuike-demo"  # 张老师 in the demo school
# Headless Chromium says "HeadlessChrome", which Tuike counts as a bot and never attributes; the
# buyers here are people in WeChat on a phone, as most buyers are.
WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Mobile/15E148 MicroMessenger/8.0.40 NetType/WIFI Language/zh_CN")


def api(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method, headers={
        "Authorization": "Bearer " + ADMIN_TOKEN, "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def browser(size):
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={size[0]},{size[1]}", f"--user-agent={WECHAT_UA}"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh", "download.default_directory": DOWNLOADS,
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    driver.set_page_load_timeout(20)
    return driver


def wait(driver, condition, seconds=10):
    """Waits for `condition`. While a page is being replaced (a form's POST, a redirect),
    Chromium can refuse to read an element of the page before: "Node with given id does not
    belong to the document". That is a moment of navigation, not a failure: the wait tries again.
    CI hit it once, waiting for the checkout to say it was paid, when the page already did."""
    def settled(d):
        try:
            return condition(d)
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return False
            raise
    return WebDriverWait(driver, seconds).until(settled)


def shot(driver, name, size, full=True):
    """Saves the page at `size`, as tall as its content when `full`."""
    if not SHOTS:
        return
    driver.set_window_size(*size)
    if full:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(size[0], min(max(height, size[1]), 3200))
    driver.save_screenshot(os.path.join(SHOTS, f"{name}-{size[0]}.png"))
    driver.set_window_size(*size)


def click(driver, css):
    element = wait(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, css)))
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def pay(driver):
    """On the sandbox checkout: pay, then follow the link back to the group."""
    wait(driver, EC.url_contains("/pay/"))
    order = driver.current_url.rsplit("/", 1)[1]
    click(driver, "form button")
    wait(driver, EC.text_to_be_present_in_element((By.TAG_NAME, "body"), "已支付"))
    return order


def log_in(driver, path, field, value):
    driver.get(BASE + path)
    driver.find_element(By.NAME, field).send_keys(value)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    click(driver, "form button[type=submit]")
    wait(driver, lambda d: "/login" not in d.current_url)


def step(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def main():
    campaign = next(c for c in api("GET", "/api/v1/group-campaigns")["data"] if c["status"] == "active")
    promoter = next(p for p in api("GET", "/api/v1/promoters?status=active&limit=100")["data"] if p["name"] == "张老师")
    link = api("POST", "/api/v1/links", {"promoter_id": promoter["id"], "product_id": campaign["product_id"]})
    drivers = []
    try:
        leader = browser(PHONE); drivers.append(leader)
        step(f"buyer 1 opens the promoter's link {link['url']}")
        leader.get(link["url"])
        wait(leader, EC.presence_of_element_located((By.ID, "group-buy")))
        assert f"/p/{campaign['product_id']}" in leader.current_url, leader.current_url
        shot(leader, "product", PHONE)
        device = leader.execute_script("var i = document.querySelector('form input[name=tk_device]'); return i ? i.value : ''")
        assert device.startswith("fp1-") and len(device) == 20, device  # the fingerprint goes with the buy forms
        click(leader, "#group-buy form[action$='/group'] button")
        shot(leader, "checkout", PHONE)
        leader_order = pay(leader)
        click(leader, "a[href^='/g/']")
        page = wait(leader, EC.presence_of_element_located((By.CSS_SELECTOR, "[data-group]")))
        group_id = page.get_attribute("data-group")
        assert page.get_attribute("data-state") == "forming", page.get_attribute("data-state")
        share_url = leader.find_element(By.ID, "share").get_attribute("value")
        step(f"group {group_id} is forming; share link {share_url}")
        leader.execute_script("window.__sameDocument = true")
        shot(leader, "group-forming", PHONE)

        friend = browser(PHONE); drivers.append(friend)
        for number in (2, 3):
            friend.delete_all_cookies()
            step(f"buyer {number} joins from the share link")
            friend.get(share_url)
            click(friend, "[data-join] button")
            pay(friend)
            if number == 2:
                wait(leader, lambda d: d.find_element(By.CSS_SELECTOR, "[data-members]").text == "2")
                step("buyer 1's page shows 2 members without a reload")

        wait(leader, lambda d: d.find_element(By.CSS_SELECTOR, "[data-group]").get_attribute("data-state") == "succeeded")
        assert leader.execute_script("return window.__sameDocument === true"), "the group page was reloaded"
        assert leader.find_element(By.CSS_SELECTOR, "[data-members]").text == "3"
        assert "拼团成功" in leader.find_element(By.CSS_SELECTOR, "[data-status]").text
        step("buyer 1's group page turned to success without a reload")
        shot(leader, "group-succeeded", PHONE)

        commission = next(c for c in api("GET", f"/api/v1/commissions?promoter_id={promoter['id']}&limit=100")["data"]
                          if c["order_id"] == leader_order and c["level"] == 1)
        portal = browser(PHONE); drivers.append(portal)
        step("the promoter logs in and sees the commission")
        log_in(portal, "/me/login", "phone", PROMOTER_PHONE)
        row = wait(portal, EC.presence_of_element_located((By.CSS_SELECTOR, f"[data-commission='{commission['id']}']")))
        amount = "¥%d.%02d" % divmod(commission["amount"], 100)
        assert amount in row.text, (amount, row.text)
        step(f"the portal lists commission {commission['id']} of {amount}")
        shot(portal, "portal", PHONE)

        step("the promoter opens the material center, copies a text and saves a poster")
        click(portal, "a[data-materials]")
        card = wait(portal, EC.presence_of_element_located((By.CSS_SELECTOR, f"[data-material='{campaign['product_id']}']")))
        poster = card.find_element(By.CSS_SELECTOR, "figure[data-poster='portrait'] img")
        portal.execute_script("arguments[0].scrollIntoView({block: 'center'})", poster)  # it loads lazily
        wait(portal, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", poster) == 720)
        text_button = card.find_element(By.CSS_SELECTOR, "button[data-share^='t.']")
        portal.execute_script("arguments[0].scrollIntoView({block: 'center'})", text_button)
        text_button.click()
        save = card.find_element(By.CSS_SELECTOR, "figure[data-poster='portrait'] a[download]")
        portal.execute_script("arguments[0].scrollIntoView({block: 'center'})", save)
        save.click()
        saved = os.path.join(DOWNLOADS, f"poster-{save.get_attribute('download').split('-', 1)[1]}")
        wait(portal, lambda d: os.path.exists(saved) and os.path.getsize(saved) > 1000, seconds=15)
        with open(saved, "rb") as file:
            header = file.read(24)
        assert header[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(header[16:20], "big") == 720, header
        def shares(d):
            center = api("GET", f"/api/v1/promoters/{promoter['id']}/materials")["data"]
            entry = next(e for e in center if e["product_id"] == campaign["product_id"])
            return (next(p for p in entry["posters"] if p["template_id"] == "portrait")["effect"]["shares"],
                    sum(t["effect"]["shares"] for t in entry["texts"]))
        wait(portal, lambda d: all(count >= 1 for count in shares(d)))
        step(f"saved {os.path.basename(saved)} (720 px wide); the copy and the save were counted as shares")
        shot(portal, "material-center", PHONE)

        step("an operator uploads an image in the console")
        operator = browser(DESKTOP); drivers.append(operator)
        log_in(operator, "/admin/login", "username", "ops")
        operator.get(BASE + "/admin/materials")
        before = len(api("GET", "/api/v1/media?limit=100")["data"])
        operator.find_element(By.CSS_SELECTOR, "form[action='/admin/media'] input[type=file]").send_keys(saved)
        click(operator, "form[action='/admin/media'] button[type=submit]")
        wait(operator, EC.presence_of_element_located((By.CSS_SELECTOR, "[data-notice]")))
        assert len(api("GET", "/api/v1/media?limit=100")["data"]) == before + 1
        step("the image is in the library")
        shot(operator, "console-materials", DESKTOP)

        if SHOTS:
            step(f"screenshots into {SHOTS}")
            friend.get(BASE + "/"); shot(friend, "storefront", PHONE); shot(friend, "storefront", DESKTOP)
            friend.get(BASE + "/me/apply"); shot(friend, "apply", PHONE)
            portal.get(BASE + "/me"); shot(portal, "portal", DESKTOP)
            owner = browser(DESKTOP); drivers.append(owner)
            log_in(owner, "/admin/login", "username", "admin")
            for path, name in (("/admin", "console-dashboard"), ("/admin/orders", "console-orders"), ("/admin/promoters", "console-promoters"),
                               ("/admin/groups", "console-groups"), ("/admin/settlements", "console-settlements"),
                               ("/admin/appeals", "console-appeals"), ("/admin/reconciliation", "console-reconciliation"),
                               ("/admin/settings", "console-settings"), ("/admin/products", "console-products"),
                               ("/admin/fulfilment", "console-fulfilment"), ("/admin/videos", "console-videos"),
                               ("/admin/analytics", "console-analytics"), ("/admin/analytics/spread", "console-spread"),
                               ("/admin/analytics/simulate?levels=2500,600&rule_type=percent", "console-simulator")):
                owner.get(BASE + path); shot(owner, name, DESKTOP)
            owner.get(BASE + "/admin"); shot(owner, "console-dashboard", PHONE)
            leader.get(BASE + f"/g/{group_id}"); shot(leader, "group-succeeded", DESKTOP)

        step("a buyer signs in with an SMS code, saves an address and buys a T-shirt in white L")
        shopper = browser(PHONE); drivers.append(shopper)
        shopper.get(BASE + "/account/login")
        shopper.find_element(By.NAME, "phone").send_keys("13700137999")
        click(shopper, "form[action='/account/code'] button")
        code = wait(shopper, EC.presence_of_element_located((By.CSS_SELECTOR, "[data-sandbox-code]"))).text
        shopper.find_element(By.CSS_SELECTOR, "form[action='/account/login'] input[name=code]").send_keys(code)
        click(shopper, "form[action='/account/login'] button")
        wait(shopper, lambda d: d.current_url.endswith("/account"))
        for name, value in (("name", "李华"), ("phone", "13700137999"), ("province", "广东省"), ("city", "深圳市"), ("district", "南山区"),
                            ("line", "科技园一路 1 号")):
            shopper.find_element(By.CSS_SELECTOR, f"form[action='/account/addresses'] input[name={name}]").send_keys(value)
        click(shopper, "form[action='/account/addresses'] button")
        wait(shopper, EC.text_to_be_present_in_element((By.TAG_NAME, "body"), "科技园一路 1 号"))
        tshirt = next(p for p in api("GET", "/api/v1/products?limit=100")["data"] if p["kind"] == "physical" and p["skus"])
        stock = next(s["stock"] for s in tshirt["skus"] if s["code"] == "TS-W-L")
        shopper.get(BASE + f"/p/{tshirt['id']}")
        Select(shopper.find_element(By.NAME, "sku")).select_by_value("TS-W-L")
        assert "科技园一路 1 号" in shopper.find_element(By.NAME, "address_id").text
        shot(shopper, "product-variants", PHONE)
        click(shopper, "form[action$='/buy'] button[type=submit]")
        goods_order = pay(shopper)
        bought = api("GET", f"/api/v1/orders/{goods_order}")
        assert bought["items"][0]["sku"] == "TS-W-L" and bought["shipping_address"]["city"] == "深圳市", bought
        assert next(s["stock"] for s in api("GET", f"/api/v1/products/{tshirt['id']}")["skus"] if s["code"] == "TS-W-L") == stock - 1

        step(f"the warehouse ships order {goods_order}; the buyer confirms receipt and asks for a return")
        api("POST", f"/api/v1/orders/{goods_order}/shipments", {"carrier": "顺丰", "tracking_number": "SF2026120301"})
        shopper.get(BASE + "/account")
        assert "SF2026120301" in shopper.find_element(By.CSS_SELECTOR, f"[data-order='{goods_order}']").text
        click(shopper, f"[data-order='{goods_order}'] [data-receive]")
        wait(shopper, lambda d: api("GET", f"/api/v1/orders/{goods_order}")["fulfilment_status"] == "received")
        form = f"[data-order='{goods_order}'] form[data-after-sale]"
        Select(wait(shopper, EC.presence_of_element_located((By.CSS_SELECTOR, f"{form} select[name=type]")))).select_by_value("return")
        shopper.find_element(By.CSS_SELECTOR, f"{form} input[name=reason]").send_keys("尺码偏大")
        click(shopper, f"{form} button")
        wait(shopper, EC.presence_of_element_located((By.CSS_SELECTOR, f"[data-order='{goods_order}'] [data-after-sale-status='requested']")))
        requested = api("GET", f"/api/v1/after-sales?order_id={goods_order}")["data"]
        assert len(requested) == 1 and requested[0]["type"] == "return" and requested[0]["amount"] == bought["amount"], requested
        step("the return is requested")
        shot(shopper, "account", PHONE)

        step("eight days later, finance settles in the console")
        api("POST", "/api/v1/sandbox/clock/advance", {"seconds": 8 * 86400})
        console = browser(DESKTOP); drivers.append(console)
        log_in(console, "/admin/login", "username", "finance")
        console.get(BASE + "/admin/settlements")
        click(console, "#settle form button")
        wait(console, EC.presence_of_element_located((By.CSS_SELECTOR, "[data-notice]")))
        settled = next(c for c in api("GET", f"/api/v1/commissions?promoter_id={promoter['id']}&limit=100")["data"] if c["id"] == commission["id"])
        assert settled["status"] == "settled", settled
        step("the commission is settled")

        step("the promoter asks for a withdrawal of 10.00")
        log_in(portal, "/me/login", "phone", PROMOTER_PHONE)  # the week-old session has expired
        portal.find_element(By.NAME, "amount").send_keys("10.00")
        click(portal, "form[action='/me/withdraw'] button")
        wait(portal, EC.presence_of_element_located((By.CSS_SELECTOR, ".status.succeeded")))
        withdrawal = next(w for w in api("GET", f"/api/v1/withdrawals?promoter_id={promoter['id']}&status=requested")["data"] if w["amount"] == 1000)

        step(f"finance approves withdrawal {withdrawal['id']} in the console")
        console.get(BASE + "/admin")
        click(console, f"[data-withdrawal='{withdrawal['id']}'] form[action$='/approve'] button")
        wait(console, EC.presence_of_element_located((By.CSS_SELECTOR, "[data-notice]")))
        paid = api("GET", f"/api/v1/withdrawals/{withdrawal['id']}")
        assert paid["status"] == "paid", paid
        assert not console.find_elements(By.CSS_SELECTOR, f"[data-withdrawal='{withdrawal['id']}']")
        trial = api("GET", "/api/v1/ledger/trial-balance")
        assert trial["balanced"] is True and trial["total"] == 0, trial
        step("the withdrawal is paid and the trial balance is zero")

        step("finance opens the risk queue, reads the held self-purchase's evidence and releases it")
        held = next(c for c in api("GET", "/api/v1/risk/cases?status=open")["data"] if c["signals"][0]["code"] == "self_purchase_ip")
        console.get(BASE + "/admin/risk")
        click(console, f"[data-row='{held['id']}'] a")
        wait(console, EC.text_to_be_present_in_element((By.TAG_NAME, "body"), "source=login"))
        form = console.find_element(By.CSS_SELECTOR, f"form[action='/admin/risk/cases/{held['id']}/release']")
        form.find_element(By.NAME, "reason").send_keys("已电话核实：家人用同一宽带代买")
        form.find_element(By.CSS_SELECTOR, "button").click()
        wait(console, lambda d: "notice=done" in d.current_url)
        assert api("GET", f"/api/v1/risk/cases/{held['id']}")["status"] == "released"
        step(f"case {held['id']} released; its commissions wait for the next settlement")

        step("the console's analytics draws its charts above their tables; the owner prices a draft plan")
        console.get(BASE + "/admin/analytics")
        wait(console, EC.presence_of_element_located((By.CSS_SELECTOR, "figure.chart svg rect")))
        assert len(console.find_elements(By.CSS_SELECTOR, "figure.chart")) == 3
        planner = browser(DESKTOP); drivers.append(planner)
        log_in(planner, "/admin/login", "username", "admin")
        levels = api("GET", "/api/v1/program")["levels"]
        planner.get(BASE + "/admin/analytics/simulate")
        draft = planner.find_element(By.CSS_SELECTOR, "form[action='/admin/analytics/simulate']")
        draft.find_element(By.NAME, "levels").send_keys("1500,500")
        draft.find_element(By.CSS_SELECTOR, "button").click()
        wait(planner, EC.presence_of_element_located((By.ID, "result")))
        assert api("GET", "/api/v1/program")["levels"] == levels
        portal.get(BASE + "/me")
        wait(portal, EC.presence_of_element_located((By.CSS_SELECTOR, "[data-incentives] [data-points]")))
        step("the draft was priced and nothing changed; the portal shows badges and points")

        step("on a phone, console tables become cards that fit the screen")
        console.set_window_size(*PHONE)
        for path in ("/admin/orders", "/admin/settlements"):
            console.get(BASE + path)
            wait(console, EC.presence_of_element_located((By.CSS_SELECTOR, "td[data-label]")))
            overflow = console.execute_script(
                "return [document.documentElement.scrollWidth - window.innerWidth].concat("
                "Array.from(document.querySelectorAll('.scroll')).map(e => e.scrollWidth - e.clientWidth))")
            assert max(overflow) <= 1, (path, overflow)
            assert console.find_element(By.CSS_SELECTOR, "thead").is_displayed() is False, path
        shot(console, "console-settlements", PHONE)

        step("browser walk passed")
    except Exception:
        for index, driver in enumerate(drivers):
            try:
                print(f"--- browser {index} at {driver.current_url}\n{driver.page_source[:3000]}", file=sys.stderr)
            except Exception:
                pass
        raise
    finally:
        for driver in drivers:
            driver.quit()


if __name__ == "__main__":
    main()
