import Foundation
import Store
import XCTest

/// `ladder import` stores runs' task metrics with them (one transaction), refuses a bad file whole
/// with FILE:LINE:COLUMN, and reads JSON arrays; fits read each run's last stored value.
final class TaskMetricImportTests: XCTestCase {
    let csv = "name,params,tokens,loss,task:ACC,task:mmlu\na,1e7,2e8,3.5,0.31,\nb,2e7,4e8,3.2,0.42,0.27\nc,4e7,8e8,3.0,,\n"

    func testImportStoresTaskMetricsWithTheRunsAtStepZero() throws {
        let store = try ResultStore.inMemory()
        let runs = try RunImport.parse(csv, file: "t.csv")
        XCTAssertEqual(runs.map(\.tasks), [["acc": 0.31], ["acc": 0.42, "mmlu": 0.27], [:]])
        let stored = try store.importRuns(runs, intoSweep: "paper", file: "t.csv")
        XCTAssertEqual(stored.count, 3)
        let points = try store.taskMetrics(runId: stored[1].id!)
        XCTAssertEqual(points.map(\.name), ["acc", "mmlu"])
        XCTAssertEqual(points.map(\.value), [0.42, 0.27])
        XCTAssertEqual(points.map(\.step), [0, 0])
        XCTAssertEqual(try store.taskMetrics(runId: stored[2].id!), [])
        let ids = stored.map { $0.id! }
        XCTAssertEqual(try store.finalTaskMetrics(named: "ACC", runIds: ids), [ids[0]: 0.31, ids[1]: 0.42])
        XCTAssertEqual(try store.finalTaskMetrics(named: "mmlu", runIds: [ids[0], ids[2]]), [:], "only the runs asked for")
        XCTAssertEqual(try store.taskMetricNames(runIds: ids), ["acc", "mmlu"])
    }

    func testABadTaskValueRefusesTheFileNamingLineAndColumn() throws {
        let store = try ResultStore.inMemory()
        let bad = "name,params,tokens,loss,task:acc\na,1e7,2e8,3.5,0.3\nb,2e7,4e8,3.2,inf\nc,4e7,abc,3.0,x\n"
        XCTAssertThrowsError(try RunImport.parse(bad, file: "bad.csv")) { error in
            let e = error as! RunImportError
            let text = "\(e)"
            XCTAssertTrue(text.contains("bad.csv:3:15: task:acc 'inf' is not a finite number"), text)
            XCTAssertTrue(text.contains("bad.csv:4:7: tokens 'abc' is not a number"), text)
            XCTAssertTrue(text.contains("bad.csv:4:15: task:acc 'x' is not a finite number"), text)
            XCTAssertEqual(e.problems.map(\.line), [3, 4, 4])
        }
        XCTAssertEqual(try store.runCount(), 0)
    }

    func testANameTheSweepHasRefusesTheWholeFileAndStoresNothing() throws {
        let store = try ResultStore.inMemory()
        try store.importRuns(try RunImport.parse("name,params,tokens,loss,task:acc\nb,1e7,2e8,3.5,0.5\n"), intoSweep: "paper", file: "first.csv")
        let runs = try RunImport.parse(csv, file: "t.csv")
        XCTAssertThrowsError(try store.importRuns(runs, intoSweep: "paper", file: "t.csv")) { error in
            XCTAssertTrue("\(error)".contains("t.csv:3: sweep 'paper' already has a run named 'b'"), "\(error)")
        }
        XCTAssertEqual(try store.runCount(), 1)
        let ids = try store.runs().compactMap(\.run.id)
        XCTAssertEqual(try store.finalTaskMetrics(named: "acc", runIds: ids).values.sorted(), [0.5], "the refused file's metrics were not stored")
        XCTAssertEqual(try store.taskMetricNames(runIds: ids + [ids[0] + 1, ids[0] + 2]), ["acc"])
    }

    func testFitsReadEachRunsLastValueCaseInsensitively() throws {
        let store = try ResultStore.inMemory()
        let runs = try store.insertRuns([RunRecord(sweepId: 0, name: "r", status: .done, params: 1e6, tokens: 1e7, flops: 6e13, finalValLoss: 3)], intoSweep: "s")
        let id = runs[0].id!
        try store.appendTaskMetrics([TaskMetricRecord(runId: id, step: 10, name: "HellaSwag", value: 0.25),
                                     TaskMetricRecord(runId: id, step: 30, name: "HellaSwag", value: 0.31),
                                     TaskMetricRecord(runId: id, step: 20, name: "HellaSwag", value: 0.29),
                                     TaskMetricRecord(runId: id, step: 40, name: "other", value: 9)])
        XCTAssertEqual(try store.finalTaskMetrics(named: "hellaswag", runIds: [id]), [id: 0.31])
    }

