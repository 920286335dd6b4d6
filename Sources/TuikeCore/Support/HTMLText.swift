/// HTML escaping of text, the same five characters as Mustache's `{{x}}` (`& < > " '`): the
/// pages and the rich-text sanitiser escape with this one function.
public enum HTMLText {
    public static func escape(_ text: String) -> String {
        // Most values (ids, amounts, names) have nothing to escape.
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
