import Hummingbird
import Mustache
import TuikeCore

/// The page templates (Mustache; `{{x}}` escapes HTML, so every user text is escaped). The
/// `{{{body}}}` of the console, its dashboard and the portal is HTML that `ConsoleHTML`,
/// `DashboardHTML` and `PortalHTML` wrote and escaped. Compiled once at start.
enum Templates {
    static let sources: [String: String] = [
        "head": """
            <!doctype html><html lang="{{lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
            <title>{{title}} · {{t.shop}}</title><link rel="stylesheet" href="/assets/tuike.css">
            {{#og}}<meta property="og:type" content="website"><meta property="og:site_name" content="{{t.shop}}"><meta property="og:title" content="{{og_title}}">
            <meta property="og:description" content="{{og_description}}">{{#og_image}}<meta property="og:image" content="{{og_image}}">{{/og_image}}
            <meta property="og:url" content="{{og_url}}"><meta name="description" content="{{og_description}}">{{/og}}</head><body>
            <header><a href="/"><b>{{t.shop}}</b></a><a href="?lang={{other_lang}}">{{other_lang_label}}</a></header><main{{#wide}} class="wide"{{/wide}}>
            """,
        "foot": """
            </main><footer>Tuike 推客 · {{t.sandbox_note}}</footer><script src="/assets/tuike.js"></script></body></html>
            """,
        "index": """
            {{> head}}<h1>{{t.home_title}}</h1><div class="grid">
            {{#products}}<a class="card" href="/p/{{id}}" style="text-decoration:none;color:inherit">
            {{#cover}}<img class="cover" src="{{cover}}" alt="" loading="lazy">{{/cover}}<div><b>{{title}}</b></div><div class="muted">{{description}}</div>
            <div><span class="price">¥{{price}}</span>{{#group_price}} <span class="badge">{{t.group_buy}} ¥{{group_price}}</span>{{/group_price}}</div></a>
            {{/products}}</div>{{> foot}}
            """,
        "product": """
            {{> head}}<div class="card">{{#media.cover}}<img class="cover" src="{{media.cover}}" alt="{{product.title}}">{{/media.cover}}
            <h1>{{product.title}}</h1><p>{{product.description}}</p>
            <p><span class="price">¥{{product.price}}</span></p>
            {{#media.has_gallery}}<div class="gallery">{{#media.gallery}}<a href="{{full}}"><img src="{{thumb}}" alt="" loading="lazy"></a>{{/media.gallery}}</div>{{/media.has_gallery}}
            {{#media.video}}<p><a class="video" href="{{url}}" rel="noopener" target="_blank">{{#cover}}<img class="cover" src="{{cover}}" alt="">{{/cover}}</a>
            <a href="{{url}}" rel="noopener" target="_blank">{{t.watch_video}}</a></p>{{/media.video}}
            <form method="post" action="/p/{{product.id}}/buy" class="fields"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="_nonce" value="{{nonce}}">
            {{#goods.skus_any}}<label>{{goods.w.variant}} <select name="sku">{{#goods.skus}}<option value="{{code}}"{{#sold_out}} disabled{{/sold_out}}>{{label}} ¥{{price}}{{#sold_out}} · {{goods.w.sold_out}}{{/sold_out}}</option>{{/goods.skus}}</select></label>{{/goods.skus_any}}
            {{#goods.addresses_any}}<label>{{goods.w.ship_to}} <select name="address_id">{{#goods.addresses}}<option value="{{id}}">{{summary}}</option>{{/goods.addresses}}</select></label>{{/goods.addresses_any}}
            {{#goods.address_fields}}<label>{{label}} <input name="{{name}}" required></label>{{/goods.address_fields}}
            {{#goods.sign_in}}<p class="muted"><a href="/account/login">{{goods.w.sign_in_for_addresses}}</a></p>{{/goods.sign_in}}
            <p><button class="btn" type="submit">{{t.buy}}</button></p></form></div>
            {{#campaign}}<div class="card" id="group-buy"><h2>{{t.group_buy}} · {{size}}{{t.people_group}}</h2>
            <p><span class="price">¥{{group_price}}</span> <span class="muted strike">{{t.from}} ¥{{list_price}}</span>
            {{#leader_price}} <span class="badge">{{t.leader_price}} ¥{{leader_price}}</span>{{/leader_price}}</p>
            <form method="post" action="/p/{{product_id}}/group"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="_nonce" value="{{nonce}}">
            <button class="btn alt" type="submit">{{t.open_group}}</button></form>
            <h3>{{t.forming_groups}}</h3>
            {{#groups}}<div class="row"><span><a href="/g/{{id}}">{{t.members}} {{members}}/{{size}}</a> · {{t.slots_left}} {{left}} {{t.people}}</span>
            <span class="muted">{{t.ends_in}} <span data-countdown="{{expires_at}}"></span></span>
            <form method="post" action="/g/{{id}}/join"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="_nonce" value="{{nonce}}"><button class="btn" type="submit">{{t.join_group}}</button></form></div>
            {{/groups}}{{^groups}}<p class="muted">{{t.no_groups}}</p>{{/groups}}</div>{{/campaign}}
            {{#media.detail}}<div class="card detail">{{{media.detail}}}</div>{{/media.detail}}
            <p><a href="/">{{t.courses}}</a></p>{{> foot}}
            """,
        "group": """
            {{> head}}<div class="card" data-group="{{group.id}}" data-state="{{group.status}}" data-labels="{{labels}}">
            <h1>{{product_title}}</h1><p><span class="price">¥{{group_price}}</span> · {{group.size}}{{t.people_group}}</p>
            <p class="status {{group.status}}" data-status>{{status_label}}</p>
            <div class="bar"><span style="width:{{percent}}%"></span></div>
            <p>{{t.members}} <b data-members>{{group.members}}</b>/{{group.size}} · {{t.slots_left}} <b data-left>{{left}}</b> {{t.people}}
            {{#expires_at}} · {{t.ends_in}} <b data-countdown="{{expires_at}}"></b>{{/expires_at}} <span class="badge">{{t.live}}</span></p>
            <div class="avatars">{{#slots}}<div class="avatar{{^filled}} empty{{/filled}}" title="{{role}}">{{initial}}</div>{{/slots}}</div>
            {{#joinable}}<form method="post" action="/g/{{group.id}}/join" data-join><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="_nonce" value="{{nonce}}">
            <button class="btn" type="submit">{{t.join_group}} ¥{{group_price}}</button></form>{{/joinable}}
            <h3>{{t.share}}</h3><input class="share" id="share" readonly value="{{share_url}}">
            <p><button class="btn alt" type="button" data-copy="share" data-done="{{t.copied}}">{{t.copy}}</button></p></div>{{> foot}}
            """,
        "login": """
            {{> head}}<div class="card"><h1>{{heading}}</h1>{{#error}}<p class="status failed">{{error}}</p>{{/error}}
            <form method="post" action="{{action}}"><input type="hidden" name="_csrf" value="{{csrf}}">
            <p><label>{{field_label}}<br><input class="share" name="{{field}}" autocomplete="username" value="{{value}}"></label></p>
            <p><label>{{t.password}}<br><input class="share" name="password" type="password" autocomplete="current-password"></label></p>
            <button class="btn" type="submit">{{t.login}}</button></form></div>{{> foot}}
            """,
        "apply": """
            {{> head}}<div class="card"><h1>{{t.apply_title}}</h1>{{#error}}<p class="status failed">{{error}}</p>{{/error}}
            <form method="post" action="/me/apply"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="_nonce" value="{{nonce}}">
            <input type="hidden" name="agreement_version" value="{{agreement.version}}">
            <p><label>{{t.name}}<br><input class="share" name="name" required value="{{form.name}}"></label></p>
            <p><label>{{t.phone}}<br><input class="share" name="phone" type="tel" required value="{{form.phone}}"></label></p>
            <p><label>{{t.invite_code}}<br><input class="share" name="invite_code" value="{{form.invite_code}}"></label></p>
            <p><label>{{t.password}}<br><input class="share" name="password" type="password" autocomplete="new-password" required></label></p>
            <h3>{{t.agreement}} v{{agreement.version}}</h3><div class="muted" style="white-space:pre-wrap;max-height:14em;overflow:auto;border:1px solid #eee;padding:.5rem">{{agreement.text}}</div>
            <p class="muted">SHA-256 {{agreement.sha256}}</p>
            <p><label>{{t.signature}}<br><input class="share" name="signed_name" required></label></p>
            <button class="btn" type="submit">{{t.apply}}</button></form></div>{{> foot}}
            """,
        "console_nav": """
            <nav class="tabs">{{#nav}}<a href="{{href}}"{{#current}} class="on"{{/current}}>{{label}}</a>{{/nav}}
            <span class="muted">{{user.username}} <span class="badge">{{user.role_label}}</span></span>
            <form method="post" action="/admin/logout" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button class="link" type="submit">{{t.logout}}</button></form></nav>
            {{#notice}}<p class="status succeeded" data-notice>{{notice}}</p>{{/notice}}{{#error}}<p class="status failed" data-error>{{error}}</p>{{/error}}
            """,
        // The sections are written by `ConsoleHTML`, which escapes every value as `{{x}}` would.
        "console": """
            {{> head}}{{> console_nav}}
            {{{body}}}{{> foot}}
            """,
        // The dashboard's body is written by `DashboardHTML`, which escapes every value.
        "admin": """
            {{> head}}{{> console_nav}}{{{body}}}{{> foot}}
            """,
        // The portal's body is written by `PortalHTML`, which escapes every value.
        "me": """
            {{> head}}{{{body}}}{{> foot}}
            """,
        "checkout": """
            {{> head}}<div class="card"><h1>{{t.checkout}}</h1><p class="muted">{{t.checkout_order}} {{order_id}}</p>
            {{#lines}}<div class="row"><span>{{title}} × {{quantity}}</span><b>¥{{amount_paid}}</b></div>{{/lines}}
            <p>{{t.total}} <span class="price">¥{{amount}}</span></p>
            {{#refresh}}<meta http-equiv="refresh" content="{{refresh}}">{{/refresh}}
            {{#wechat_qr}}<div class="pay-qr"><h2>{{t.pay_wechat}}</h2>{{{wechat_qr}}}<p class="muted">{{t.scan_wechat}}</p></div>{{/wechat_qr}}
            {{#wechat_button}}<form method="post" action="/pay/{{order_id}}/wechatpay"><input type="hidden" name="_csrf" value="{{csrf}}"><button class="btn" type="submit">{{t.pay_wechat}} ¥{{amount}}</button></form>{{/wechat_button}}
            {{#alipay_button}}<form method="post" action="/pay/{{order_id}}/alipay"><input type="hidden" name="_csrf" value="{{csrf}}"><button class="btn alt" type="submit">{{t.pay_alipay}} ¥{{amount}}</button></form>{{/alipay_button}}
            {{#pay_errors}}<p class="status failed">{{.}}</p>{{/pay_errors}}
            {{#sandbox}}<form method="post" action="/pay/{{order_id}}"><input type="hidden" name="_csrf" value="{{csrf}}"><button class="btn" type="submit">{{t.pay_sandbox}} ¥{{amount}}</button></form>{{/sandbox}}
            {{#paid}}<p class="status succeeded">{{t.paid_thanks}}</p>{{/paid}}{{#other_status}}<p class="status">{{t.order_status}}: {{other_status}}</p>{{/other_status}}
            {{#group_id}}<p><a class="btn alt" href="/g/{{group_id}}">{{t.see_group}}</a></p>{{/group_id}}
            {{#sandbox}}<p class="muted">{{t.sandbox_payment}}</p>{{/sandbox}}</div>{{> foot}}
            """,
        // The buyer's sign-in and account pages; `w` holds their words (`BuyerPages.words`).
        "account_login": """
            {{> head}}<div class="card"><h1>{{w.sign_in}}</h1>{{#error}}<p class="status failed">{{error}}</p>{{/error}}
            <form method="post" action="/account/code" class="fields"><input type="hidden" name="_csrf" value="{{csrf}}">
            <label>{{w.phone}} <input name="phone" value="{{phone}}" inputmode="tel" autocomplete="tel" required></label>
            <p><button class="btn alt" type="submit">{{w.send_code}}</button></p></form>
            {{#sent}}<form method="post" action="/account/login" class="fields"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="phone" value="{{phone}}">
            <label>{{w.code}} <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required></label>
            {{#sandbox_code}}<p class="muted">{{w.sandbox_code}} <b data-sandbox-code>{{sandbox_code}}</b></p>{{/sandbox_code}}
            <p><button class="btn" type="submit">{{w.sign_in}}</button></p></form>{{/sent}}</div>{{> foot}}
            """,
        "account": """
            {{> head}}<div class="card"><h1>{{w.my_account}}</h1><p class="muted">{{phone}}</p>{{#error}}<p class="status failed">{{error}}</p>{{/error}}
            <form method="post" action="/account/logout"><input type="hidden" name="_csrf" value="{{csrf}}"><button class="btn small alt" type="submit">{{w.sign_out}}</button></form></div>
            <div class="card"><h2>{{w.my_orders}}</h2>{{#orders}}<div class="order" data-order="{{id}}">
            <div class="row"><b>{{items}}</b><span class="price">¥{{amount}}</span></div>
            <div class="row"><span class="status {{status}}" data-status>{{status_label}}</span><span class="muted" data-fulfilment>{{fulfilment_label}}</span></div>
            {{#shipments}}<div class="muted">{{w.parcel}} {{carrier}} {{tracking_number}}</div>{{/shipments}}
            {{#after_sales}}<div class="muted" data-after-sale-status="{{status}}">{{w.after_sale}} · {{type_label}} ¥{{amount}} · {{status_label}}{{#answer}} · {{answer}}{{/answer}}</div>{{/after_sales}}
            {{#can_pay}}<p><a class="btn small" href="/pay/{{id}}">{{w.pay}}</a></p>{{/can_pay}}
            {{#can_receive}}<form method="post" action="/account/orders/{{id}}/receipt"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="_nonce" value="{{nonce}}">
            <button class="btn small" type="submit" data-receive>{{w.confirm_receipt}}</button></form>{{/can_receive}}
            {{#can_after_sale}}<form method="post" action="/account/orders/{{id}}/after-sales" class="fields" data-after-sale><input type="hidden" name="_csrf" value="{{csrf}}">
            <input type="hidden" name="_nonce" value="{{nonce}}"><select name="type">{{#shipped}}<option value="return">{{w.return}}</option>{{/shipped}}<option value="refund">{{w.refund_only}}</option></select>
            <select name="item_id" aria-label="{{w.after_sale}}">{{#after_sale_lines}}<option value="{{item_id}}">{{label}}</option>{{/after_sale_lines}}</select>
            <label>{{w.amount}} <input name="amount" value="{{refundable}}"></label><label>{{w.reason}} <input name="reason" required></label>
            <p><button class="btn small alt" type="submit">{{w.ask_after_sale}}</button></p></form>{{/can_after_sale}}
            </div>{{/orders}}{{^orders}}<p class="muted">{{w.no_orders}}</p>{{/orders}}</div>
            <div class="card"><h2>{{w.my_courses}}</h2>{{#courses}}<div class="row"><a href="/p/{{id}}">{{title}}</a></div>{{/courses}}{{^courses}}<p class="muted">{{w.no_courses}}</p>{{/courses}}</div>
            <div class="card"><h2>{{w.addresses}}</h2>{{#addresses}}<div class="row"><span>{{summary}}</span>{{#is_default}}<span class="badge">{{w.default}}</span>{{/is_default}}</div>{{/addresses}}
            <form method="post" action="/account/addresses" class="fields"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="_nonce" value="{{nonce}}">
            {{#address_fields}}<label>{{label}} <input name="{{name}}" required></label>{{/address_fields}}
            <p><button class="btn small" type="submit">{{w.add_address}}</button></p></form></div>{{> foot}}
            """,
        "message": """
            {{> head}}<div class="card"><h1>{{title}}</h1><p>{{message}}</p><p><a class="btn" href="/">{{t.back}}</a></p></div>{{> foot}}
            """,
    ]

