import ConfigFiles
import XCTest

/// Inputs that aborted TOMLKit's parser (toml++ assertions, found by `.ci/fuzz`) or could exhaust
/// the stack: each is a syntax error naming its line, never a trap.
final class TOMLParserTests: XCTestCase {
    func syntaxError(_ text: String) -> String? {
        do { _ = try TOMLDocument(path: "h.toml", text: text); return nil } catch { return "\(error)" }
    }

    func testInputsThatAbortedTOMLKitAreErrors() {
        let cases: [(String, String)] = [
            ("[=\n", "h.toml:1:2: TOML syntax error: expected a key"),
            ("a = 1\n[ = ]\n", "h.toml:2:3: TOML syntax error: expected a key"),
            ("[[#\n", "h.toml:1:3: TOML syntax error: expected a key"),
            ("[ \n", "h.toml:1:3: TOML syntax error: expected a key"),
            ("[{\n", "h.toml:1:2: TOML syntax error: expected a key"),
            ("[[.x]]\n", "h.toml:1:3: TOML syntax error: expected a key"),
            ("[train]\nsave_at = [44, }20]\n", "h.toml:2:16: TOML syntax error: expected a value, found '}'"),
            ("x = [1, }2]\n", "h.toml:1:9: TOML syntax error: expected a value, found '}'"),
        ]
        for (text, prefix) in cases {
            let message = syntaxError(text)
            XCTAssertTrue(message?.hasPrefix(prefix) == true, "\(text.debugDescription): \(message ?? "accepted")")
        }
    }

    func testDeepNestingIsRefusedNotAStackOverflow() {
        let depth = 100_000
        for text in ["x = " + String(repeating: "[", count: depth),
                     "x = " + String(repeating: "{a=", count: depth),
                     "x = " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth),
                     String(repeating: "a.", count: depth) + "b = 1",
                     "[" + String(repeating: "a.", count: depth) + "b]"] {
            let message = syntaxError(text)
            XCTAssertTrue(message?.contains("more than 128") == true, message ?? "accepted")
        }
        XCTAssertNil(syntaxError("x = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100)))
    }

    func testTableRulesNameTheFirstDefinition() {
        XCTAssertEqual(syntaxError("[a]\nx = 1\n[a]\n"), "h.toml:3:1: TOML syntax error: the table [a] is defined twice (first defined on line 1)")
        XCTAssertEqual(syntaxError("a = 1\na = 2\n"), "h.toml:2:1: TOML syntax error: the key 'a' is defined twice (first defined on line 1)")
        XCTAssertEqual(syntaxError("a = [1]\n[[a]]\n"), "h.toml:2:1: TOML syntax error: 'a' is already a value (first defined on line 1); [[a]] cannot add to it")
        XCTAssertEqual(syntaxError("a = {b = 1}\na.c = 2\n"), "h.toml:2:1: TOML syntax error: 'a' is already a value (first defined on line 1); it cannot hold 'a.c'")
        XCTAssertEqual(syntaxError("x = 99999999999999999999\n"), "h.toml:1:5: TOML syntax error: the integer 99999999999999999999 is outside the 64-bit range")
    }

    func testValidDocumentsAreNotMistakenForBadHeaders() throws {
        let text = """
            # [= in a comment
            s = "[= in a string"
            m = \"\"\"
            [= in a multi-line string
            \"\"\"
            x = [
              {a = 1}, [1], +1,
            ]
            [ "quoted" ]
            [[grid.budget]]
            flops = 1e11
            """
        let table = try TOMLDocument(path: "ok.toml", text: text).table
        XCTAssertEqual(table["m"], .string("[= in a multi-line string\n"))
        XCTAssertEqual(table["x"]?.array?.count, 3)
        XCTAssertEqual(table["grid"]?.table?["budget"]?.array?.first?.table?["flops"], .float(1e11))
        XCTAssertEqual(table["grid"]?.table?["budget"]?.array?.first?.table?.line(of: "flops"), 11)
    }
}
