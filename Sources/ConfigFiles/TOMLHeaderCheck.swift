/// TOMLKit's parser (toml++) aborts the process (a failed `assert`) on a table header whose first
/// character is not a key character, e.g. `[= x]`, `[ ]` or `[[#`: found by `.ci/fuzz`. Such
/// headers are refused here, with their line, before the text reaches it.
enum TOMLHeaderCheck {
    /// The 1-based line of the first malformed table header, or nil. Tracks strings (basic,
    /// literal, multi-line), comments and brackets of values, so only real headers are checked.
    static func firstBadHeader(_ text: String) -> Int? {
        let chars = Array(text.unicodeScalars)
        var i = 0, line = 1, depth = 0
        var atLineStart = true
        func isKeyStart(_ c: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-" || c == "\"" || c == "'"
        }
        func skipString(quote: Unicode.Scalar) {
            let multi = i + 2 < chars.count && chars[i + 1] == quote && chars[i + 2] == quote
            i += multi ? 3 : 1
            while i < chars.count {
                let c = chars[i]
                if c == "\n" { line += 1; if !multi { return } }
                if c == "\\" && quote == "\"" { i += 2; continue }
                if c == quote {
                    if !multi { i += 1; return }
                    if i + 2 < chars.count && chars[i + 1] == quote && chars[i + 2] == quote { i += 3; return }
                }
                i += 1
            }
        }
        while i < chars.count {
            let c = chars[i]
            if c == "\n" { line += 1; atLineStart = true; i += 1; continue }
            if c == " " || c == "\t" || c == "\r" { i += 1; continue }
            if c == "#" { while i < chars.count && chars[i] != "\n" { i += 1 }; continue }
            if c == "\"" || c == "'" { atLineStart = false; skipString(quote: c); continue }
            if atLineStart && depth == 0 && c == "[" {
                var j = i + 1
                if j < chars.count && chars[j] == "[" { j += 1 }
                while j < chars.count && (chars[j] == " " || chars[j] == "\t") { j += 1 }
                if j >= chars.count || !isKeyStart(chars[j]) { return line }
                // the rest of the header line holds no value brackets
                atLineStart = false
                while i < chars.count && chars[i] != "\n" && chars[i] != "#" {
                    if chars[i] == "\"" || chars[i] == "'" { skipString(quote: chars[i]); continue }
                    i += 1
                }
                continue
            }
            atLineStart = false
            if c == "[" || c == "{" { depth += 1 } else if (c == "]" || c == "}") && depth > 0 { depth -= 1 }
            i += 1
        }
        return nil
    }
}