    func testCSVFieldPositions() throws {
        let records = try CSV.parse("a,bb,\"c\nc\",d\r\nx,,y\n")
        XCTAssertEqual(records[0].starts, [.init(line: 1, column: 1), .init(line: 1, column: 3), .init(line: 1, column: 6), .init(line: 2, column: 4)])
        XCTAssertEqual(records[1].line, 3)
        XCTAssertEqual(records[1].starts.map(\.column), [1, 3, 4])
    }

    // JSON import

    func testJSONImportReadsTheSameKeysAsTheCSV() throws {
        let text = """
            [{"name": "a", "params": 1e7, "tokens": 2e8, "loss": 3.5, "task:acc": 0.31, "flops": null},
             {"Params": 2e7, "tokens": 4e8, "loss": 3.2, "flops": 5e16, "task:acc": null, "name": null}]
            """
        let runs = try RunImport.parseJSON(Data(text.utf8), file: "r.json")
        XCTAssertEqual(runs.count, 2)
        XCTAssertEqual(runs[0], ImportedRun(line: 0, name: "a", params: 1e7, tokens: 2e8, loss: 3.5, flops: 6 * 1e7 * 2e8, tasks: ["acc": 0.31]))
        XCTAssertEqual(runs[1], ImportedRun(line: 1, name: nil, params: 2e7, tokens: 4e8, loss: 3.2, flops: 5e16, tasks: [:]))
    }

    func testJSONRefusesNonFiniteNumbersUnknownKeysAndWrongTypesNamingElementAndKey() throws {
        let text = """
            [{"params": 1e7, "tokens": 2e8, "loss": 3.5},
             {"params": 1e400, "tokens": 2e8, "loss": 3.5},
             {"params": 1e7, "tokens": "2e8", "loss": true, "epochs": 3},
             {"params": 1e7, "tokens": 2e8, "loss": -1, "task:acc": "high", "name": 7},
             [1, 2],
             {"tokens": 2e8, "loss": 3, "task:": 1}]
            """
        XCTAssertThrowsError(try RunImport.parseJSON(Data(text.utf8), file: "bad.json")) { error in
            let e = error as! RunImportError
            let m = "\(e)"
            for expected in ["bad.json: 10 problem(s), nothing imported",
                             #"bad.json: element 1, key "params": params must be a positive finite number, got a number too large for a Double"#,
                             #"bad.json: element 2, key "tokens": tokens must be a positive finite number, got a string ("2e8")"#,
                             #"bad.json: element 2, key "loss": loss must be a positive finite number, got true"#,
                             #"bad.json: element 2, key "epochs": 'epochs' is not a known key (valid keys: params, tokens, loss, flops, name, task:NAME)"#,
                             #"bad.json: element 3, key "loss": loss must be a positive finite number, got -1.0"#,
                             #"bad.json: element 3, key "task:acc": task:acc must be a finite number, got a string ("high")"#,
                             #"bad.json: element 3, key "name": name must be a string, got 7.0"#,
                             "bad.json: element 4: expected an object",
                             #"bad.json: element 5, key "params": params is missing"#,
                             #"bad.json: element 5, key "task:": 'task:' needs a task name"#] {
                XCTAssertTrue(m.contains(expected), "missing \(expected) in\n\(m)")
            }
        }
    }

    func testJSONThatIsNotAnArrayOfRunsIsRefusedWhole() throws {
        for (text, expected) in [("{\"params\": 1}", "expected a JSON array of objects"), ("[{\"params\": 1,}", "not valid JSON"),
                                 ("[]", "the array is empty"), ("[{\"params\": NaN, \"tokens\": 1, \"loss\": 1}]", "not valid JSON"),
                                 ("[{\"name\": \"x\", \"params\": 1, \"tokens\": 1, \"loss\": 1}, {\"name\": \"x\", \"params\": 1, \"tokens\": 1, \"loss\": 1}]",
                                  "element 1, key \"name\": name 'x' repeats element 0")] {
            XCTAssertThrowsError(try RunImport.parseJSON(Data(text.utf8), file: "f.json"), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(text): \(error)")
                XCTAssertTrue("\(error)".contains("nothing imported"), "\(error)")
            }
        }
    }
}
