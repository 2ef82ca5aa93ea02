import Foundation
import TOMLKit

/// A config file's problem, as "FILE:LINE: what is wrong and what is valid".
public struct TOMLDocumentError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Reads TOML config files into Codable values with errors that name the file, the key and its
/// line: syntax errors, unknown sections or keys (a typo must not silently fall back to a
/// default), and values of the wrong type.
public struct TOMLDocument {
    public let path: String
    public let text: String
    public let table: TOMLTable

    /// Parses `text` (read from `path`, which messages name).
    public init(path: String, text: String) throws {
        self.path = path
        self.text = text
        if let line = TOMLHeaderCheck.firstBadHeader(text) {
            throw TOMLDocumentError("\(path):\(line): TOML syntax error: a table header must start with a key, e.g. [train] or [[grid.budget]]")
        }
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw TOMLDocumentError("\(path):\(error.source.begin.line):\(error.source.begin.column): TOML syntax error: \(error.description)")
        }
    }

    /// Refuses keys outside `sections` (section name -> allowed keys). `required` sections must exist.
    public func checkKeys(sections: [String: [String]], required: [String]) throws {
        for key in table.keys {
            guard let allowed = sections[key] else {
                throw TOMLDocumentError("\(locate(section: nil, key: key)) unknown section '\(key)' (known: \(sections.keys.sorted().joined(separator: ", ")))")
            }
            guard let sub = table[key]?.table else {
                throw TOMLDocumentError("\(locate(section: nil, key: key)) '\(key)' must be a table ([\(key)])")
            }
            for inner in sub.keys where !allowed.contains(inner) {
                throw TOMLDocumentError("\(locate(section: key, key: inner)) unknown key '\(key).\(inner)' (known: \(allowed.joined(separator: ", ")))")
            }
        }
        for name in required where table[name] == nil {
            throw TOMLDocumentError("\(path): missing section [\(name)]")
        }
    }

    /// Refuses keys outside `schema` (table path -> allowed keys; "" is the top level, and an array
    /// of tables is checked against its own path, e.g. "grid.budget").
    public func checkKeys(schema: [String: [String]], required: [String]) throws {
        func walk(_ table: TOMLTable, path: String) throws {
            let allowed = schema[path] ?? []
            for key in table.keys {
                let full = path.isEmpty ? key : path + "." + key
                guard allowed.contains(key) else {
                    throw TOMLDocumentError("\(locate(section: path.isEmpty ? nil : path, key: key)) unknown key '\(full)' (known\(path.isEmpty ? "" : " in [\(path)]"): \(allowed.joined(separator: ", ")))")
                }
                if let sub = table[key]?.table, schema[full] != nil {
                    try walk(sub, path: full)
                } else if let array = table[key]?.array, schema[full] != nil {
                    for element in array {
                        guard let sub = element.table else {
                            throw TOMLDocumentError("\(self.path): '\(full)' must be an array of tables ([[\(full)]])")
                        }
                        try walk(sub, path: full)
                    }
                } else if schema[full] != nil {
                    throw TOMLDocumentError("\(locate(section: path.isEmpty ? nil : path, key: key)) '\(full)' must be a table ([\(full)])")
                }
            }
        }
        try walk(table, path: "")
        for name in required where table[name] == nil {
            throw TOMLDocumentError("\(self.path): missing '\(name)'")
        }
    }

    /// Decodes the whole file as `T` with `TOMLValueDecoder`; errors name the file, the line and
    /// the key ("Sweeps/x.toml:12: key 'train.steps' must be an integer, got 1.5").
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try T(from: TOMLValueDecoder(table))
        } catch let DecodingError.keyNotFound(key, context) {
            let full = context.codingPath + [key]
            throw TOMLDocumentError("\(located(context.codingPath)) missing key '\(dotted(full))'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw TOMLDocumentError("\(located(context.codingPath)) key '\(dotted(context.codingPath))' \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) {
            throw TOMLDocumentError("\(located(context.codingPath)) bad value for '\(dotted(context.codingPath))': \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw TOMLDocumentError("\(located(context.codingPath)) missing value for '\(dotted(context.codingPath))': \(context.debugDescription)")
        }
    }

    /// "train.steps", "grid.budget[2].flops", "plan.flops[1]" (array positions 1-based).
    private func dotted(_ path: [CodingKey]) -> String {
        var text = ""
        for key in path {
            if let i = key.intValue, key is TOMLValueDecoder.Index { text += "[\(i + 1)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text
    }

    /// "FILE:LINE:" of the last named key of `codingPath` (array positions pick the table's occurrence).
    private func located(_ codingPath: [CodingKey]) -> String {
        var names: [String] = []
        var occurrence = 0
        for (position, key) in codingPath.enumerated() {
            if key is TOMLValueDecoder.Index {
                // an array of tables ([[grid.budget]]): the index picks which table; an index at
                // the end is an element of the key's own array, on the key's line
                if position < codingPath.count - 1,
                   names.count == codingPath.prefix(while: { !($0 is TOMLValueDecoder.Index) }).count { occurrence = key.intValue! }
                continue
            }
            names.append(key.stringValue)
        }
        guard let key = names.last else { return "\(path):" }
        return locate(section: names.count > 1 ? names.dropLast().joined(separator: ".") : nil, key: key, occurrence: occurrence)
    }

    /// "FILE:LINE:" for a key inside a [section] (or at top level), found by scanning the text;
    /// `occurrence` picks the n-th (0-based) `[[section]]` of an array of tables.
    public func locate(section: String?, key: String, occurrence: Int = 0) -> String {
        var current: String? = nil
        var seen: [String: Int] = [:]
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                let name = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] \t"))
                current = name
                seen[name, default: -1] += 1
                if section == nil && name == key { return "\(path):\(i + 1):" }
                continue
            }
            if current == section, section == nil || seen[section!] == occurrence,
               line.hasPrefix(key), line.dropFirst(key.count).trimmingCharacters(in: .whitespaces).hasPrefix("=") {
                return "\(path):\(i + 1):"
            }
            // a dotted key at top level or in a parent table, e.g. `train.steps = 1.5`
            if let section, current == nil || section.hasPrefix(current! + "."),
               line.hasPrefix(section.dropFirst(current.map { $0.count + 1 } ?? 0) + "." + key),
               line.dropFirst(section.count - (current.map { $0.count + 1 } ?? 0) + 1 + key.count).trimmingCharacters(in: .whitespaces).hasPrefix("=") {
                return "\(path):\(i + 1):"
            }
        }
        return "\(path):"
    }
}
