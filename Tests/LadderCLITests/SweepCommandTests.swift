import Foundation
import Store
import XCTest

final class SweepCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    /// A fake trainer: sleeps a little, then writes the loss a known law gives for (N, D).
    func writeFakeTrainer() throws { try cli.writeLawTrainer("fake-train.sh", sleep: 0.15) }

    func sweepFile(name: String = "s", extra: String = "") -> String {
        """
        name = "\(name)"
        [data]
        path = "corpus.txt"
        [model]
        vocab = 256
        seq_len = 32
        params = "non_embedding"
        [train]
        batch = 4
        [grid]
        retries = 0
        [[grid.budget]]
        flops = 1e11
        sizes = 4
        min_params = 2e4
        max_params = 3e5
        [[grid.budget]]
        flops = 1e12
        sizes = 4
        min_params = 4e4
        max_params = 6e5
        [[validation]]
        flops = 1e13
        [plan]
        flops = [1e18]
        bootstrap = 10
        [executor]
        command = ["\(cli.path("fake-train.sh"))", "{out}", "{params}", "{tokens}"]
        \(extra)
        """
    }

    func testSweepPlanListsRunsAndBadFilesNameTheProblem() throws {
        try cli.write("s.toml", sweepFile())
        let plan = try cli.ok(["sweep", "plan", "s.toml", "--no-estimate"])
        XCTAssertTrue(plan.contains("8 runs"), plan)
        XCTAssertTrue(plan.contains("c1e11-") && plan.contains("c1e12-"), plan)
        XCTAssertTrue(plan.contains("1 validation run"), plan)

        try cli.write("syntax.toml", "name = \"x\"\n[data\npath = 1\n")
        let syntax = try cli.run(["sweep", "plan", "syntax.toml"])
        XCTAssertNotEqual(syntax.status, 0)
        XCTAssertTrue(syntax.stderr.contains("syntax.toml:2"), syntax.stderr)

        try cli.write("unknown.toml", sweepFile().replacingOccurrences(of: "sizes = 4\nmin_params = 2e4", with: "sizez = 4\nmin_params = 2e4"))
        let unknown = try cli.run(["sweep", "plan", "unknown.toml", "--no-estimate"])
        XCTAssertTrue(unknown.stderr.contains("unknown key 'grid.budget.sizez'"), unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("unknown.toml:14"), unknown.stderr)

        try cli.write("typo.toml", sweepFile().replacingOccurrences(of: "[train]\nbatch = 4", with: "[train]\nbatch = \"four\""))
        let typo = try cli.run(["sweep", "plan", "typo.toml", "--no-estimate"])
        XCTAssertTrue(typo.stderr.contains("train.batch"), typo.stderr)

        try cli.write("tiny.toml", sweepFile().replacingOccurrences(of: "min_params = 2e4", with: "min_params = 10"))
        let tiny = try cli.run(["sweep", "plan", "tiny.toml", "--no-estimate"])
        XCTAssertTrue(tiny.stderr.contains("grid.budget[1]"), tiny.stderr)
    }

    /// kill -9 of the scheduler mid-sweep, then the same command again: the same final table as an
    /// uninterrupted sweep, with no run lost or duplicated; then the fit recovers the fake's law.
    func testKillMinusNineThenRerunGivesTheSameTable() throws {
        try writeFakeTrainer()
        try cli.write("s.toml", sweepFile())
        let reference = try cli.run(["sweep", "run", "s.toml", "--executor", "command", "--jobs", "2", "--db", "ref.sqlite"])
        XCTAssertEqual(reference.status, 0, reference.stderr)
        XCTAssertTrue(reference.stdout.contains("validation"), reference.stdout)

        let process = Process()
        process.executableURL = CLIHarness.executable
        process.arguments = ["sweep", "run", "s.toml", "--executor", "command", "--jobs", "2", "--db", "killed.sqlite"]
        process.currentDirectoryURL = cli.folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            if let store = try? ResultStore.open(path: cli.path("killed.sqlite")),
               let done = try? store.runs(status: .done).count, done >= 3 { break }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let partial = try ResultStore.open(path: cli.path("killed.sqlite"))
        let doneBefore = try partial.runs(status: .done).count
        XCTAssertGreaterThanOrEqual(doneBefore, 3)
        XCTAssertLessThan(doneBefore, 9, "the kill came mid-sweep")

        let rerun = try cli.run(["sweep", "run", "s.toml", "--executor", "command", "--jobs", "2", "--db", "killed.sqlite"])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        func table(_ db: String) throws -> [String] {
            try ResultStore.open(path: cli.path(db)).runs().map {
                "\($0.run.name!) \($0.run.status.rawValue) \($0.run.role.rawValue) \($0.run.params) \($0.run.tokens) \($0.run.loss ?? -1)"
            }.sorted()
        }
        XCTAssertEqual(try table("killed.sqlite"), try table("ref.sqlite"))
        XCTAssertEqual(try table("ref.sqlite").count, 9)

        // The fit on the fake's exact losses recovers its law, and the validation run is predicted.
        // the fake trainer's law is in {params}, the store's non-embedding N
        let fit = try cli.ok(["fit", "--db", "ref.sqlite", "--sweep", "s", "--bootstrap", "0", "--params", "non-embedding", "--json"])
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(fit.utf8)) as? [String: Any])
        XCTAssertEqual(object["alpha"] as? Double ?? 0, 0.34, accuracy: 0.01)
        XCTAssertEqual(object["beta"] as? Double ?? 0, 0.28, accuracy: 0.01)
        XCTAssertEqual(object["runs"] as? Int, 8, "validation runs are not fitted")
        let validationLine = reference.stdout.split(separator: "\n").first { $0.hasPrefix("val-") } ?? ""
        XCTAssertTrue(validationLine.contains("+0.00%") || validationLine.contains("-0.00%"), String(validationLine))
    }

    /// `ladder plan` with a sweep's fit plans in the sweep's counting of N and C and with its
    /// shapes, so it gives the N the sweep's own plan table printed (issue #17: one meaning of C).
    func testPlanFromASweepsFitCountsAsTheSweep() throws {
        try writeFakeTrainer()
        try cli.write("corpus.txt", String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 400))
        try cli.write("s.toml", sweepFile())
        let sweep = try cli.run(["sweep", "run", "s.toml", "--executor", "command", "--jobs", "2", "--db", "p.sqlite"])
        XCTAssertEqual(sweep.status, 0, sweep.stderr)
        let row = try XCTUnwrap(sweep.stdout.split(separator: "\n").first { $0.hasPrefix("1.00e+18") }, sweep.stdout)
        let sweepN = String(row.split(separator: " ", omittingEmptySubsequences: true)[1])
        let plan = try cli.ok(["plan", "--db", "p.sqlite", "--flops", "1e18"])
        let nLine = try XCTUnwrap(plan.split(separator: "\n").first { $0.hasPrefix("parameters N:") }, plan)
        XCTAssertEqual(String(nLine.split(separator: " ", omittingEmptySubsequences: true)[2]), sweepN, plan + "\n" + row)
        XCTAssertTrue(plan.contains("vocab 256, context 32"), plan)
        XCTAssertTrue(plan.contains("the counting of sweep 's'"), plan)
        let json = try cli.ok(["plan", "--db", "p.sqlite", "--flops", "1e18", "--json"])
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertTrue((object["flop_counting"] as? String ?? "").contains("non-embedding parameters"), json)
        // a published law keeps its own convention
        let published = try cli.ok(["plan", "--law", "chinchilla", "--flops", "1e18"])
        XCTAssertTrue(published.contains("C = 6 N D, N non-embedding"), published)
    }
}
