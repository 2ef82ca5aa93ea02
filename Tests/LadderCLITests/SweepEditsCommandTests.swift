import Foundation
import Store
import XCTest

/// Issue #19, class 3: a rerun never trains stored runs with settings the edited file no longer
/// has, and a sweep with failed runs exits non-zero, naming their errors and logs.
final class SweepEditsCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    /// A fake trainer that writes the loss a known law gives, or fails when FAIL is in its folder.
    func writeTrainer() throws { try cli.writeLawTrainer("train.sh", failWhenExists: "FAIL") }

    func sweep(lr: String) -> String {
        """
        name = "e"
        [data]
        path = "corpus.txt"
        [model]
        vocab = 256
        seq_len = 32
        params = "non_embedding"
        [train]
        batch = 4
        lr = \(lr)
        [grid]
        retries = 0
        [[grid.budget]]
        flops = 1e11
        sizes = 3
        min_params = 2e4
        max_params = 3e5
        [executor]
        command = ["\(cli.path("train.sh"))", "{out}", "{params}", "{tokens}"]
        """
    }

    func statuses(_ store: ResultStore) throws -> [String] {
        try store.runs(sweep: "e").map { "\($0.run.name ?? "")=\($0.run.status.rawValue)" }
    }

    func testFailuresExitNonZeroAndEditsAreRefusedUntilReplanned() throws {
        try writeTrainer()
        try cli.write("corpus.txt", String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 400))
        try cli.write("FAIL", "")
        try cli.write("e.toml", sweep(lr: "1e-3"))
        let failed = try cli.run(["sweep", "run", "e.toml", "--executor", "command"])
        XCTAssertNotEqual(failed.status, 0, "failed runs make the sweep fail")
        XCTAssertTrue(failed.stderr.contains("3 grid runs of sweep 'e' failed"), failed.stderr)
        XCTAssertTrue(failed.stderr.contains("command exited with status 3"), failed.stderr)
        XCTAssertTrue(failed.stderr.contains("log: ") && failed.stderr.contains("/log.txt"), failed.stderr)
        XCTAssertTrue(failed.stderr.contains("not fitting"), failed.stderr)

        // the file is edited: the rerun refuses, with the difference, and changes nothing
        try FileManager.default.removeItem(atPath: cli.path("FAIL"))
        let store = try ResultStore.open(path: cli.path("Results/ladder.sqlite"))
        let before = try statuses(store)
        try cli.write("e.toml", sweep(lr: "2e-3"))
        let refused = try cli.run(["sweep", "run", "e.toml", "--executor", "command"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("e.toml"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("train.lr: 0.001 -> 0.002"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--replan"), refused.stderr)
        XCTAssertEqual(try statuses(store), before)
        XCTAssertEqual(try store.runs(sweep: "e").count, 3)

        // --replan trains them with the file's settings
        let replanned = try cli.run(["sweep", "run", "e.toml", "--executor", "command", "--replan"])
        XCTAssertEqual(replanned.status, 0, replanned.stderr)
        let runs = try store.runs(sweep: "e").map(\.run)
        XCTAssertEqual(runs.map(\.status), [.done, .done, .done])
        XCTAssertTrue(runs.allSatisfy { $0.config.contains("\"lr\":0.002") }, runs.map(\.config).joined())

        // finished runs are never re-planned: a new edit is refused even with --replan
        try cli.write("e.toml", sweep(lr: "3e-3"))
        let mixed = try cli.run(["sweep", "run", "e.toml", "--executor", "command", "--replan"])
        XCTAssertNotEqual(mixed.status, 0)
        XCTAssertTrue(mixed.stderr.contains("already trained"), mixed.stderr)
        XCTAssertEqual(try store.runs(sweep: "e").map(\.run.config), runs.map(\.config), "nothing stored changed")
    }
}
