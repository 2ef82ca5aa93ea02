import ConfigFiles
import Sweeps
import Training
import XCTest

/// Class 11 of issue #19: a value of the wrong type names the file, the line and the key.
final class TOMLDocumentTests: XCTestCase {
    let base = "[model]\nseq_len = 8\nd_model = 8\nn_layer = 1\nn_head = 1\n[data]\npath = \"c.txt\"\n[train]\nbatch = 2\n"

    func message(_ text: String) -> String {
        do {
            _ = try TOMLDocument(path: "t.toml", text: text).decode(TrainConfig.self)
            return "decoded"
        } catch { return "\(error)" }
    }

    func testTypeErrorsNameLineKeyAndValue() {
        XCTAssertEqual(message(base + "steps = 1.5\n"), "t.toml:10: key 'train.steps' must be an integer, got 1.5")
        XCTAssertEqual(message(base + "lr = true\n"), "t.toml:10: key 'train.lr' must be a number, got true")
        XCTAssertEqual(message(base + "eps = inf\n"), "t.toml:10: key 'train.eps' must be a finite number, got inf")
        XCTAssertEqual(message(base + "seed = -1\n"), "t.toml:10: key 'train.seed' must be an integer in 0...18446744073709551615, got -1")
        XCTAssertEqual(message(base + "save_at = [10, 2.5]\n"), "t.toml:10: key 'train.save_at[2]' must be an integer, got 2.5")
        XCTAssertEqual(message(base.replacingOccurrences(of: "d_model = 8", with: "d_model = \"8\"")), "t.toml:3: key 'model.d_model' must be an integer, got the string \"8\"")
        XCTAssertEqual(message(base + "lr = 1\n"), "decoded", "integers read as floats")
    }

    func testArraysOfTablesPointAtTheRightTable() throws {
        let text = """
            name = "s"
            [data]
            path = "c.txt"
            [grid]
            seeds = [1]
            [[grid.budget]]
            flops = 1e11
            sizes = 2
            min_params = 2e4
            max_params = 1e5
            [[grid.budget]]
            flops = 1e12
            sizes = "two"
            min_params = 2e4
            max_params = 1e5
            """
        XCTAssertThrowsError(try TOMLDocument(path: "s.toml", text: text).decode(SweepSpec.self)) { error in
            XCTAssertEqual("\(error)", "s.toml:13: key 'grid.budget[2].sizes' must be an integer, got the string \"two\"")
        }
    }

    func testSyntaxErrorsNameTheLine() {
        XCTAssertThrowsError(try TOMLDocument(path: "x.toml", text: "a = 1\nb = = 2\n")) { error in
            XCTAssertTrue("\(error)".hasPrefix("x.toml:2:"), "\(error)")
        }
    }
}
