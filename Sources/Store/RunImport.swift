import Foundation

/// A finished run read from a CSV file: the unit `ladder import` and `ladder fit --from` share.
public struct ImportedRun: Equatable, Sendable {
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
    /// Task metrics from `task:NAME` columns (a run may leave a cell empty).
    public var tasks: [String: Double] = [:]
}

/// Every problem found in a CSV file, each with its line number. Nothing is imported from a file
/// that has any.
public struct RunImportError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var problems: [Problem]
    public struct Problem: Equatable, Sendable {
        public var line: Int
        public var message: String
    }
    public var description: String {
        var lines = ["\(file): \(problems.count) problem(s), nothing imported:"]
        lines += problems.prefix(50).map { "  line \($0.line): \($0.message)" }
        if problems.count > 50 { lines.append("  ... and \(problems.count - 50) more") }
        return lines.joined(separator: "\n")
    }
}

public enum RunImport {
    /// Required columns; `flops`, `name` and `task:NAME` (a task metric, e.g. `task:hellaswag`) are
    /// optional. Other columns are ignored.
    public static let requiredColumns = ["params", "tokens", "loss"]
    /// Prefix of task-metric columns.
    public static let taskPrefix = "task:"

    /// Parses and validates a whole CSV text. Throws `RunImportError` listing every bad line.
    public static func parse(_ text: String, file: String = "input") throws -> [ImportedRun] {
        let records: [CSV.Record]
        do { records = try CSV.parse(text) } catch let error as CSV.ParseError {
            if case let .unterminatedQuote(line) = error {
                throw RunImportError(file: file, problems: [.init(line: line, message: "a quoted field is never closed")])
            }
            throw error
        }
        guard let header = records.first else {
            throw RunImportError(file: file, problems: [.init(line: 1, message: "the file is empty; expected a header with columns params,tokens,loss")])
        }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if let empty = columns.first(where: { $0 == Self.taskPrefix }) {
            throw RunImportError(file: file, problems: [.init(line: header.line, message: "column '\(empty)' needs a task name, e.g. task:hellaswag")])
        }
        var index: [String: Int] = [:]
        for (i, column) in columns.enumerated() {
            if let first = index[column] {
                throw RunImportError(file: file, problems: [.init(line: header.line, message: "column '\(column)' appears twice (columns \(first + 1) and \(i + 1)); each column may appear once")])
            }
            index[column] = i
        }
        let missing = requiredColumns.filter { index[$0] == nil }
        if !missing.isEmpty {
            throw RunImportError(file: file, problems: [.init(line: header.line, message: "missing required column(s) \(missing.joined(separator: ", ")) (header has: \(columns.joined(separator: ", ")))")])
        }
        var problems: [RunImportError.Problem] = []
        var runs: [ImportedRun] = []
        for record in records.dropFirst() {
            if record.fields.count != columns.count {
                problems.append(.init(line: record.line, message: "has \(record.fields.count) fields, the header has \(columns.count)"))
                continue
            }
            func value(_ column: String) -> String? {
                index[column].map { record.fields[$0].trimmingCharacters(in: .whitespaces) }
            }
            var lineProblems: [String] = []
            func number(_ column: String, required: Bool) -> Double? {
                guard let text = value(column), !text.isEmpty else {
                    if required { lineProblems.append("\(column) is missing") }
                    return nil
                }
                guard let x = Double(text) else {
                    lineProblems.append("\(column) '\(text)' is not a number"); return nil
                }
                guard x.isFinite, x > 0 else {
                    lineProblems.append("\(column) must be a positive finite number, got \(text)"); return nil
                }
                return x
            }
            let params = number("params", required: true)
            let tokens = number("tokens", required: true)
            let loss = number("loss", required: true)
            let flops = number("flops", required: false)
            var tasks: [String: Double] = [:]
            for column in columns where column.hasPrefix(Self.taskPrefix) {
                guard let text = value(column), !text.isEmpty else { continue }
                if let x = Double(text), x.isFinite { tasks[String(column.dropFirst(Self.taskPrefix.count))] = x }
                else { lineProblems.append("\(column) '\(text)' is not a finite number") }
            }
            if !lineProblems.isEmpty {
                problems.append(.init(line: record.line, message: lineProblems.joined(separator: "; ")))
                continue
            }
            let name = value("name").flatMap { $0.isEmpty ? nil : $0 }
            if let name, let problem = SafeName.problem(name) {
                problems.append(.init(line: record.line, message: "name '\(SafeName.printable(name))' \(problem) (\(SafeName.rule))"))
                continue
            }
            let computed = flops ?? 6 * params! * tokens!
            guard computed.isFinite else {
                problems.append(.init(line: record.line, message: "flops = 6 x params x tokens overflows (params \(params!), tokens \(tokens!)); give a flops column or smaller values"))
                continue
            }
            runs.append(ImportedRun(line: record.line, name: name, params: params!, tokens: tokens!,
                                    loss: loss!, flops: computed, tasks: tasks))
        }
        var seen: [String: Int] = [:]
        for run in runs {
            guard let name = run.name else { continue }
            if let first = seen[name] {
                problems.append(.init(line: run.line, message: "name '\(name)' repeats line \(first)"))
            } else { seen[name] = run.line }
        }
        if runs.isEmpty && problems.isEmpty {
            problems.append(.init(line: header.line, message: "the file has a header but no runs"))
        }
        if !problems.isEmpty {
            throw RunImportError(file: file, problems: problems.sorted { $0.line < $1.line })
        }
        return runs
    }
}

extension ImportedRun {
    /// The stored form: a finished run whose final loss is `loss`.
    public func record(host: String? = nil, codeVersion: String? = nil) -> RunRecord {
        RunRecord(sweepId: 0, name: name, status: .done, params: params, tokens: tokens,
                  flops: flops, finalValLoss: loss, host: host, codeVersion: codeVersion)
    }
}
