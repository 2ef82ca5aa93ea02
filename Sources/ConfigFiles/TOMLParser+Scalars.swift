/// Strings, numbers, booleans' neighbours and dates of TOML 1.0.
extension TOMLParser {
    // MARK: strings

    /// `"..."` on one line, with escapes.
    mutating func basicString() throws -> String {
        let start = i
        i += 1
        var out = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw fail("the string is not closed (a '\"' is missing)", at: start) }
            if c == "\"" { i += 1; return String(out) }
            if c == "\n" || c == "\r" { throw fail("the string is not closed on its line (use \"\"\" for a multi-line string)", at: start) }
            if c == "\\" { out.append(try escape()); continue }
            if Self.isControl(c) { throw fail("\(shown(c)) is not allowed in a string (write it as an escape, e.g. \\u0001)") }
            out.append(c)
            i += 1
        }
    }

    /// `'...'` on one line, taken as written.
    mutating func literalString() throws -> String {
        let start = i
        i += 1
        var out = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw fail("the string is not closed (a \"'\" is missing)", at: start) }
            if c == "'" { i += 1; return String(out) }
            if c == "\n" || c == "\r" { throw fail("the string is not closed on its line (use ''' for a multi-line string)", at: start) }
            if Self.isControl(c) { throw fail("\(shown(c)) is not allowed in a string") }
            out.append(c)
            i += 1
        }
    }

    /// `"""..."""` (escapes, line-ending backslashes) or `'''...'''` (as written). A newline
    /// right after the opening quotes is dropped; up to two quotes may end the content.
    mutating func multilineString(quote: Unicode.Scalar) throws -> String {
        let start = i
        let basic = quote == "\""
        i += 3
        _ = try newline()
        var out = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw fail("the multi-line string is not closed (\(String(repeating: String(quote), count: 3)) is missing)", at: start) }
            if c == quote {
                var run = 0
                while peek(run) == quote { run += 1 }
                if run < 3 {
                    for _ in 0..<run { out.append(quote) }
                    i += run
                    continue
                }
                guard run <= 5 else { throw fail("too many quotes in a row: at most two may end a multi-line string's content") }
                for _ in 0..<(run - 3) { out.append(quote) }
                i += run
                return String(out)
            }
            if c == "\n" { out.append(c); i += 1; continue }
            if c == "\r" {
                guard peek(1) == "\n" else { throw fail("a carriage return must be followed by a line feed") }
                out.append("\r"); out.append("\n"); i += 2
                continue
            }
            if basic && c == "\\" {
                var k = 1
                while let d = peek(k), d == " " || d == "\t" { k += 1 }
                if peek(k) == "\n" || (peek(k) == "\r" && peek(k + 1) == "\n") {
                    // a line-ending backslash: drop it and all blank space up to the next text
                    i += k
                    while true {
                        skipSpaces()
                        if try !newline() { break }
                    }
                    continue
                }
                out.append(try escape())
                continue
            }
            if Self.isControl(c) { throw fail("\(shown(c)) is not allowed in a string") }
            out.append(c)
            i += 1
        }
    }

    /// One escape sequence after a backslash: \b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX.
    mutating func escape() throws -> Unicode.Scalar {
        let start = i
        i += 1
        guard let c = peek() else { throw fail("the string ends inside an escape", at: start) }
        i += 1
        switch c {
        case "b": return "\u{08}"
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "\"": return "\""
        case "\\": return "\\"
        case "u", "U":
            let count = c == "u" ? 4 : 8
            var value: UInt32 = 0
            for _ in 0..<count {
                guard let d = peek(), TOMLNumber.isDigit(d, radix: 16), let digit = UInt32(String(d), radix: 16) else {
                    throw fail("\\\(c) needs \(count) hexadecimal digits", at: start)
                }
                value = value * 16 + digit
                i += 1
            }
            guard let scalar = Unicode.Scalar(value) else {
                throw fail("\\\(c)\(String(value, radix: 16, uppercase: true)) is not a Unicode scalar value", at: start)
            }
            return scalar
        default:
            throw fail("'\\\(c)' is not a valid escape (valid: \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)", at: start)
        }
    }

    // MARK: numbers and dates

    static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }

    /// An integer, a float, inf/nan or a date/time: the run of characters that can form one.
    mutating func scalar() throws -> TOMLValue {
        let start = i
        func isTokenChar(_ c: Unicode.Scalar) -> Bool { Self.isBare(c) || c == "+" || c == "." || c == ":" }
        while let c = peek(), isTokenChar(c) { i += 1 }
        // a date and a time may be separated by one space
        if i - start == 10, text[start + 4] == "-", peek() == " ",
           let a = peek(1), let b = peek(2), Self.isDigit(a), Self.isDigit(b), peek(3) == ":" {
            i += 1
            while let c = peek(), isTokenChar(c) { i += 1 }
        }
        guard i > start else { throw fail("expected a value, found \(shown(peek()))") }
        let token = Array(text[start..<i])
        let word = String(String.UnicodeScalarView(token))
        if let value = TOMLNumber.parse(token) { return value }
        if TOMLDate.isValid(token) { return .datetime(word) }
        if token.count > 10, TOMLDate.isValid(Array(token[..<10])) {
            throw fail("'\(word)' is not a valid date-time (e.g. 1979-05-27T07:32:00Z)", at: start)
        }
        if TOMLNumber.looksOutOfRange(token) {
            throw fail("the integer \(word) is outside the 64-bit range", at: start)
        }
        throw fail("'\(word)' is not a valid value (a string needs quotes; numbers look like 42, 3.5, 1e-3)", at: start)
    }
}

