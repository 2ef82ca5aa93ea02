import ArgumentParser
import Foundation
import TOMLKit

/// Reads TOML config files into Codable values with errors that name the file, the key and its
/// line: syntax errors, unknown sections or keys (a typo must not silently fall back to a
/// default), and values of the wrong type.
struct ConfigFile {
    let path: String
    let text: String
    let table: TOMLTable

    init(path: String) throws {
        self.path = path
        text = try readText(path)
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ValidationError("\(path):\(error.source.begin.line):\(error.source.begin.column): TOML syntax error: \(error.description)")
        }
    }

    /// Refuses keys outside `sections` (section name -> allowed keys). `required` sections must exist.
    func checkKeys(sections: [String: [String]], required: [String]) throws {
        for key in table.keys {
            guard let allowed = sections[key] else {
                throw ValidationError("\(locate(section: nil, key: key)) unknown section '\(key)' (known: \(sections.keys.sorted().joined(separator: ", ")))")
            }
            guard let sub = table[key]?.table else {
                throw ValidationError("\(locate(section: nil, key: key)) '\(key)' must be a table ([\(key)])")
            }
            for inner in sub.keys where !allowed.contains(inner) {
                throw ValidationError("\(locate(section: key, key: inner)) unknown key '\(key).\(inner)' (known: \(allowed.joined(separator: ", ")))")
            }
        }
        for name in required where table[name] == nil {
            throw ValidationError("\(path): missing section [\(name)]")
        }
    }

    /// Refuses keys outside `schema` (table path -> allowed keys; "" is the top level, and an array
    /// of tables is checked against its own path, e.g. "grid.budget").
    func checkKeys(schema: [String: [String]], required: [String]) throws {
        func walk(_ table: TOMLTable, path: String) throws {
            let allowed = schema[path] ?? []
            for key in table.keys {
                let full = path.isEmpty ? key : path + "." + key
                guard allowed.contains(key) else {
                    throw ValidationError("\(locate(section: path.isEmpty ? nil : path, key: key)) unknown key '\(full)' (known\(path.isEmpty ? "" : " in [\(path)]"): \(allowed.joined(separator: ", ")))")
                }
                if let sub = table[key]?.table, schema[full] != nil {
                    try walk(sub, path: full)
                } else if let array = table[key]?.array, schema[full] != nil {
                    for element in array {
                        guard let sub = element.table else {
                            throw ValidationError("\(self.path): '\(full)' must be an array of tables ([[\(full)]])")
                        }
                        try walk(sub, path: full)
                    }
                } else if schema[full] != nil {
                    throw ValidationError("\(locate(section: path.isEmpty ? nil : path, key: key)) '\(full)' must be a table ([\(full)])")
                }
            }
        }
        try walk(table, path: "")
        for name in required where table[name] == nil {
            throw ValidationError("\(self.path): missing '\(name)'")
        }
    }

    /// Decodes the whole file as `T` (through JSON, so integers read as floats where wanted).
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let json = table.convert(to: .json)
        do {
            return try JSONDecoder().decode(T.self, from: Data(json.utf8))
        } catch let DecodingError.keyNotFound(key, context) {
            let section = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ValidationError("\(path): missing key '\(section.isEmpty ? "" : section + ".")\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            throw ValidationError("\(located(context.codingPath)) bad value for '\(dotted(context.codingPath))': \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw ValidationError("\(located(context.codingPath)) missing value for '\(dotted(context.codingPath))'")
        }
    }

    private func dotted(_ path: [CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }

    private func located(_ codingPath: [CodingKey]) -> String {
        let parts = codingPath.map(\.stringValue)
        guard let key = parts.last else { return "\(path):" }
        return locate(section: parts.count > 1 ? parts.dropLast().joined(separator: ".") : nil, key: key)
    }

    /// "FILE:LINE:" for a key inside a [section] (or at top level), found by scanning the text.
    func locate(section: String?, key: String) -> String {
        var current: String? = nil
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                let name = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] \t"))
                current = name
                if section == nil && name == key { return "\(path):\(i + 1):" }
                continue
            }
            if current == section, line.hasPrefix(key),
               line.dropFirst(key.count).trimmingCharacters(in: .whitespaces).hasPrefix("=") {
                return "\(path):\(i + 1):"
            }
        }
        return "\(path):"
    }
}
