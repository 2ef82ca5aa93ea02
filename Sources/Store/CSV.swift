/// Minimal RFC 4180 CSV: comma separated, fields optionally quoted with `"`, doubled quotes inside
/// quotes, CRLF or LF line ends. Records keep the line number they start on (1-based), and each
/// field where it starts (line and column, 1-based, columns counted in Unicode scalars).
public enum CSV {
    public struct Record: Equatable, Sendable {
        public var line: Int
        public var fields: [String]
        /// Where each field starts; a field after a quoted line break starts on a later line.
        public var starts: [Position] = []

        public init(line: Int, fields: [String], starts: [Position] = []) {
            self.line = line; self.fields = fields; self.starts = starts
        }

        /// Where field `i` starts (the record's line, column 1 when unknown).
        public func start(of i: Int) -> Position {
            i < starts.count ? starts[i] : Position(line: line, column: 1)
        }
    }

    public struct Position: Equatable, Sendable {
        public var line: Int
        public var column: Int
        public init(line: Int, column: Int) { self.line = line; self.column = column }
    }

    public enum ParseError: Error, CustomStringConvertible, Equatable {
        case unterminatedQuote(line: Int)
        public var description: String {
            switch self {
            case let .unterminatedQuote(line): return "line \(line): a quoted field is never closed"
            }
        }
    }

    /// Splits text into records; blank lines are skipped.
    public static func parse(_ text: String) throws -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var starts: [Position] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var column = 1
        var recordLine = 1
        var fieldStarted = false
        var fieldStart = Position(line: 1, column: 1)
        var chars = Array(text.unicodeScalars)[...]
        func endRecord() {
            if fieldStarted || !fields.isEmpty || !field.isEmpty {
                fields.append(field)
                starts.append(fieldStart)
                records.append(Record(line: recordLine, fields: fields, starts: starts))
            }
            fields = []; starts = []; field = ""; fieldStarted = false
        }
        func newLine() { line += 1; column = 1; fieldStart = Position(line: line, column: 1) }
        while let c = chars.popFirst() {
            column += 1
            if inQuotes {
                if c == "\"" {
                    if chars.first == "\"" { chars.removeFirst(); column += 1; field.unicodeScalars.append("\"") } else { inQuotes = false }
                } else {
                    if c == "\n" { line += 1; column = 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"": inQuotes = true; fieldStarted = true
            case ",":
                fields.append(field); starts.append(fieldStart); field = ""; fieldStarted = true
                fieldStart = Position(line: line, column: column)
            case "\r": if chars.first != "\n" { endRecord(); newLine(); recordLine = line }
            case "\n": endRecord(); newLine(); recordLine = line
            default: field.unicodeScalars.append(c); fieldStarted = true
            }
        }
        if inQuotes { throw ParseError.unterminatedQuote(line: recordLine) }
        endRecord()
        return records
    }

    /// Quotes a field when it holds a comma, a quote or a line break.
    public static func escape(_ field: String) -> String {
        if field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return field
    }

    /// A text cell made inert for spreadsheets (OWASP CSV injection): a cell starting with `=`,
    /// `+`, `-`, `@`, tab or carriage return would be read as a formula, so it gets a leading `'`.
    /// Only for text: numbers (e.g. -0.5) are written as they are.
    public static func text(_ cell: String) -> String {
        guard let first = cell.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) else { return cell }
        return "'" + cell
    }

    /// One CSV line (without its line end).
    public static func line(_ fields: [String]) -> String {
        fields.map(escape).joined(separator: ",")
    }
}

#if canImport(Foundation)
import Foundation
#endif
