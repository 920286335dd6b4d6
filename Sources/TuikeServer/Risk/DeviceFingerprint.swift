/// The browser fingerprint that Tuike's scripts send as `tk_device` with the storefront's and the
/// portal's forms and as `device` with the merchant-site beacon (docs/rules.md §16).
///
/// It is a hash of stable properties only: user agent, languages, platform, time zone, screen
/// size, colour depth and pixel ratio, processor count, device memory and touch points. No canvas,
/// audio or font probing: those read the graphics stack and are what privacy settings block.
/// Two browsers on one phone differ (user agents differ); a private window of the same browser
/// matches its normal window; thousands of identical phones of one model, version and settings
/// look alike, so the signals treat a match as evidence beside the address, never as identity.
enum DeviceFingerprint {
    /// `tuikeDevice()` returns `fp1-` and 16 hex digits (two FNV-1a hashes of the properties).
    static let function = """
        function tuikeDevice() {
          try {
            var n = window.navigator, s = window.screen || {};
            var zone = '';
            try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { zone = ''; }
            var parts = [n.userAgent, (n.languages || [n.language]).join(','), n.platform, zone, new Date().getTimezoneOffset(),
              s.width + 'x' + s.height, s.colorDepth, window.devicePixelRatio, n.hardwareConcurrency, n.deviceMemory, n.maxTouchPoints];
            var text = parts.join('|');
            function fnv(seed) {
              var h = seed >>> 0;
              for (var i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 16777619) >>> 0; }
              return ('0000000' + h.toString(16)).slice(-8);
            }
            return 'fp1-' + fnv(2166136261) + fnv(3735928559);
          } catch (e) { return ''; }
        }
        """
}
