/// A TOML 1.0 parser written for config files a user edits by hand: every malformed input is a
/// `TOMLSyntaxError` naming the line, the column and what was expected, never a trap. Nesting
/// (arrays, inline tables, dotted keys) is limited to `maxDepth` levels so no input can exhaust
/// the stack. It replaced TOMLKit (toml++), whose assertions aborted the process on inputs such
/// as `x = [1, }2]` (found by `.ci/fuzz`, issue #19).
///
/// The table rules of the specification are enforced: no key or table defined twice, a table
/// made by dotted keys or an inline table is not reopened by a header or extended later, `[[x]]`
/// appends only to an array of tables, a static array is never extended.
struct TOMLParser {
    static let maxDepth = 128

    let text: [Unicode.Scalar]
    var i = 0
    private let lineStarts: [Int]

    static func parse(_ string: String) throws -> TOMLTable {
        var parser = TOMLParser(string)
        return try parser.document()
    }

    init(_ string: String) {
        text = Array(string.unicodeScalars)
        var starts = [0]
        for (k, c) in text.enumerated() where c == "\n" { starts.append(k + 1) }
        lineStarts = starts
    }

    // MARK: places and errors

    /// The 1-based line of text index `k`.
    func line(at k: Int) -> Int {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= k { lo = mid } else { hi = mid - 1 }
        }
        return lo + 1
    }

    func fail(_ message: String, at k: Int? = nil) -> TOMLSyntaxError {
        let k = min(k ?? i, text.count)
        let l = line(at: k)
        return TOMLSyntaxError(line: l, column: k - lineStarts[l - 1] + 1, message: message)
    }

    var atEnd: Bool { i >= text.count }
    func peek(_ offset: Int = 0) -> Unicode.Scalar? { i + offset < text.count ? text[i + offset] : nil }

    /// A character as a message shows it: printable ones quoted, others as U+XXXX.
    func shown(_ c: Unicode.Scalar?) -> String {
        guard let c else { return "the end of the file" }
        if c == "\n" { return "the end of the line" }
        if c.value < 0x20 || c.value == 0x7F { return "the control character U+\(String(c.value, radix: 16, uppercase: true))" }
        return "'\(c)'"
    }

    // MARK: whitespace, comments, newlines

    mutating func skipSpaces() { while let c = peek(), c == " " || c == "\t" { i += 1 } }

    static func isControl(_ c: Unicode.Scalar) -> Bool { (c.value < 0x20 && c != "\t") || c.value == 0x7F }

    /// A `#` comment up to (not including) the end of its line.
    mutating func comment() throws {
        i += 1
        while let c = peek(), c != "\n" {
            if c == "\r" && peek(1) == "\n" { return }
            if Self.isControl(c) { throw fail("\(shown(c)) is not allowed in a comment") }
            i += 1
        }
    }

    /// Consumes a newline (LF or CRLF) if one is next; a lone CR is an error.
    mutating func newline() throws -> Bool {
        if peek() == "\n" { i += 1; return true }
        if peek() == "\r" {
            guard peek(1) == "\n" else { throw fail("a carriage return must be followed by a line feed") }
            i += 2
            return true
        }
        return false
    }

    /// Spaces, tabs, comments and newlines (inside arrays).
    mutating func skipBlank() throws {
        while true {
            skipSpaces()
            if peek() == "#" { try comment() }
            if try !newline() { return }
        }
    }

    /// After a key-value pair or a header: spaces, an optional comment, then a newline or the end.
    mutating func endOfLine(after what: String) throws {
        skipSpaces()
        if peek() == "#" { try comment() }
        if atEnd { return }
        guard try newline() else { throw fail("expected the end of the line after \(what), found \(shown(peek()))") }
    }

    // MARK: the document

    mutating func document() throws -> TOMLTable {
        if peek() == "\u{FEFF}" { i += 1 }
        let root = Node(origin: .header)
        var current = root
        while true {
            skipSpaces()
            guard let c = peek() else { break }
            if c == "#" { try comment(); try endOfLine(after: "a comment"); continue }
            if try newline() { continue }
            if c == "[" {
                current = try header(root: root)
            } else {
                try keyValue(into: current, depth: 0)
                try endOfLine(after: "a value")
            }
        }
        return root.table()
    }

    /// `[a.b]` or `[[a.b]]`: the table that the following key-value pairs go into.
    mutating func header(root: Node) throws -> Node {
        let start = i
        let isArray = peek(1) == "["
        i += isArray ? 2 : 1
        skipSpaces()
        let parts = try key()
        guard peek() == "]", !isArray || peek(1) == "]" else {
            throw fail("expected '\(isArray ? "]]" : "]")' to close the table header, found \(shown(peek()))")
        }
        i += isArray ? 2 : 1
        let node: Node
        do { node = try root.open(parts, asArray: isArray, line: line(at: start)) } catch { throw fail(error.message, at: start) }
        try endOfLine(after: "the table header")
        return node
    }

    /// `key = value`, with a dotted key making sub-tables of `node`.
    mutating func keyValue(into node: Node, depth: Int) throws {
        let start = i
        let parts = try key()
        guard peek() == "=" else {
            throw fail("expected '=' after the key '\(parts.joined(separator: "."))', found \(shown(peek()))")
        }
        i += 1
        skipSpaces()
        let value = try self.value(depth: depth + parts.count)
        do { try node.assign(parts, value, line: line(at: start)) } catch { throw fail(error.message, at: start) }
    }

    /// A key: bare (`A-Za-z0-9_-`), "basic" or 'literal', parts joined by dots; spaces around
    /// the dots and after the key are consumed.
    mutating func key() throws -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            guard let c = peek() else { throw fail("expected a key, found the end of the file") }
            if c == "\"" {
                if peek(1) == "\"" && peek(2) == "\"" { throw fail("a key cannot be a multi-line string") }
                parts.append(try basicString())
            } else if c == "'" {
                if peek(1) == "'" && peek(2) == "'" { throw fail("a key cannot be a multi-line string") }
                parts.append(try literalString())
            } else if Self.isBare(c) {
                let from = i
                while let d = peek(), Self.isBare(d) { i += 1 }
                parts.append(String(String.UnicodeScalarView(text[from..<i])))
            } else {
                throw fail("expected a key (letters, digits, '_', '-', or a quoted string), found \(shown(c))")
            }
            guard parts.count <= Self.maxDepth else { throw fail("a key has more than \(Self.maxDepth) dotted parts") }
            skipSpaces()
            guard peek() == "." else { return parts }
            i += 1
        }
    }

    static func isBare(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
    }

    // MARK: values

    mutating func value(depth: Int) throws -> TOMLValue {
        guard depth < Self.maxDepth else { throw fail("values are nested more than \(Self.maxDepth) levels deep") }
        guard let c = peek() else { throw fail("expected a value, found the end of the file") }
        switch c {
        case "\"":
            return .string(peek(1) == "\"" && peek(2) == "\"" ? try multilineString(quote: "\"") : try basicString())
        case "'":
            return .string(peek(1) == "'" && peek(2) == "'" ? try multilineString(quote: "'") : try literalString())
        case "[": return try array(depth: depth)
        case "{": return try inlineTable(depth: depth)
        case "t", "f":
            for word in ["true", "false"] where matches(word) {
                i += word.unicodeScalars.count
                return .bool(word == "true")
            }
            return try scalar()
        default: return try scalar()
        }
    }

    func matches(_ word: String) -> Bool {
        for (k, c) in word.unicodeScalars.enumerated() where peek(k) != c { return false }
        return true
    }

    /// `[v, v, ...]`: any values, newlines and comments between them, a trailing comma allowed.
    mutating func array(depth: Int) throws -> TOMLValue {
        i += 1
        var items: [TOMLValue] = []
        while true {
            try skipBlank()
            if peek() == "]" { i += 1; return .array(items) }
            items.append(try value(depth: depth + 1))
            try skipBlank()
            if peek() == "," { i += 1; continue }
            if peek() == "]" { i += 1; return .array(items) }
            throw fail("expected ',' or ']' in the array, found \(shown(peek()))")
        }
    }

    /// `{k = v, ...}` on one line, no trailing comma; it cannot be extended afterwards.
    mutating func inlineTable(depth: Int) throws -> TOMLValue {
        i += 1
        let node = Node(origin: .inline)
        skipSpaces()
        if peek() == "}" { i += 1; return .table(node.table()) }
        while true {
            try keyValue(into: node, depth: depth + 1)
            skipSpaces()
            if peek() == "," { i += 1; continue }
            if peek() == "}" { i += 1; return .table(node.table()) }
            throw fail("expected ',' or '}' in the inline table (it must stay on one line, with no trailing comma), found \(shown(peek()))")
        }
    }
}
