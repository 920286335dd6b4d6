/// What a name, title or other line of text shown to people may hold. Control characters (NUL
/// among them: PostgreSQL refuses it, SQLite would store it) and the invisible marks that reorder
/// text (bidirectional overrides and isolates, such as U+202E, which can make "gpj.exe" read as
/// "exe.jpg") are refused. Longer texts may keep line breaks and tabs.
public enum PlainText {
    public static func check(_ text: String, field: String, multiline: Bool = false) throws(TuikeError) {
        for scalar in text.unicodeScalars where isRefused(scalar, multiline: multiline) {
            throw .validation("\(field) must not contain control or text-direction characters (found U+\(String(scalar.value, radix: 16, uppercase: true)))")
        }
    }

    static func isRefused(_ scalar: Unicode.Scalar, multiline: Bool) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: !multiline
        case 0x00...0x1F, 0x7F...0x9F: true
        // Bidirectional embeddings, overrides and isolates, and the line and paragraph separators.
        case 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: true
        default: false
        }
    }
}
