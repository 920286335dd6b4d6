/// The one stylesheet and the one script of the pages: no build step, no CDN, mobile first.
enum Assets {
    static let stylesheet = """
        *{box-sizing:border-box}body{margin:0;font:16px/1.5 -apple-system,"PingFang SC","Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;color:#222;background:#f6f6f6}
        header{background:#e4393c;color:#fff;padding:.75rem 1rem;display:flex;justify-content:space-between;align-items:center}
        header a{color:#fff;text-decoration:none}main{max-width:960px;margin:0 auto;padding:1rem}
        .card{background:#fff;border-radius:12px;padding:1rem;margin-bottom:1rem;box-shadow:0 1px 3px rgba(0,0,0,.06)}
        .pay-qr{text-align:center}.pay-qr svg{width:220px;height:220px}
        .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:1rem}
        .price{color:#e4393c;font-weight:700;font-size:1.25rem}.muted{color:#888;font-size:.875rem}.strike{text-decoration:line-through}
        .btn{display:inline-block;border:0;border-radius:999px;padding:.6rem 1.4rem;font-size:1rem;background:#e4393c;color:#fff;cursor:pointer;text-decoration:none}
        .btn.alt{background:#ff9f1a}.badge{background:#fff0f0;color:#e4393c;border-radius:4px;padding:0 .4rem;font-size:.8rem}
        .bar{height:10px;background:#eee;border-radius:5px;overflow:hidden}.bar>span{display:block;height:100%;background:#e4393c;transition:width .5s}
        .avatars{display:flex;gap:.5rem;flex-wrap:wrap;margin:.75rem 0}.avatar{width:44px;height:44px;border-radius:50%;background:#ffd9d9;color:#e4393c;
        display:flex;align-items:center;justify-content:center;font-weight:700}.avatar.empty{background:#eee;color:#bbb}
        .row{display:flex;justify-content:space-between;align-items:center;gap:.5rem;padding:.5rem 0;border-bottom:1px solid #f0f0f0}
        .status{font-size:1.25rem;font-weight:700}.status.succeeded{color:#1a9f4a}.status.failed,.status.cancelled{color:#888}
        input.share{width:100%;padding:.5rem;border:1px solid #ddd;border-radius:6px}footer{text-align:center;color:#aaa;font-size:.8rem;padding:2rem 1rem}
        .tabs{display:flex;flex-wrap:wrap;gap:.25rem .75rem;align-items:center;margin:0 0 1rem}.tabs a{color:#555;text-decoration:none;padding:.25rem 0}
        .tabs a.on{color:#e4393c;border-bottom:2px solid #e4393c}form.inline{display:inline}button.link{background:none;border:0;color:#e4393c;cursor:pointer;font-size:.875rem}
        .scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #f0f0f0;white-space:nowrap}
        th{color:#888;font-weight:400}main.wide{max-width:1280px}.actions form{display:inline-flex;gap:.25rem;margin-right:.25rem;align-items:center}
        .actions input[type=text]{padding:.3rem;border:1px solid #ddd;border-radius:6px;width:5rem}.btn.small{padding:.3rem .8rem;font-size:.85rem}
        .fields{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:.75rem;align-items:end}.fields label{font-size:.875rem;color:#555}
        .fields input,.fields select{display:block;width:100%;padding:.45rem;border:1px solid #ddd;border-radius:6px;font-size:1rem}
        .cover{display:block;width:100%;aspect-ratio:3/2;object-fit:cover;border-radius:12px;background:#eee}.card .cover{margin-bottom:.75rem}
        .gallery{display:flex;gap:.5rem;overflow-x:auto;scroll-snap-type:x mandatory;margin:.75rem 0}.gallery img{flex:0 0 70%;max-width:320px;
        aspect-ratio:3/2;object-fit:cover;border-radius:8px;scroll-snap-align:start}.detail img{max-width:100%;height:auto;border-radius:8px}
        .video{position:relative;display:block}.video::after{content:"▶";position:absolute;inset:0;display:flex;align-items:center;justify-content:center;
        font-size:3rem;color:#fff;text-shadow:0 2px 8px rgba(0,0,0,.4)}
        .materials{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:.75rem}.materials img{width:100%;border-radius:8px;background:#f3f3f3}
        .materials figure{margin:0}img.poster{display:block;width:100%;max-width:480px;margin:0 auto 1rem;border-radius:12px}.row textarea{flex:1}.copytext{white-space:pre-wrap;background:#fafafa;border:1px dashed #ddd;border-radius:8px;padding:.5rem;font-size:.9rem}
        @media (min-width:720px){main{padding:2rem}}
        @media (max-width:600px){.scroll table,.scroll tbody,.scroll tr,.scroll td{display:block}.scroll thead{display:none}
        .scroll tr{padding:.5rem 0;border-bottom:1px solid #eee}.scroll td{display:flex;gap:.75rem;border:0;padding:.15rem 0;white-space:normal;overflow-wrap:anywhere}
        .scroll td::before{content:attr(data-label);flex:0 0 6.5rem;color:#888}.scroll td:empty,.scroll td.actions:not(:has(form)){display:none}
        .scroll td.actions{flex-wrap:wrap}.scroll td.actions::before{content:none}}
        """

