import TuikeCore

/// A view that writes its JSON itself, for the hottest responses: the bytes `JSONEncoder` would
/// write (snake_case keys in UTF-8 order, nil as `null`), without the `Encodable` machinery, whose
/// casts and containers, for order views, took a fifth of the shared pool's time in
/// `bench/orders.sh`. Keys are written in sorted order by hand; debug builds
/// compare every response with Foundation's (`JSONOutput.encode`), so the whole test suite checks it.
protocol JSONWritable: Encodable {
    func writeJSON(to json: inout JSONWriter)
}

/// Appends JSON to a byte buffer. Keys are plain ASCII (no escaping); each object's fields must
/// be given in sorted key order.
struct JSONWriter {
    var bytes: [UInt8] = []
    private var needsComma = false

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func array<Element>(_ elements: [Element], _ write: (Element, inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        for element in elements { write(element, &self) }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        // One byte at a time: an array literal here was an allocation per key.
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    mutating func value(_ text: String?) {
        separate()
        if let text { JSONText.appendQuoted(text, to: &bytes) } else { bytes.append(contentsOf: "null".utf8) }
        needsComma = true
    }

    mutating func value(_ number: Int64) {
        separate()
        bytes.append(contentsOf: String(number).utf8)
        needsComma = true
    }

    mutating func value(_ flag: Bool) {
        separate()
        bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        needsComma = true
    }

    mutating func value(_ instant: Instant?) { value(instant?.rfc3339) }

    mutating func value(_ texts: [String]) { array(texts) { text, json in json.value(text) } }

    mutating func field(_ name: StaticString, _ text: String?) { key(name); value(text) }
    mutating func field(_ name: StaticString, _ number: Int64) { key(name); value(number) }
    mutating func field(_ name: StaticString, _ flag: Bool) { key(name); value(flag) }
    mutating func field(_ name: StaticString, _ instant: Instant?) { key(name); value(instant) }
    mutating func field(_ name: StaticString, _ texts: [String]) { key(name); value(texts) }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }
}

/// A page of views that write themselves (an order list) is written the same way.
extension Page: JSONWritable where Item: JSONWritable {
    func writeJSON(to json: inout JSONWriter) {
        json.object { json in
            json.key("data")
            json.array(data) { item, json in item.writeJSON(to: &json) }
            json.field("has_more", hasMore)
            json.field("next_cursor", nextCursor)
        }
    }
}
