import Foundation
import Store
import Sweeps
import XCTest

final class CommandExecutorTests: XCTestCase {
    func testPlaceholdersAreArgumentsNotShellAndResultsAreCollected() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ladder-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let marker = folder.appendingPathComponent("pwned").path
        // The trainer script echoes its arguments into the result; a name with shell metacharacters
        // must arrive as one literal argument and run nothing.
        let script = folder.appendingPathComponent("train.sh")
        try """
            #!/bin/sh
            out="$1"; layers="$2"; name="$3"
            printf '{"loss": 2.5, "train_loss": 2.4, "metrics": [{"step": 10, "tokens": 100, "train_loss": 3.0}], "name_len": %d}' "${#name}" > "$out"
            """.write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        let store = try ResultStore.inMemory()
        var planned = try SweepExpansion.fitRuns(SweepExpansionTests.spec())[0]
        // a valid run name (no '/': names become folder names), so the marker is relative: were it
        // run, it would land in the command's working directory, this process's
        let markerName = "pwned-\(UUID().uuidString.prefix(8))"
        planned.name = "x; touch \(markerName); $(touch \(markerName)) `touch \(markerName)`"
        let run = try SweepStore.materialize([planned], sweep: "t", specText: "", store: store)[0]
        let executor = try CommandExecutor(template: [script.path, "{out}", "{n_layer}", "{name}"], resultsFolder: folder)
        let args = try executor.arguments(for: run, out: URL(fileURLWithPath: "/o.json"))
        XCTAssertEqual(args, [script.path, "/o.json", String(planned.shape.nLayer), planned.name])

        var options = SweepScheduler.Options()
        options.pollInterval = 0.01
        let summary = try SweepScheduler(store: store, sweep: "t", executor: executor, options: options).run([run.id!])
        XCTAssertEqual(summary.done, 1)
        let done = try XCTUnwrap(try store.run(id: run.id!))
        XCTAssertEqual(done.finalValLoss, 2.5)
        XCTAssertEqual(done.finalTrainLoss, 2.4)
        XCTAssertEqual(try store.metrics(runId: run.id!).map(\.step), [10])
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "a value ran as a shell command")
        for dir in [FileManager.default.currentDirectoryPath, folder.path] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/" + markerName), "a value ran as a shell command")
        }
    }

    func testBadTemplatesAndMissingResults() throws {
        XCTAssertThrowsError(try CommandExecutor(template: ["x", "{layers}"], resultsFolder: URL(fileURLWithPath: "/tmp"))) {
            XCTAssertTrue("\($0)".contains("unknown placeholder {layers}"), "\($0)")
        }
        XCTAssertThrowsError(try CommandExecutor(template: [], resultsFolder: URL(fileURLWithPath: "/tmp")))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ladder-cmd-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try ResultStore.inMemory()
        let planned = try SweepExpansion.fitRuns(SweepExpansionTests.spec())[0]
        let run = try SweepStore.materialize([planned], sweep: "t", specText: "", store: store)[0]
        // `true` exits 0 without writing a result: the run fails with a message naming the file.
        let executor = try CommandExecutor(template: ["true", "{out}"], resultsFolder: folder)
        var options = SweepScheduler.Options()
        options.retries = 0
        options.pollInterval = 0.01
        let summary = try SweepScheduler(store: store, sweep: "t", executor: executor, options: options).run([run.id!])
        XCTAssertEqual(summary.failed, 1)
        XCTAssertTrue(try store.run(id: run.id!)?.error?.contains("result.json") ?? false)
        XCTAssertThrowsError(try CommandExecutor(template: ["no-such-program-ladder"], resultsFolder: folder).start(run, sweep: "t")) {
            XCTAssertTrue("\($0)".contains("not found on PATH"), "\($0)")
        }
    }
}
