import Crypto
import Foundation

/// SHA-256 as lowercase hex: what the store keeps instead of secrets and personal data it only
/// needs to recognise (session tokens, counted login subjects) and the fingerprint of agreement texts.
public enum Digest {
    public static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
