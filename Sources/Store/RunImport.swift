import Foundation

/// A finished run read from a CSV or JSON file: the unit `ladder import` and `ladder fit --from` share.
public struct ImportedRun: Equatable, Sendable {
    /// CSV: the line the run is on (1-based). JSON: the element's index in the array (0-based).
    public var line: Int
    public var name: String?
    /// Non-embedding parameters N.
    public var params: Double
    /// Training tokens D.
    public var tokens: Double
    /// Final loss (nats per token).
    public var loss: Double
    /// Training compute C; 6 N D when the file has no `flops` column or leaves it empty.
    public var flops: Double
    /// Task metrics from `task:NAME` columns (a run may leave a cell empty), by lower-case name.
    public var tasks: [String: Double] = [:]

    public init(line: Int, name: String? = nil, params: Double, tokens: Double, loss: Double, flops: Double,
                tasks: [String: Double] = [:]) {
        self.line = line; self.name = name; self.params = params; self.tokens = tokens
        self.loss = loss; self.flops = flops; self.tasks = tasks
    }
}

/// Every problem found in an import file, each with where it is. Nothing is imported from a file
/// that has any.
public struct RunImportError: Error, CustomStringConvertible, Equatable {
    public enum Format: Sendable { case csv, json }
    public var file: String
    public var problems: [Problem]
    public var format: Format = .csv

    public struct Problem: Equatable, Sendable {
        /// CSV: the line (1-based). JSON: the element's index (0-based); -1 for the whole file.
        public var line: Int
        /// CSV: the column (1-based, in characters) where the bad field starts.
        public var column: Int?
        /// JSON: the key of the bad value.
        public var key: String?
        public var message: String

        public init(line: Int, column: Int? = nil, key: String? = nil, message: String) {
            self.line = line; self.column = column; self.key = key; self.message = message
        }
    }

    public init(file: String, problems: [Problem], format: Format = .csv) {
        self.file = file; self.problems = problems; self.format = format
    }

    /// Where a problem is: `FILE:LINE:COLUMN` (CSV) or `FILE: element I, key "K"` (JSON).
    public func place(_ p: Problem) -> String {
        switch format {
        case .csv:
            return "\(file):\(p.line)" + (p.column.map { ":\($0)" } ?? "")
        case .json:
            if p.line < 0 { return file }
            return "\(file): element \(p.line)" + (p.key.map { ", key \"\(SafeName.printable($0))\"" } ?? "")
        }
    }

    public var description: String {
        var lines = ["\(file): \(problems.count) problem(s), nothing imported:"]
        lines += problems.prefix(50).map { "  \(place($0)): \($0.message)" }
        if problems.count > 50 { lines.append("  ... and \(problems.count - 50) more") }
        return lines.joined(separator: "\n")
    }
}

public enum RunImport {
    /// Required columns; `flops`, `name` and `task:NAME` (a task metric, e.g. `task:hellaswag`) are
    /// optional. Other CSV columns are ignored (JSON refuses other keys).
    public static let requiredColumns = ["params", "tokens", "loss"]
    /// Optional columns other than task metrics.
    public static let optionalColumns = ["flops", "name"]
    /// Prefix of task-metric columns.
    public static let taskPrefix = "task:"

