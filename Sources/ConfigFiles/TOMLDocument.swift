import Foundation

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
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLSyntaxError {
            throw TOMLDocumentError("\(path):\(error.line):\(error.column): TOML syntax error: \(error.message)")
        }
    }

    /// Refuses keys outside `sections` (section name -> allowed keys). `required` sections must exist.
    public func checkKeys(sections: [String: [String]], required: [String]) throws {
        for key in table.keys {
            guard let allowed = sections[key] else {
                throw TOMLDocumentError("\(at(table, key)) unknown section '\(key)' (known: \(sections.keys.sorted().joined(separator: ", ")))")
            }
            guard let sub = table[key]?.table else {
                throw TOMLDocumentError("\(at(table, key)) '\(key)' must be a table ([\(key)])")
            }
            for inner in sub.keys where !allowed.contains(inner) {
                throw TOMLDocumentError("\(at(sub, inner)) unknown key '\(key).\(inner)' (known: \(allowed.joined(separator: ", ")))")
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
                    throw TOMLDocumentError("\(at(table, key)) unknown key '\(full)' (known\(path.isEmpty ? "" : " in [\(path)]"): \(allowed.joined(separator: ", ")))")
                }
                if let sub = table[key]?.table, schema[full] != nil {
                    try walk(sub, path: full)
                } else if let array = table[key]?.array, schema[full] != nil {
                    for element in array {
                        guard let sub = element.table else {
                            throw TOMLDocumentError("\(at(table, key)) '\(full)' must be an array of tables ([[\(full)]])")
                        }
                        try walk(sub, path: full)
                    }
                } else if schema[full] != nil {
                    throw TOMLDocumentError("\(at(table, key)) '\(full)' must be a table ([\(full)])")
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
            return try T(from: TOMLValueDecoder(.table(table)))
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

    /// "FILE:LINE:" of the deepest key of `codingPath` (array positions pick the element; an
    /// element of a plain array is on its key's line).
    private func located(_ codingPath: [CodingKey]) -> String {
        var value = TOMLValue.table(table)
        var line: Int?
        for key in codingPath {
            if key is TOMLValueDecoder.Index, let array = value.array, let i = key.intValue, array.indices.contains(i) {
                value = array[i]
            } else if let t = value.table, let v = t[key.stringValue] {
                line = t.line(of: key.stringValue) ?? line
                value = v
            } else {
                break
            }
        }
        return line.map { "\(path):\($0):" } ?? "\(path):"
    }

    /// "FILE:LINE:" of `key` in `table` ("FILE:" when it has no line).
    private func at(_ table: TOMLTable, _ key: String) -> String {
        table.line(of: key).map { "\(path):\($0):" } ?? "\(path):"
    }
}
