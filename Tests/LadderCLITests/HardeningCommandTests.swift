import Foundation
import GRDB
import Store
import XCTest

/// Issue #19 end to end, on the built binary: every refusal names what is wrong and what is
/// valid, exits non-zero without a signal, and leaves the database and every file as they were.
final class HardeningCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    var db: String { cli.path("Results/ladder.sqlite") }

    func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// Runs and asserts a clean refusal (exit 1 or 64, not a signal) whose message has `expected`.
    @discardableResult
    func refused(_ arguments: [String], _ expected: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLIHarness.Result {
        let r = try cli.run(arguments)
        XCTAssertTrue(r.status == 1 || r.status == 64, "ladder \(arguments.joined(separator: " ")): status \(r.status)\n\(r.stderr)", file: file, line: line)
        for text in expected {
            XCTAssertTrue((r.stderr + r.stdout).contains(text), "ladder \(arguments.joined(separator: " ")): missing '\(text)' in\n\(r.stderr)\(r.stdout)", file: file, line: line)
        }
        return r
    }

    func imported() throws {
        try cli.write("runs.csv", "name,params,tokens,loss\nsmall,1e7,2e8,3.5\nbig,1e8,2e9,3.0\n")
        _ = try cli.ok(["import", "runs.csv", "--sweep", "paper"])
    }

    // Class 2: no command writes over the database or an existing file without --force.
    func testExportNeverWritesOverTheDatabaseAndAnExistingFileOnlyWithForce() throws {
        try imported()
        let before = bytes(db)
        try refused(["export", "--format", "csv", "--out", db], ["results database", "refusing"])
        try refused(["export", "--format", "csv", "--out", "Results/../Results/ladder.sqlite", "--force"], ["results database"])
        try refused(["export", "--format", "csv", "--out", db + "-wal", "--force"], ["results database"])
        XCTAssertEqual(bytes(db), before)
        try cli.write("mine.txt", "precious")
        try refused(["export", "--format", "csv", "--out", "mine.txt"], ["already exists", "--force"])
        XCTAssertEqual(bytes(cli.path("mine.txt")), Data("precious".utf8))
        _ = try cli.ok(["export", "--format", "csv", "--out", "mine.txt", "--force"])
        XCTAssertTrue(String(decoding: bytes(cli.path("mine.txt"))!, as: UTF8.self).hasPrefix("id,sweep,name"))
        // another SQLite file is never a target, even with --force
        let other = cli.path("other.sqlite")
        let queue = try DatabaseQueue(path: other)
        try queue.write { try $0.execute(sql: "CREATE TABLE t (x)") }
        try queue.close()
        let otherBytes = bytes(other)
        try refused(["export", "--format", "json", "--out", other, "--force"], ["SQLite database"])
        XCTAssertEqual(bytes(other), otherBytes)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cli.folder.path).filter { $0.contains(".tmp-") }, [])
    }

    func testReportAndDataPrepareDoNotReplaceForeignFiles() throws {
        try imported()
        try FileManager.default.createDirectory(atPath: cli.path("out"), withIntermediateDirectories: true)
        try cli.write("out/report.html", "my own page")
        try refused(["report", "--sweep", "paper", "--out", "out", "--bootstrap", "0"], ["out/report.html", "already exists", "--force"])
        XCTAssertEqual(bytes(cli.path("out/report.html")), Data("my own page".utf8))
        try FileManager.default.createDirectory(atPath: cli.path("data"), withIntermediateDirectories: true)
        try cli.write("data/notes.txt", "keep")
        try cli.write("corpus.txt", String(repeating: "hello world. ", count: 200))
        try refused(["data", "prepare", "--input", "corpus.txt", "--out", "data"], ["--out data is not empty", "--force"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cli.path("data")), ["notes.txt"])
    }

    // Class 7: foreign SQLite files are never touched; read commands work on a read-only database.
    func testForeignDatabaseIsRefusedByEveryCommand() throws {
        let other = cli.path("other.db")
        let queue = try DatabaseQueue(path: other)
        try queue.write { try $0.execute(sql: "CREATE TABLE run (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO run (name) VALUES ('theirs')") }
        try queue.close()
        let before = bytes(other)
        try cli.write("runs.csv", "params,tokens,loss\n1e7,2e8,3.5\n")
        for command in [["runs", "--db", other], ["import", "runs.csv", "--db", other], ["export", "--format", "csv", "--db", other]] {
            try refused(command, ["not a Ladder results database", "Nothing was changed"])
        }
        XCTAssertEqual(bytes(other), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: other + "-wal"))
    }

    func testReadCommandsWorkOnAReadOnlyDatabaseInAReadOnlyFolder() throws {
        try imported()
        // a clean copy, as a user would receive it: no -wal, -shm or .lock beside it
        let ro = cli.path("ro")
        try FileManager.default.createDirectory(atPath: ro, withIntermediateDirectories: true)
        let copy = ro + "/ladder.sqlite"
        let queue = try DatabaseQueue(path: db)
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
        try FileManager.default.copyItem(atPath: db, toPath: copy)
        chmod(copy, 0o444)
        chmod(ro, 0o555)
        defer { chmod(ro, 0o755) }
        let before = bytes(copy)
        let asUser: (([String]) throws -> CLIHarness.Result) = { args in
            if getuid() != 0 { return try self.cli.run(args) }
            // root bypasses file modes: run as nobody through runuser, which needs the binary reachable
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", "nobody", "--", CLIHarness.executable.path] + args
            process.currentDirectoryURL = self.cli.folder
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return CLIHarness.Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
        }
        if getuid() == 0 {
            guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") else { throw XCTSkip("root without runuser") }
            chmod(cli.folder.path, 0o755)
            let probe = try asUser(["--version"])
            if probe.status != 0 { throw XCTSkip("nobody cannot run the test binary: \(probe.stderr)") }
        }
        let listing = try asUser(["runs", "--db", copy])
        XCTAssertEqual(listing.status, 0, listing.stderr)
        XCTAssertTrue(listing.stdout.contains("small"), listing.stdout)
        let export = try asUser(["export", "--format", "json", "--db", copy])
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: ro), ["ladder.sqlite"])
        XCTAssertEqual(bytes(copy), before)
    }

    // Class 13: a damaged database is refused for writing; `ladder doctor` says what it found.
    func testDoctorReportsAHealthyDatabase() throws {
        try imported()
        let out = try cli.ok(["doctor"])
        XCTAssertTrue(out.contains("integrity_check: ok") && out.contains("no problems found"), out)
        try cli.write("junk.sqlite", "not sqlite at all, just text")
        try refused(["doctor", "--db", "junk.sqlite"], ["SQLite"])
    }

    // Class 6: names that would escape Results/ are refused at every boundary.
    func testUnsafeNamesAreRefusedAtTheCommandLineAndInFiles() throws {
        try cli.write("runs.csv", "name,params,tokens,loss\nsmall,1e7,2e8,3.5\n")
        try refused(["import", "runs.csv", "--sweep", "../../x"], ["--sweep", "'../../x'", "folder names"])
        try refused(["import", "runs.csv", "--sweep", ".."], ["--sweep"])
        try cli.write("t.toml", "[model]\nseq_len = 8\nd_model = 8\nn_layer = 1\nn_head = 1\n[data]\npath = \"corpus.txt\"\n")
        try refused(["train", "t.toml", "--sweep", "../../escape"], ["--sweep"])
        try refused(["train", "t.toml", "--name", "a/b"], ["--name"])
        try cli.write("bad.csv", "name,params,tokens,loss\n../evil,1e7,2e8,3.5\n")
        try refused(["import", "bad.csv"], ["bad.csv:2:1:", "name"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: db), "a refused command created the database")
        let parent = cli.folder.deletingLastPathComponent()
        XCTAssertFalse(FileManager.default.fileExists(atPath: parent.appendingPathComponent("x").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: parent.appendingPathComponent("escape").path))
    }

    // Class 11: TOML type errors name the file, the line and the key.
    func testTOMLTypeErrorsNameFileLineAndKey() throws {
        try cli.write("corpus.txt", String(repeating: "hello world. ", count: 400))
        let base = "[model]\nseq_len = 8\nd_model = 8\nn_layer = 1\nn_head = 1\n[data]\npath = \"corpus.txt\"\n[train]\nbatch = 2\n"
        try cli.write("f.toml", base + "steps = 1.5\n")
        try refused(["train", "f.toml"], ["f.toml:10: key 'train.steps' must be an integer, got 1.5"])
        try cli.write("s.toml", base + "lr = \"fast\"\n")
        try refused(["train", "s.toml"], ["s.toml:10: key 'train.lr' must be a number, got the string \"fast\""])
        try cli.write("n.toml", base + "eps = nan\n")
        try refused(["train", "n.toml"], ["n.toml:10: key 'train.eps' must be a finite number"])
        try cli.write("b.toml", base + "beta2 = 1.5\n")
        try refused(["train", "b.toml"], ["train.beta2 must be in [0, 1), got 1.5"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: db))
    }

    func testSweepFileErrorsAreFoundWhenLoaded() throws {
        try cli.write("corpus.txt", String(repeating: "hello world. ", count: 400))
        let sweep = """
            name = "q"
            [data]
            path = "corpus.txt"
            [model]
            seq_len = 16
            [grid]
            seeds = [1]
            [[grid.budget]]
            flops = 1e11
            sizes = 2
            min_params = 2e4
            max_params = 1e5
            [[grid.budget]]
            flops = 1e12
            sizes = 2.5
            min_params = 2e4
            max_params = 1e5

            """
        try cli.write("q.toml", sweep)
        try refused(["sweep", "plan", "q.toml", "--no-estimate"], ["q.toml:15: key 'grid.budget[2].sizes' must be an integer, got 2.5"])
        try cli.write("p.toml", sweep.replacingOccurrences(of: "sizes = 2.5", with: "sizes = 2") + "[plan]\nflops = [-1]\n")
        try refused(["sweep", "plan", "p.toml", "--no-estimate"], ["plan.flops must list positive finite budgets"])
        try cli.write("h.toml", sweep.replacingOccurrences(of: "sizes = 2.5", with: "sizes = 1000000000"))
        try refused(["sweep", "plan", "h.toml", "--no-estimate"], ["grid.budget[2].sizes must be in 1...1000"])
        try cli.write("d.toml", sweep.replacingOccurrences(of: "name = \"q\"", with: "name = \"..\"").replacingOccurrences(of: "sizes = 2.5", with: "sizes = 2"))
        try refused(["sweep", "plan", "d.toml", "--no-estimate"], ["name '..'", "Results/<name>/"])
    }

    // Class 11 (CLI): a negative number after an option is read as its value.
    func testNegativeOptionValuesGetTheOptionsOwnMessage() throws {
        try refused(["plan", "--flops", "-1e21"], ["--flops must be a positive number"])
        try refused(["plan", "--flops=-1e21"], ["--flops must be a positive number"])
    }

    // Class 10: a stored law that cannot plan is skipped by default and refused by id, with why.
    func testPlanSaysWhyALawCannotPlan() throws {
        try FileManager.default.createDirectory(atPath: cli.path("Results"), withIntermediateDirectories: true)
        let store = try ResultStore.open(path: db)
        let good = try store.insertFit(FitRecord(kind: .parametric, parameters: #"{"E":1.69,"A":406.4,"B":410.7,"alpha":0.34,"beta":0.28}"#))
        let bad = try store.insertFit(FitRecord(kind: .parametric, parameters: #"{"E":1.69,"A":406.4,"B":410.7,"alpha":-0.3,"beta":0.28}"#))
        let r = try cli.run(["plan", "--flops", "1e21"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("fit \(bad.id!) is newer but not used: alpha = -0.3"), r.stderr)
        XCTAssertTrue(r.stdout.contains("fit \(good.id!)") || r.stdout.contains("#\(good.id!)"), r.stdout)
        try refused(["plan", "--flops", "1e21", "--fit", String(bad.id!)], ["cannot plan", "alpha = -0.3"])
    }

    // Class 9: deleting runs, with a dry run first.
    func testRunsDeleteListsThenDeletesRowsMetricsAndFolders() throws {
        try imported()
        let store = try ResultStore.open(path: db)
        let runs = try store.runs(sweep: "paper")
        let folder = RunFolder.location(resultsFolder: URL(fileURLWithPath: cli.path("Results")), sweep: "paper", run: runs[0].run)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("log".utf8).write(to: folder.appendingPathComponent("log.txt"))
        let dry = try cli.ok(["runs", "delete", "--sweep", "paper", "--run", String(runs[0].run.id!)])
        XCTAssertTrue(dry.contains("would delete run \(runs[0].run.id!)") && dry.contains("nothing deleted"), dry)
        XCTAssertEqual(try store.runCount(), 2)
        var running = runs[1].run
        running.status = .running
        try store.updateRun(running)
        try refused(["runs", "delete", "--sweep", "paper", "--status", "running", "--yes"], ["are running", "--force"])
        XCTAssertEqual(try store.runCount(), 2)
        _ = try cli.ok(["runs", "delete", "--sweep", "paper", "--run", String(runs[0].run.id!), "--yes"])
        XCTAssertEqual(try store.runs(sweep: "paper").map(\.run.name), ["big"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path))
        _ = try cli.ok(["runs", "delete", "--sweep", "paper", "--status", "running", "--yes", "--force"])
        XCTAssertEqual(try store.runCount(), 0)
        XCTAssertTrue(try cli.ok(["runs"]).contains("no runs"))
    }

    // Class 5: a model too large for the machine is an error before any allocation.
    func testModelTooLargeForTheMachineIsAClearError() throws {
        try cli.write("corpus.txt", String(repeating: "hello world. ", count: 400))
        try cli.write("big.toml", "[model]\nseq_len = 8\nd_model = 32768\nn_layer = 64\nn_head = 64\n[data]\npath = \"corpus.txt\"\n[train]\nbatch = 2\nsteps = 2\n")
        let r = try refused(["train", "big.toml"], ["GiB", "this machine has"])
        XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
    }

    // Class 8: poisoned rows stored by an older ladder are skipped with a warning, not fatal.
    func testPoisonedRowsDoNotBreakReaders() throws {
        try imported()
        let queue = try DatabaseQueue(path: db)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO run (sweep_id, name, status, params, tokens, flops, final_val_loss, created, updated) VALUES (1, 'poison', 'done', 1e300, 1e300, ?, 3, '2026-01-01', '2026-01-01')",
                           arguments: [Double.infinity])
        }
        try queue.close()
        let r = try cli.run(["runs", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("skipping 1 run(s) with non-finite numbers"), r.stderr)
        XCTAssertEqual(try JSONDecoder().decode([ExportedRun].self, from: Data(r.stdout.utf8)).count, 2)
        XCTAssertEqual(try cli.run(["export", "--format", "json"]).status, 0)
        try cli.write("inf.csv", "params,tokens,loss\n1e300,1e300,3.5\n")
        try refused(["import", "inf.csv"], ["inf.csv:2:", "overflows"])
    }
}