    /// Parses and validates a whole CSV text. Throws `RunImportError` listing every bad field.
    public static func parse(_ text: String, file: String = "input") throws -> [ImportedRun] {
        let records: [CSV.Record]
        do { records = try CSV.parse(text) } catch let error as CSV.ParseError {
            if case let .unterminatedQuote(line) = error {
                throw RunImportError(file: file, problems: [.init(line: line, message: "a quoted field is never closed")])
            }
            throw error
        }
        guard let header = records.first else {
            throw RunImportError(file: file, problems: [.init(line: 1, column: 1, message: "the file is empty; expected a header with columns params,tokens,loss")])
        }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if let empty = columns.firstIndex(where: { $0 == Self.taskPrefix }) {
            throw RunImportError(file: file, problems: [.init(line: header.line, column: header.start(of: empty).column, message: "column '\(columns[empty])' needs a task name, e.g. task:hellaswag")])
        }
        var index: [String: Int] = [:]
        for (i, column) in columns.enumerated() {
            if let first = index[column] {
                throw RunImportError(file: file, problems: [.init(line: header.line, column: header.start(of: i).column, message: "column '\(column)' appears twice (columns \(first + 1) and \(i + 1)); each column may appear once")])
            }
            index[column] = i
        }
        let missing = requiredColumns.filter { index[$0] == nil }
        if !missing.isEmpty {
            throw RunImportError(file: file, problems: [.init(line: header.line, message: "missing required column(s) \(missing.joined(separator: ", ")) (header has: \(columns.joined(separator: ", ")))")])
        }
        var problems: [RunImportError.Problem] = []
        var runs: [ImportedRun] = []
        var nameColumns: [Int: Int] = [:]
        for record in records.dropFirst() {
            if record.fields.count != columns.count {
                problems.append(.init(line: record.line, message: "has \(record.fields.count) fields, the header has \(columns.count)"))
                continue
            }
            var row = RowCheck(line: record.line)
            /// A column's trimmed text and where it starts.
            func cell(_ column: String) -> (text: String, at: CSV.Position)? {
                index[column].map { (record.fields[$0].trimmingCharacters(in: .whitespaces), record.start(of: $0)) }
            }
            func number(_ column: String, required: Bool) -> Double? {
                guard let c = cell(column), !c.text.isEmpty else {
                    if required { row.fail(at: index[column].map(record.start(of:)), "\(column) is missing") }
                    return nil
                }
                guard let x = Double(c.text) else { row.fail(at: c.at, "\(column) '\(c.text)' is not a number"); return nil }
                return row.positive(column, x, shown: c.text, at: c.at)
            }
            let params = number("params", required: true)
            let tokens = number("tokens", required: true)
            let loss = number("loss", required: true)
            let flops = number("flops", required: false)
            var tasks: [String: Double] = [:]
            for column in columns where column.hasPrefix(Self.taskPrefix) {
                guard let c = cell(column), !c.text.isEmpty else { continue }
                if let x = Double(c.text), x.isFinite { tasks[String(column.dropFirst(Self.taskPrefix.count))] = x }
                else { row.fail(at: c.at, "\(column) '\(c.text)' is not a finite number") }
            }
            let name = cell("name").flatMap { $0.text.isEmpty ? nil : $0 }
            if let run = row.run(name: name?.text, nameAt: name?.at, params: params, tokens: tokens, loss: loss, flops: flops, tasks: tasks) {
                runs.append(run)
                nameColumns[run.line] = name?.at.column
            }
            problems += row.problems
        }
        problems += repeatedNames(runs, unit: "line") { nameColumns[$0.line] }
        if runs.isEmpty && problems.isEmpty {
            problems.append(.init(line: header.line, message: "the file has a header but no runs"))
        }
        if !problems.isEmpty {
            throw RunImportError(file: file, problems: problems.sorted { ($0.line, $0.column ?? 0) < ($1.line, $1.column ?? 0) })
        }
        return runs
    }

    /// Names given to two runs of one file.
    static func repeatedNames(_ runs: [ImportedRun], unit: String, column: (ImportedRun) -> Int?) -> [RunImportError.Problem] {
        var seen: [String: Int] = [:]
        var problems: [RunImportError.Problem] = []
        for run in runs {
            guard let name = run.name else { continue }
            if let first = seen[name] {
                problems.append(.init(line: run.line, column: column(run), key: "name", message: "name '\(name)' repeats \(unit) \(first)"))
            } else { seen[name] = run.line }
        }
        return problems
    }
}

/// The checks every row of a CSV or JSON file gets, collecting its problems.
struct RowCheck {
    var line: Int
    var problems: [RunImportError.Problem] = []

    mutating func fail(at position: CSV.Position?, key: String? = nil, _ message: String) {
        problems.append(.init(line: position?.line ?? line, column: position?.column, key: key, message: message))
    }

    /// `x` when positive and finite, else a problem.
    mutating func positive(_ column: String, _ x: Double, shown: String, at: CSV.Position?, key: String? = nil) -> Double? {
        guard x.isFinite, x > 0 else {
            fail(at: at, key: key, "\(column) must be a positive finite number, got \(shown)"); return nil
        }
        return x
    }

    /// The run, when the row had no problem: the name is safe and 6 N D (when no flops) is finite.
    mutating func run(name: String?, nameAt: CSV.Position?, params: Double?, tokens: Double?, loss: Double?,
                      flops: Double?, tasks: [String: Double]) -> ImportedRun? {
        if let name, let problem = SafeName.problem(name) {
            fail(at: nameAt, key: "name", "name '\(SafeName.printable(name))' \(problem) (\(SafeName.rule))")
        }
        guard problems.isEmpty, let params, let tokens, let loss else { return nil }
        let computed = flops ?? 6 * params * tokens
        guard computed.isFinite else {
            fail(at: nil, "flops = 6 x params x tokens overflows (params \(params), tokens \(tokens)); give a flops column or smaller values")
            return nil
        }
        return ImportedRun(line: line, name: name, params: params, tokens: tokens, loss: loss, flops: computed, tasks: tasks)
    }
}

extension ImportedRun {
    /// The stored form: a finished run whose final loss is `loss`.
    public func record(host: String? = nil, codeVersion: String? = nil) -> RunRecord {
        RunRecord(sweepId: 0, name: name, status: .done, params: params, tokens: tokens,
                  flops: flops, finalValLoss: loss, host: host, codeVersion: codeVersion)
    }
}