    static let library: MustacheLibrary = {
        var templates: [String: MustacheTemplate] = [:]
        for (name, source) in sources {
            // The sources are constants of this file; a syntax error is a bug caught by the page
            // tests (`Templates.allParse`). Such a template is left out, its page then renders
            // empty, rather than stopping the server.
            templates[name] = try? MustacheTemplate(string: source)
        }
        return MustacheLibrary(templates: templates)
    }()

    /// Renders `name` with the language's words and the layout's fields added to `context`.
    static func render(_ name: String, title: String, language: Language, context: [String: Any]) -> String {
        // Mustache renders a section for any string, even an empty one; dropping empty top-level
        // strings makes `{{#error}}…{{/error}}` mean "when there is an error" (and `{{error}}` still renders nothing).
        var full = context.filter { !(($0.value as? String)?.isEmpty ?? false) }
        full["t"] = language.table
        // Every page's forms carry a nonce, so a double submit is one change (`FormReplay`).
        if full["nonce"] == nil { full["nonce"] = Identifier.secret(length: 24) }
        full["title"] = title
        full["lang"] = language.htmlTag
        full["other_lang"] = language == .zh ? "en" : "zh"
        full["other_lang_label"] = language == .zh ? language.strings[.english] : language.strings[.chinese]
        return library.render(full, withTemplate: name) ?? ""
    }

    static func page(_ name: String, title: String, language: Language, context: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: render(name, title: title, language: language, context: context))))
    }

    static func message(_ title: String, _ message: String, language: Language, status: HTTPResponse.Status) -> Response {
        page("message", title: title, language: language, context: ["message": message], status: status)
    }
}
