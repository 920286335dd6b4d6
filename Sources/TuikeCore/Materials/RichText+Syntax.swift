/// The character-level pieces of `RichText`: HTML's notion of letters and spaces, character
/// references, and the URL and attribute rules.
extension RichText {
    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        (0x41...0x5A).contains(scalar.value) || (0x61...0x7A).contains(scalar.value)
    }

    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar == "\u{0C}"
    }

    /// ASCII only, as HTML does: Unicode case mapping would turn the Kelvin sign into `k`.
    static func lowercased(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        (0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(UInt8(truncatingIfNeeded: scalar.value + 0x20)) : scalar
    }

    /// The character a reference at `start` (an `&`) stands for and the index after it; an `&`
    /// that starts no known reference stands for itself.
    static func reference(in input: [Unicode.Scalar], at start: Int, end: Int) -> (scalar: Unicode.Scalar, next: Int) {
        let literal: (scalar: Unicode.Scalar, next: Int) = ("&", start + 1)
        var index = start + 1
        guard index < end else { return literal }
        if input[index] == "#" {
            index += 1
            var radix: UInt32 = 10
            if index < end, input[index] == "x" || input[index] == "X" {
                radix = 16
                index += 1
            }
            var value: UInt32 = 0
            var digits = 0
            // Clamped just past the last code point, so a long run of digits cannot overflow.
            while index < end, let digit = digitValue(input[index], radix: radix) {
                value = min(value * radix + digit, 0x11_0000)
                digits += 1
                index += 1
            }
            guard digits > 0 else { return literal }
            // Browsers accept a numeric reference without its `;`, so it is decoded here too.
            if index < end, input[index] == ";" { index += 1 }
            return (scalar(forReference: value), index)
        }
        var name = ""
        var length = 0
        while index < end, length < 32, isLetter(input[index]) || (0x30...0x39).contains(input[index].value) {
            name.unicodeScalars.append(input[index])
            length += 1
            index += 1
        }
        guard index < end, input[index] == ";", let scalar = named[name] else { return literal }
        return (scalar, index + 1)
    }

    static func digitValue(_ scalar: Unicode.Scalar, radix: UInt32) -> UInt32? {
        switch scalar.value {
        case 0x30...0x39: return scalar.value - 0x30
        case 0x61...0x66 where radix == 16: return scalar.value - 0x61 + 10
        case 0x41...0x46 where radix == 16: return scalar.value - 0x41 + 10
        default: return nil
        }
    }

    /// NUL, surrogates, values past U+10FFFF and the characters PlainText refuses become U+FFFD.
    static func scalar(forReference value: UInt32) -> Unicode.Scalar {
        guard value != 0, let scalar = Unicode.Scalar(value), !PlainText.isRefused(scalar, multiline: true) else { return "\u{FFFD}" }
        return scalar
    }

    static func decoded(_ input: [Unicode.Scalar], _ range: Range<Int>) -> String {
        var result = ""
        var index = range.lowerBound
        while index < range.upperBound {
            if input[index] == "&" {
                let (scalar, next) = reference(in: input, at: index, end: range.upperBound)
                result.unicodeScalars.append(scalar)
                index = next
            } else {
                result.unicodeScalars.append(input[index])
                index += 1
            }
        }
        return result
    }

    /// Leading and trailing blanks and all control characters go, as browsers strip them before
    /// reading the scheme (`java\tscript:` is `javascript:`); inner spaces become `%20`. The
    /// result is what is both checked and written out.
    static func normalizedURL(_ raw: String) -> String {
        let scalars = Array(raw.unicodeScalars)
        func isBlank(_ scalar: Unicode.Scalar) -> Bool { scalar.value <= 0x20 || scalar.value == 0x7F }
        guard let first = scalars.firstIndex(where: { !isBlank($0) }), let last = scalars.lastIndex(where: { !isBlank($0) }) else { return "" }
        var result = ""
        for scalar in scalars[first...last] {
            if scalar == " " {
                result += "%20"
            } else if !isBlank(scalar) {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func hasPrefix(_ url: [Unicode.Scalar], _ prefix: [Unicode.Scalar]) -> Bool {
        url.starts(with: prefix, by: { lowercased($0) == lowercased($1) })
    }

    /// A path on this site. `//host` and `/\host` are other sites to a browser.
    static func isLocalPath(_ url: [Unicode.Scalar]) -> Bool {
        guard url.first == "/" else { return false }
        return url.count == 1 || (url[1] != "/" && url[1] != "\\")
    }

    static func link(_ raw: String) -> String? {
        let url = normalizedURL(raw)
        let scalars = Array(url.unicodeScalars)
        return hasPrefix(scalars, https) || hasPrefix(scalars, http) || isLocalPath(scalars) ? url : nil
    }

    static func imageSource(_ raw: String, mediaPrefix: [Unicode.Scalar]) -> String? {
        let url = normalizedURL(raw)
        let scalars = Array(url.unicodeScalars)
        if hasPrefix(scalars, https) { return url }
        // A local image is exactly one media (and rendition): a browser would resolve
        // `/media/../r/abc` and fetch any path of the site on every view of the page.
        if !mediaPrefix.isEmpty, hasPrefix(scalars, mediaPrefix) {
            let rest = String(String.UnicodeScalarView(scalars.dropFirst(mediaPrefix.count)))
            let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            guard let id = parts.first, Media.isID(String(id)) else { return nil }
            guard parts.count == 1 || Media.renditionWidths.map({ "w=\($0)" }).contains(String(parts[1])) else { return nil }
            return url
        }
        return nil
    }

    static func isDimension(_ value: String) -> Bool {
        (1...4).contains(value.unicodeScalars.count) && value.unicodeScalars.allSatisfy { (0x30...0x39).contains($0.value) }
    }

    static func escapedAttribute(_ value: String) -> String { HTMLText.escape(value) }
}