/// TOML 1.0 integers and floats.
enum TOMLNumber {
    static func isDigit(_ c: Unicode.Scalar, radix: Int) -> Bool {
        switch radix {
        case 2: return c == "0" || c == "1"
        case 8: return ("0"..."7").contains(c)
        case 16: return ("0"..."9").contains(c) || ("a"..."f").contains(c) || ("A"..."F").contains(c)
        default: return ("0"..."9").contains(c)
        }
    }

    /// Digits with single underscores between them; the digits without underscores, or nil.
    static func digits(_ s: ArraySlice<Unicode.Scalar>, radix: Int = 10) -> String? {
        guard let f = s.first, let l = s.last, isDigit(f, radix: radix), isDigit(l, radix: radix) else { return nil }
        var out = String.UnicodeScalarView()
        var previous: Unicode.Scalar = "0"
        for c in s {
            if c == "_" {
                guard previous != "_" else { return nil }
            } else {
                guard isDigit(c, radix: radix) else { return nil }
                out.append(c)
            }
            previous = c
        }
        return String(out)
    }

    static func parse(_ t: [Unicode.Scalar]) -> TOMLValue? {
        let s = t[...]
        let word = String(String.UnicodeScalarView(t))
        switch word {
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        if t.count > 2, t[0] == "0", let radix = ["x": 16, "o": 8, "b": 2][Character(t[1])] {
            guard let d = digits(s.dropFirst(2), radix: radix), let v = Int64(d, radix: radix) else { return nil }
            return .integer(v)
        }
        var body = s
        var sign = ""
        if let f = body.first, f == "+" || f == "-" { sign = f == "-" ? "-" : ""; body = body.dropFirst() }
        // the integer part: no leading zeros
        let intEnd = body.firstIndex { $0 == "." || $0 == "e" || $0 == "E" } ?? body.endIndex
        guard let intPart = digits(body[..<intEnd]), intPart == "0" || !intPart.hasPrefix("0") else { return nil }
        if intEnd == body.endIndex { return Int64(sign + intPart).map(TOMLValue.integer) }
        var rest = body[intEnd...]
        var text = sign + intPart
        if rest.first == "." {
            rest = rest.dropFirst()
            let fracEnd = rest.firstIndex { $0 == "e" || $0 == "E" } ?? rest.endIndex
            guard let frac = digits(rest[..<fracEnd]) else { return nil }
            text += "." + frac
            rest = rest[fracEnd...]
        }
        if let e = rest.first {
            guard e == "e" || e == "E" else { return nil }
            rest = rest.dropFirst()
            var expSign = ""
            if let f = rest.first, f == "+" || f == "-" { expSign = String(f); rest = rest.dropFirst() }
            guard let exp = digits(rest) else { return nil }
            text += "e" + expSign + exp
        }
        return Double(text).map(TOMLValue.float)
    }

    /// An integer whose digits are valid but too many for Int64.
    static func looksOutOfRange(_ t: [Unicode.Scalar]) -> Bool {
        var s = t[...]
        var radix = 10
        if s.count > 2, s.first == "0", let r = ["x": 16, "o": 8, "b": 2][Character(s[s.startIndex + 1])] {
            radix = r
            s = s.dropFirst(2)
        } else if let f = s.first, f == "+" || f == "-" {
            s = s.dropFirst()
        }
        if radix == 10, s.count > 1, s.first == "0" { return false }
        return digits(s, radix: radix) != nil
    }
}

/// TOML 1.0 dates and times: 1979-05-27, 07:32:00(.999), and date-times with an optional offset.
enum TOMLDate {
    /// Whether `t` is a valid local date, local time, local date-time or offset date-time.
    static func isValid(_ t: [Unicode.Scalar]) -> Bool {
        var k = 0
        func number(_ count: Int) -> Int? {
            guard k + count <= t.count else { return nil }
            var v = 0
            for c in t[k..<(k + count)] {
                guard TOMLParser.isDigit(c) else { return nil }
                v = v * 10 + Int(c.value - 48)
            }
            k += count
            return v
        }
        func take(_ c: Unicode.Scalar) -> Bool {
            guard k < t.count, t[k] == c else { return false }
            k += 1
            return true
        }
        func time() -> Bool {
            guard let h = number(2), take(":"), let m = number(2), take(":"), let s = number(2),
                  h < 24, m < 60, s <= 60 else { return false }
            if take(".") {
                let from = k
                while k < t.count, TOMLParser.isDigit(t[k]) { k += 1 }
                guard k > from else { return false }
            }
            return true
        }
        if t.count >= 3, t[2] == ":" { return time() && k == t.count }
        guard let y = number(4), take("-"), let mo = number(2), take("-"), let d = number(2),
              (1...12).contains(mo), d >= 1 else { return false }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]
        guard d <= days else { return false }
        if k == t.count { return true }
        guard take("T") || take("t") || take(" "), time() else { return false }
        if k == t.count { return true }
        if take("Z") || take("z") { return k == t.count }
        guard take("+") || take("-"), let oh = number(2), take(":"), let om = number(2) else { return false }
        return oh < 24 && om < 60 && k == t.count
    }
}
