import Store
import XCTest

final class CSVImportTests: XCTestCase {
    func testGoodFileWithOptionalColumns() throws {
        let text = [
            "name,params,tokens,loss,flops,notes",
            #"a,1e7,2e8,3.5,,"small, first""#,
            #""b ""big""",1e8,2e9,3.0,1.5e18,x"# + "\r",
            ",5e7,1e9,3.2,,",
            "",
        ].joined(separator: "\n")
        let runs = try RunImport.parse(text, file: "t.csv")
        XCTAssertEqual(runs.count, 3)
        XCTAssertEqual(runs[0].name, "a")
        XCTAssertEqual(runs[0].flops, 6 * 1e7 * 2e8)
        XCTAssertEqual(runs[1].name, #"b "big""#)
        XCTAssertEqual(runs[1].flops, 1.5e18)
        XCTAssertNil(runs[2].name)
        XCTAssertEqual(runs.map(\.line), [2, 3, 4])
    }

    func testBadRowsAreAllReportedWithLineNumbers() {
        let text = """
            params,tokens,loss
            1e7,2e8,3.5
            ,2e8,3.5
            1e7,abc,3.5
            1e7,2e8,-1
            nan,2e8,3
            1e7,2e8
            1e7,inf,3
            """
        XCTAssertThrowsError(try RunImport.parse(text, file: "bad.csv")) { error in
            guard let e = error as? RunImportError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.problems.map(\.line), [3, 4, 5, 6, 7, 8])
            let message = "\(e)"
            XCTAssertTrue(message.contains("bad.csv:3:1: params is missing"), message)
            XCTAssertTrue(message.contains("bad.csv:4:5: tokens 'abc' is not a number"), message)
            XCTAssertTrue(message.contains("bad.csv:5:9: loss must be a positive"), message)
            XCTAssertTrue(message.contains("bad.csv:7: has 2 fields"), message)
            XCTAssertTrue(message.contains("nothing imported"), message)
        }
    }

    func testMissingColumnsEmptyFileAndRepeatedNames() {
        XCTAssertThrowsError(try RunImport.parse("params,loss\n1,2\n")) { error in
            XCTAssertTrue("\(error)".contains("missing required column(s) tokens"), "\(error)")
        }
        XCTAssertThrowsError(try RunImport.parse("")) { error in
            XCTAssertTrue("\(error)".contains("empty"), "\(error)")
        }
        XCTAssertThrowsError(try RunImport.parse("params,tokens,loss\n")) { error in
            XCTAssertTrue("\(error)".contains("no runs"), "\(error)")
        }
        XCTAssertThrowsError(try RunImport.parse("name,params,tokens,loss\nx,1,2,3\nx,1,2,3\n")) { error in
            XCTAssertTrue("\(error)".contains("input:3:1: name 'x' repeats line 2"), "\(error)")
        }
        XCTAssertThrowsError(try RunImport.parse("params,tokens,loss\n\"1,2,3\n")) { error in
            XCTAssertTrue("\(error)".contains("never closed"), "\(error)")
        }
    }

    func testExportedCSVImportsBack() throws {
        let store = try ResultStore.inMemory()
        let runs = try RunImport.parse("name,params,tokens,loss\nr1,1e7,2e8,3.5\nr2,2e7,4e8,3.25\n")
        try store.insertRuns(runs.map { $0.record() }, intoSweep: "s")
        let csv = RunExport.csv(try store.runs().map(ExportedRun.init))
        let back = try RunImport.parse(csv)
        XCTAssertEqual(back.map(\.params), [1e7, 2e7])
        XCTAssertEqual(back.map(\.loss), [3.5, 3.25])
        XCTAssertEqual(back.map(\.name), ["r1", "r2"])
    }
}
