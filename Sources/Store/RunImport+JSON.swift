import Foundation

/// JSON import: an array of objects with the CSV's column names as keys (`params`, `tokens`,
/// `loss`, optional `flops`, `name`, `task:NAME`). Numbers must be JSON numbers (finite), `name` a
/// string; `null` leaves an optional key empty. Unknown keys are refused, not ignored.
extension RunImport {
    public static func parseJSON(_ data: Data, file: String = "input") throws -> [ImportedRun] {
        func refuse(_ message: String) -> RunImportError {
            RunImportError(file: file, problems: [.init(line: -1, message: message)], format: .json)
        }
        let elements: [JSONElement]
        do {
            elements = try JSONDecoder().decode([JSONElement].self, from: data)
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw refuse("expected a JSON array of objects, one per run, e.g. [{\"params\": 1e7, \"tokens\": 2e8, \"loss\": 3.5}]")
        } catch DecodingError.dataCorrupted(let context) {
            let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            throw refuse("not valid JSON" + (detail.map { ": \($0)" } ?? ""))
        } catch {
            throw refuse("not valid JSON: \(error)")
        }
        var problems: [RunImportError.Problem] = []
        var runs: [ImportedRun] = []
        for (i, element) in elements.enumerated() {
            guard case let .object(pairs) = element else {
                problems.append(.init(line: i, message: "expected an object with keys params, tokens, loss (optional flops, name, task:NAME), got \(element.kind)"))
                continue
            }
            var row = RowCheck(line: i)
            var cells: [String: JSONCell] = [:]
            for (rawKey, cell) in pairs {
                let key = rawKey.lowercased()
                if cells[key] != nil {
                    row.fail(at: nil, key: rawKey, "key '\(key)' appears twice (keys are case-insensitive)"); continue
                }
                guard requiredColumns.contains(key) || optionalColumns.contains(key)
                        || (key.hasPrefix(taskPrefix) && key.count > taskPrefix.count) else {
                    let hint = key == taskPrefix ? "needs a task name, e.g. task:hellaswag" : "is not a known key"
                    row.fail(at: nil, key: rawKey, "'\(SafeName.printable(rawKey))' \(hint) (valid keys: params, tokens, loss, flops, name, task:NAME)")
                    continue
                }
                cells[key] = cell
            }
            func number(_ key: String, required: Bool) -> Double? {
                switch cells[key] {
                case nil, .null?:
                    if required { row.fail(at: nil, key: key, "\(key) is missing") }
                    return nil
                case let .number(x)?:
                    return row.positive(key, x, shown: "\(x)", at: nil, key: key)
                case let cell?:
                    row.fail(at: nil, key: key, "\(key) must be a positive finite number, got \(cell.kind)"); return nil
                }
            }
            let params = number("params", required: true)
            let tokens = number("tokens", required: true)
            let loss = number("loss", required: true)
            let flops = number("flops", required: false)
            var tasks: [String: Double] = [:]
            for (key, cell) in cells.sorted(by: { $0.key < $1.key }) where key.hasPrefix(taskPrefix) {
                switch cell {
                case .null: continue
                case let .number(x) where x.isFinite: tasks[String(key.dropFirst(taskPrefix.count))] = x
                default: row.fail(at: nil, key: key, "\(key) must be a finite number, got \(cell.kind)")
                }
            }
            var name: String?
            switch cells["name"] {
            case nil, .null?: break
            case let .string(s)?: name = s.isEmpty ? nil : s
            case let cell?: row.fail(at: nil, key: "name", "name must be a string, got \(cell.kind)")
            }
            if let run = row.run(name: name, nameAt: nil, params: params, tokens: tokens, loss: loss, flops: flops, tasks: tasks) {
                runs.append(run)
            }
            problems += row.problems
        }
        problems += repeatedNames(runs, unit: "element") { _ in nil }
        if elements.isEmpty { problems.append(.init(line: -1, message: "the array is empty: no runs")) }
        if !problems.isEmpty {
            throw RunImportError(file: file, problems: problems.sorted { $0.line < $1.line }, format: .json)
        }
        return runs
    }
}

/// One JSON value as read, so a wrong type is reported rather than thrown.
enum JSONCell: Decodable, Equatable {
    case number(Double), string(String), bool(Bool), null, nonFinite, array, object

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let x = try? c.decode(Double.self) { self = .number(x); return }
        if (try? decoder.unkeyedContainer()) != nil { self = .array; return }
        if (try? decoder.container(keyedBy: JSONElement.Key.self)) != nil { self = .object; return }
        // A number the decoder refuses as a Double (e.g. 1e400): not finite.
        self = .nonFinite
    }

    var kind: String {
        switch self {
        case let .number(x): return "\(x)"
        case let .string(s): return "a string (\"\(SafeName.printable(String(s.prefix(40))))\")"
        case let .bool(b): return "\(b)"
        case .null: return "null"
        case .nonFinite: return "a number too large for a Double"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// An element of the top-level array: an object (its keys in file order when known) or another value.
enum JSONElement: Decodable {
    case object([(String, JSONCell)])
    case other(JSONCell)

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: Key.self) {
            self = .object(try keyed.allKeys.map { ($0.stringValue, try keyed.decode(JSONCell.self, forKey: $0)) })
        } else {
            self = .other(try JSONCell(from: decoder))
        }
    }

    var kind: String {
        switch self {
        case .object: return "an object"
        case let .other(cell): return cell.kind
        }
    }
}
