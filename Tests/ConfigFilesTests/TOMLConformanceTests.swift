import ConfigFiles
import Foundation
import XCTest

/// The TOML 1.0 cases of the toml-test suite (github.com/toml-lang/toml-test, MIT; copied to
/// `toml-test/`): every valid document must parse to the expected values, every invalid one must
/// be refused with a `TOMLSyntaxError` (or be invalid UTF-8), none may trap.
final class TOMLConformanceTests: XCTestCase {
    static let suite = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("toml-test")

    func files(_ kind: String) throws -> [URL] {
        let root = Self.suite.appendingPathComponent(kind)
        let all = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!.compactMap { $0 as? URL }
        return all.filter { $0.pathExtension == "toml" }.sorted { $0.path < $1.path }
    }

    func testValidDocumentsParseToTheExpectedValues() throws {
        let cases = try files("valid")
        XCTAssertGreaterThan(cases.count, 150)
        var failures: [String] = []
        for file in cases {
            let name = file.path.replacingOccurrences(of: Self.suite.path + "/", with: "")
            guard let text = String(validating: try Data(contentsOf: file), as: UTF8.self) else { failures.append("\(name): not UTF-8"); continue }
            let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: file.deletingPathExtension().appendingPathExtension("json")), options: [.fragmentsAllowed])
            do {
                let table = try TOMLTable(string: text)
                if let difference = Self.difference(.table(table), expected, at: "") { failures.append("\(name): \(difference)") }
            } catch {
                failures.append("\(name): refused: \(error)")
            }
        }
        XCTAssertEqual(failures, [], "\(failures.count) of \(cases.count) valid documents")
    }

    func testInvalidDocumentsAreRefused() throws {
        let cases = try files("invalid")
        XCTAssertGreaterThan(cases.count, 150)
        var accepted: [String] = []
        for file in cases {
            let name = file.path.replacingOccurrences(of: Self.suite.path + "/", with: "")
            guard let text = String(validating: try Data(contentsOf: file), as: UTF8.self) else { continue }
            do {
                _ = try TOMLTable(string: text)
                accepted.append(name)
            } catch is TOMLSyntaxError {
            } catch {
                XCTFail("\(name): not a TOMLSyntaxError: \(error)")
            }
        }
        XCTAssertEqual(accepted, [], "\(accepted.count) of \(cases.count) invalid documents accepted")
    }

    /// Where `value` differs from toml-test's tagged JSON (nil when equal).
    static func difference(_ value: TOMLValue, _ json: Any, at path: String) -> String? {
        if let tagged = json as? [String: Any], tagged.count == 2, let type = tagged["type"] as? String, let text = tagged["value"] as? String {
            switch (type, value) {
            case ("string", .string(let s)): return s == text ? nil : "\(path): \"\(s)\" != \"\(text)\""
            case ("integer", .integer(let i)): return Int64(text) == i ? nil : "\(path): \(i) != \(text)"
            case ("float", .float(let d)):
                let special: [String: Double] = ["inf": .infinity, "+inf": .infinity, "-inf": -.infinity, "nan": .nan, "+nan": .nan, "-nan": .nan]
                let want = special[text] ?? Double(text)
                guard let want else { return "\(path): bad expected float \(text)" }
                return (want == d || (want.isNaN && d.isNaN)) ? nil : "\(path): \(d) != \(text)"
            case ("bool", .bool(let b)): return String(b) == text ? nil : "\(path): \(b) != \(text)"
            case ("datetime", .datetime), ("datetime-local", .datetime), ("date-local", .datetime), ("time-local", .datetime): return nil
            default: return "\(path): \(value) is not a \(type)"
            }
        }
        if let object = json as? [String: Any] {
            guard let table = value.table else { return "\(path): \(value) is not a table" }
            guard Set(table.keys) == Set(object.keys) else { return "\(path): keys \(table.keys.sorted()) != \(object.keys.sorted())" }
            for key in table.keys {
                if let d = difference(table[key]!, object[key]!, at: path + "." + key) { return d }
            }
            return nil
        }
        if let array = json as? [Any] {
            guard let values = value.array, values.count == array.count else { return "\(path): \(value) is not an array of \(array.count)" }
            for (k, (v, j)) in zip(values, array).enumerated() {
                if let d = difference(v, j, at: path + "[\(k)]") { return d }
            }
            return nil
        }
        return "\(path): unexpected JSON \(json)"
    }
}