    /// Countdowns on `[data-countdown]`, live group progress over Server-Sent Events on
    /// `[data-group]`, copy buttons, and the device fingerprint on every posted form.
    static let script = """
        (function () {
          \(DeviceFingerprint.function)
          var device = tuikeDevice();
          document.querySelectorAll('form').forEach(function (form) {
            if (!device || (form.getAttribute('method') || '').toLowerCase() !== 'post' || form.querySelector('input[name=tk_device]')) { return; }
            var input = document.createElement('input');
            input.type = 'hidden'; input.name = 'tk_device'; input.value = device;
            form.appendChild(input);
          });
          function pad(n) { return (n < 10 ? '0' : '') + n; }
          function tick() {
            document.querySelectorAll('[data-countdown]').forEach(function (el) {
              var left = Math.max(0, Math.floor((Date.parse(el.getAttribute('data-countdown')) - Date.now()) / 1000));
              var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
              el.textContent = (h > 23 ? Math.floor(h / 24) + 'd ' + pad(h % 24) : pad(h)) + ':' + pad(m) + ':' + pad(s);
            });
          }
          tick(); setInterval(tick, 1000);
          // The console's image upload: the file's bytes as the body, the form's CSRF token in the query.
          document.querySelectorAll('form[action="/admin/media"]').forEach(function (form) {
            form.addEventListener('submit', function (event) {
              event.preventDefault();
              var input = form.querySelector('input[type=file]'), token = form.querySelector('input[name=_csrf]');
              if (!input || !input.files[0] || !token) { return; }
              var file = input.files[0];
              fetch('/admin/media?_csrf=' + encodeURIComponent(token.value), {method: 'POST', body: file, credentials: 'same-origin',
                headers: {'Content-Type': file.type || 'application/octet-stream'}}).then(function (reply) {
                return reply.json().then(function (body) {
                  if (reply.ok) { location.href = '/admin/materials?notice=done#images'; }
                  else { window.alert(body.error ? body.error.message : String(reply.status)); }
                });
              });
            });
          });
          // A save or copy in the material center counts as a share of that material.
          var shareToken = document.querySelector('#share-token input[name=_csrf]');
          document.querySelectorAll('[data-share]').forEach(function (el) {
            el.addEventListener('click', function () {
              if (!shareToken) { return; }
              var body = new URLSearchParams({_csrf: shareToken.value, product_id: el.getAttribute('data-product'), item: el.getAttribute('data-share')});
              if (navigator.sendBeacon) { navigator.sendBeacon('/me/materials/shares', body); }
              else { fetch('/me/materials/shares', {method: 'POST', body: body, credentials: 'same-origin'}); }
            });
          });
          document.querySelectorAll('[data-copy]').forEach(function (button) {
            button.addEventListener('click', function () {
              var input = document.getElementById(button.getAttribute('data-copy'));
              input.select(); try { navigator.clipboard.writeText(input.value); } catch (e) { document.execCommand('copy'); }
              button.textContent = button.getAttribute('data-done');
            });
          });
          var page = document.querySelector('[data-group]');
          if (page && window.EventSource) {
            var labels = JSON.parse(page.getAttribute('data-labels'));
            var source = new EventSource('/api/v1/groups/' + page.getAttribute('data-group') + '/events');
            ['reserved', 'joined', 'released', 'expiring_soon', 'succeeded', 'failed', 'cancelled'].forEach(function (type) {
              source.addEventListener(type, function (message) {
                var event = JSON.parse(message.data);
                page.querySelector('[data-members]').textContent = event.members;
                page.querySelector('[data-left]').textContent = Math.max(0, event.size - event.members);
                page.querySelector('.bar>span').style.width = Math.round(100 * event.members / event.size) + '%';
                var avatars = page.querySelectorAll('.avatar');
                for (var i = 0; i < avatars.length; i++) {
                  var empty = i >= event.members;
                  if (avatars[i].classList.contains('empty') !== empty) { avatars[i].textContent = empty ? '?' : '\\u2713'; }
                  avatars[i].classList.toggle('empty', empty);
                }
                var status = page.querySelector('[data-status]');
                status.textContent = labels[event.status] || event.status;
                status.className = 'status ' + event.status;
                page.setAttribute('data-state', event.status);
                if (event.status !== 'forming' && event.status !== 'pending') {
                  var join = page.querySelector('[data-join]'); if (join) { join.remove(); }
                  source.close();
                }
              });
            });
          }
        })();

        """
}
