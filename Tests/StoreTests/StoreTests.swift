import Foundation
import GRDB
import Store
import LadderTestSupport
import XCTest

final class StoreTests: FolderTestCase {
    /// The same round trip against an in-memory queue and an on-disk WAL pool.
    func testRoundTripInMemoryAndOnDisk() throws {
        try roundTrip(try ResultStore.inMemory())
        let path = folder.appendingPathComponent("sub/dir/ladder.sqlite").path
        try roundTrip(try ResultStore.open(path: path))
        // Reopening sees the same rows.
        let again = try ResultStore.open(path: path)
        XCTAssertEqual(try again.runs(sweep: "s1").count, 2)
        XCTAssertEqual(try again.appliedMigrations(), ResultStore.knownMigrations)
    }

    private func roundTrip(_ store: ResultStore) throws {
        var a = RunRecord(sweepId: 0, name: "a", config: #"{"lr":0.001}"#, nLayer: 4, dModel: 128, nHead: 4,
                          dFF: 512, params: 7.9e5, paramsTotal: 1.3e6, tokens: 2e7, flops: 6 * 7.9e5 * 2e7, seed: 3)
        let b = RunRecord(sweepId: 0, name: "b", params: 2e6, tokens: 1e7, flops: 1.2e14)
        let stored = try store.insertRuns([a, b], intoSweep: "s1", spec: "name = 's1'")
        XCTAssertEqual(stored.count, 2)
        a = stored[0]
        XCTAssertNotNil(a.id)
        a.status = .done
        a.finalTrainLoss = 3.25
        a.finalValLoss = 3.5
        a.wallSeconds = 12.5
        try store.updateRun(a)
        let fetched = try XCTUnwrap(try store.run(id: a.id!))
        XCTAssertEqual(fetched.status, .done)
        XCTAssertEqual(fetched.finalValLoss, 3.5)
        XCTAssertEqual(fetched.loss, 3.5)
        XCTAssertEqual(fetched.config, #"{"lr":0.001}"#)
        XCTAssertEqual(fetched.nLayer, 4)
        XCTAssertEqual(try store.runs(sweep: "s1", status: .done).map(\.run.name), ["a"])
        XCTAssertEqual(try store.runs(sweep: "s1", status: .pending).map(\.run.name), ["b"])
        XCTAssertEqual(try store.sweep(named: "s1")?.spec, "name = 's1'")

        try store.appendMetrics([
            MetricRecord(runId: a.id!, step: 0, tokensSeen: 0, trainLoss: 8.3, learningRate: 0),
            MetricRecord(runId: a.id!, step: 10, tokensSeen: 1e5, trainLoss: 6.1, valLoss: 6.2, learningRate: 1e-3, tokensPerSecond: 5e4),
        ])
        // Logging a step again (a resumed run) replaces the point.
        try store.appendMetrics([MetricRecord(runId: a.id!, step: 10, tokensSeen: 1e5, trainLoss: 6.0)])
        var metrics = try store.metrics(runId: a.id!)
        XCTAssertEqual(metrics.map(\.step), [0, 10])
        XCTAssertEqual(metrics[1].trainLoss, 6.0)
        XCTAssertEqual(metrics[1].valLoss, 6.2, "values the new point lacks are kept")
        // A step's evaluation recorded apart from its training values keeps them.
        try store.appendMetrics([MetricRecord(runId: a.id!, step: 0, tokensSeen: 0, valLoss: 8.4)])
        metrics = try store.metrics(runId: a.id!)
        XCTAssertEqual(metrics[0].trainLoss, 8.3)
        XCTAssertEqual(metrics[0].valLoss, 8.4)

        let fit = try store.insertFit(FitRecord(kind: .parametric, sweepId: stored[0].sweepId,
                                                parameters: #"{"E":1.7}"#, runIds: "[1,2]"))
        XCTAssertEqual(try store.latestFit()?.id, fit.id)
        XCTAssertEqual(try store.latestFit(kind: .isoflop), nil)
        XCTAssertEqual(try store.fit(id: fit.id!)?.parameters, #"{"E":1.7}"#)
    }

    func testConstraintsRejectBadRowsAndRollBackTheWholeWrite() throws {
        let store = try ResultStore.inMemory()
        let good = RunRecord(sweepId: 0, name: "ok", params: 1e6, tokens: 1e7, flops: 6e13)
        let bad = RunRecord(sweepId: 0, name: "bad", params: -1, tokens: 1e7, flops: 6e13)
        XCTAssertThrowsError(try store.insertRuns([good, bad], intoSweep: "s")) { error in
            XCTAssertTrue("\(error)".contains("refused"), "\(error)")
        }
        XCTAssertEqual(try store.runCount(), 0, "a failed multi-row write leaves nothing behind")
        try store.insertRuns([good], intoSweep: "s")
        XCTAssertThrowsError(try store.insertRuns([good], intoSweep: "s")) { error in
            XCTAssertTrue("\(error)".contains("already has a run named 'ok'"), "\(error)")
        }
        var badJSON = good
        badJSON.name = "json"
        badJSON.config = "{not json"
        XCTAssertThrowsError(try store.insertRuns([badJSON], intoSweep: "s"))
        XCTAssertEqual(try store.runCount(), 1)
    }

    func testMigratesAnEmptyFile() throws {
        let path = folder.appendingPathComponent("empty.sqlite").path
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        let store = try ResultStore.open(path: path)
        XCTAssertEqual(try store.appliedMigrations(), ResultStore.knownMigrations)
        XCTAssertEqual(try store.runCount(), 0)
    }

    func testRefusesADatabaseFromANewerSchema() throws {
        let path = folder.appendingPathComponent("future.sqlite").path
        let store = try ResultStore.open(path: path)
        try store.insertRuns([RunRecord(sweepId: 0, name: "keep", params: 1e6, tokens: 1e7, flops: 6e13)], intoSweep: "s")
        // A later ladder adds a migration this binary does not know.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('addFrobnicator')")
        }
        try queue.close()
        XCTAssertThrowsError(try ResultStore.open(path: path)) { error in
            XCTAssertEqual(error as? StoreError, .newerSchema(path: path, unknown: ["addFrobnicator"]))
            XCTAssertTrue("\(error)".contains("newer version of ladder"))
        }
        // Nothing was lost.
        let check = try DatabaseQueue(path: path)
        XCTAssertEqual(try check.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM run") }, 1)
    }

    func testFileThatIsNotSQLiteGivesAClearErrorAndIsLeftAlone() throws {
        let path = folder.appendingPathComponent("notes.sqlite").path
        let content = Data("these are my notes, not a database\n".utf8)
        _ = FileManager.default.createFile(atPath: path, contents: content)
        XCTAssertThrowsError(try ResultStore.open(path: path)) { error in
            guard case .notADatabase? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("not a Ladder results database"))
        }
        XCTAssertEqual(FileManager.default.contents(atPath: path), content)
    }

    func testCorruptDatabaseGivesAClearError() throws {
        let path = folder.appendingPathComponent("corrupt.sqlite").path
        do {
            let store = try ResultStore.open(path: path)
            let runs = (0..<200).map { RunRecord(sweepId: 0, name: "r\($0)", params: 1e6, tokens: 1e7, flops: 6e13) }
            try store.insertRuns(runs, intoSweep: "s")
        }
        // Checkpoint the WAL into the main file, then overwrite everything after the header page.
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let size = try handle.seekToEnd()
        var generator = SystemRandomNumberGenerator()
        try handle.seek(toOffset: 100)
        handle.write(Data((0..<Int(size) - 100).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        try handle.close()
        XCTAssertThrowsError(try ResultStore.open(path: path).runs()) { error in
            switch error as? StoreError {
            case .notADatabase?, .damaged?: break
            default: XCTFail("expected notADatabase or damaged, got \(error)")
            }
        }
    }
}
