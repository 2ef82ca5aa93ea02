import Foundation

/// A minimal SVG writer: elements are appended as text, every attribute value and text node is
/// escaped, and numbers are written with two decimals (sub-pixel precision is invisible).
public struct SVGWriter {
    public let width: Double
    public let height: Double
    private(set) var body: [String] = []
    private var indent = 1

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// Escapes `&`, `<`, `>`, `"` and `'` for use in XML text and attribute values; drops
    /// characters XML 1.0 forbids (control characters other than tab, newline, return).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                let v = scalar.value
                if v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D { continue }
                if v == 0xFFFE || v == 0xFFFF { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A coordinate or length: two decimals, no trailing zeros, never "-0" or "nan".
    public static func number(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        var s = String(format: "%.2f", x)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    /// A value kept exactly (for `data-*` attributes that tests and readers compare with the store).
    public static func exact(_ x: Double) -> String { "\(x)" }

    static func attributes(_ attrs: [(String, String)]) -> String {
        attrs.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
    }

    private var pad: String { String(repeating: "  ", count: indent) }

    /// An empty element `<name a="v" .../>`, with an optional `<title>` child (a tooltip).
    public mutating func element(_ name: String, _ attrs: [(String, String)], title: String? = nil) {
        if let title {
            body.append("\(pad)<\(name)\(Self.attributes(attrs))><title>\(Self.escape(title))</title></\(name)>")
        } else {
            body.append("\(pad)<\(name)\(Self.attributes(attrs))/>")
        }
    }

    /// `<text>` with escaped content.
    public mutating func text(_ content: String, x: Double, y: Double, anchor: TextAnchor = .start,
                              size: Double = 12, weight: String? = nil, fill: String = "#222",
                              rotate: Double? = nil, extra: [(String, String)] = []) {
        var attrs: [(String, String)] = [("x", Self.number(x)), ("y", Self.number(y)), ("font-size", Self.number(size)),
                                         ("text-anchor", anchor.rawValue), ("fill", fill)]
        if let weight { attrs.append(("font-weight", weight)) }
        if let rotate { attrs.append(("transform", "rotate(\(Self.number(rotate)) \(Self.number(x)) \(Self.number(y)))")) }
        attrs += extra
        body.append("\(pad)<text\(Self.attributes(attrs))>\(Self.escape(content))</text>")
    }

    /// Opens `<g>`; close it with ``close()``.
    public mutating func group(_ attrs: [(String, String)]) {
        body.append("\(pad)<g\(Self.attributes(attrs))>")
        indent += 1
    }

    public mutating func close(_ name: String = "g") {
        indent -= 1
        body.append("\(pad)</\(name)>")
    }

    /// Raw markup from another writer or a trusted template (already escaped).
    public mutating func raw(_ markup: String) {
        body.append(markup)
    }

    /// A polyline path `M x y L x y ...` through points (non-finite points break the line).
    public static func path(_ points: [(Double, Double)]) -> String {
        var d = ""
        var pen = false
        for (x, y) in points {
            guard x.isFinite && y.isFinite else { pen = false; continue }
            d += (pen ? " L" : (d.isEmpty ? "M" : " M")) + "\(number(x)) \(number(y))"
            pen = true
        }
        return d
    }

    /// The document: `<svg>` with namespace, size and view box, a `<title>`, an optional
    /// description, and the body. No XML declaration, so the same text can be inlined into HTML.
    public func document(title: String, description: String? = nil, id: String? = nil) -> String {
        var head = "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\""
        if let id { head += " id=\"\(Self.escape(id))\"" }
        head += " width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\""
        head += " font-family=\"DejaVu Sans, Liberation Sans, Helvetica, Arial, sans-serif\" role=\"img\">"
        var lines = [head, "  <title>\(Self.escape(title))</title>"]
        if let description { lines.append("  <desc>\(Self.escape(description))</desc>") }
        lines.append("  <rect x=\"0\" y=\"0\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" fill=\"#ffffff\"/>")
        lines += body
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }
}

public enum TextAnchor: String, Sendable {
    case start, middle, end
}
