/// Names that become path components (sweep names: `Results/<sweep>/runs/<id>/`; run names):
/// checked at every boundary (sweep files, command-line options, CSV imports, the store itself) so
/// no name can write outside the results folder.
public enum SafeName {
    /// Longest name accepted, in UTF-8 bytes (file systems allow 255 per component).
    public static let maxBytes = 100

    /// What a valid name looks like, for error messages.
    public static let rule = "1-\(maxBytes) bytes, no '/' or '\\', no control characters, not starting with '.'"

    /// Why `name` cannot be a path component, or nil when it can.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > maxBytes { return "is \(name.utf8.count) bytes long" }
        if name.hasPrefix(".") { return "starts with '.'" }
        if name.contains("/") || name.contains("\\") { return "contains a path separator" }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "contains a control character" }
        return nil
    }

    /// Throws `StoreError.invalid` naming `field` (e.g. "--sweep", "Sweeps/x.toml: name") when
    /// `name` is not a safe path component.
    public static func check(_ name: String, field: String) throws {
        if let problem = problem(name) {
            throw StoreError.invalid("\(field) '\(printable(name))' \(problem): names become folder names (\(rule))")
        }
    }

    /// The name with control characters shown as escapes, for messages.
    static func printable(_ name: String) -> String {
        let shown = name.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
        return shown.count > 120 ? String(shown.prefix(120)) + "..." : shown
    }
}
