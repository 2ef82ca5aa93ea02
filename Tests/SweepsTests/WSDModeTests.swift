import Foundation
import Store
import Sweeps
import Training
import XCTest

final class WSDModeTests: XCTestCase {
    static func spec(extra: String = "") -> SweepSpec {
        let json = """
            {"name": "w", "data": {"path": "/tmp/x.txt"}, "model": {"vocab": 256, "seq_len": 32},
             "train": {"batch": 4, "lr": 0.002, "warmup": 50},
             "grid": {"lr_rule": "width", "lr_reference_width": 64},
             "wsd": {"params": [2e4, 8e4], "tokens": [5.12e4, 1.024e5, 2.048e5], "cooldown_fraction": 0.25\(extra)}}
            """
        return try! JSONDecoder().decode(SweepSpec.self, from: Data(json.utf8))
    }

    func testTrunkPerSizeWithBranchesThatCoolDownFromItsKeptCheckpoints() throws {
        let runs = try SweepExpansion.fitRuns(Self.spec())
        XCTAssertEqual(runs.count, 2 * (1 + 3))
        let trunks = runs.filter { $0.wsd == .trunk }
        XCTAssertEqual(trunks.count, 2)
        for trunk in trunks {
            XCTAssertEqual(trunk.config.train.schedule, .constant)
            let branches = runs.filter { if case .branch(trunk.name, _) = $0.wsd { return true } else { return false } }
            XCTAssertEqual(branches.count, 3)
            XCTAssertEqual(branches.map(\.tokens), [5.12e4, 1.024e5, 2.048e5], "each branch is one point D")
            for b in branches {
                guard case let .branch(_, start) = b.wsd else { return XCTFail() }
                let t = b.config.train
                XCTAssertTrue(trunk.config.train.saveAt.contains(start), "the trunk keeps the branch's starting checkpoint")
                XCTAssertEqual(t.steps - start, Int((Double(t.steps) * 0.25).rounded()), "cooldown = f x D")
                XCTAssertEqual(b.params, trunk.params)
                XCTAssertEqual(b.flops, b.shape.trainingFlopsPerToken * b.tokens)
                XCTAssertEqual(b.stepsTrained, t.steps - start)
                // the same rate as the trunk until the branch point, then down to min_lr_ratio (0)
                for s in 0..<start {
                    XCTAssertEqual(t.lrSchedule.lr(step: s, totalSteps: t.steps, peak: t.lr),
                                   trunk.config.train.lrSchedule.lr(step: s, totalSteps: trunk.config.train.steps, peak: trunk.config.train.lr))
                }
                XCTAssertLessThan(t.lrSchedule.lr(step: start, totalSteps: t.steps, peak: t.lr), t.lr)
                XCTAssertEqual(t.lrSchedule.lr(step: t.steps - 1, totalSteps: t.steps, peak: t.lr), 0, accuracy: 1e-15)
            }
            XCTAssertEqual(trunk.config.train.steps, trunk.config.train.saveAt.max())
        }
        let savings = try XCTUnwrap(WSDSavings(runs))
        // grid: sum of C over the points; spent: trunk to 0.75 x D_max plus each cooldown (0.25 x D)
        let perSize = { (f: Double) in f * (0.75 * 2.048e5 + 0.25 * (5.12e4 + 1.024e5 + 2.048e5)) }
        XCTAssertEqual(savings.spent, runs.filter { $0.wsd == .trunk }.map { perSize($0.shape.trainingFlopsPerToken) }.reduce(0, +),
                       accuracy: 1)
        XCTAssertEqual(savings.grid, runs.filter { $0.wsd != .trunk }.reduce(0) { $0 + $1.flops })
        XCTAssertEqual(savings.savedFraction, 1 - (0.75 * 2.048 + 0.25 * 3.584) / 3.584, accuracy: 1e-9)
        XCTAssertTrue(savings.summary.contains("2 trunk(s) + 6 cooldown branch(es)"), savings.summary)
    }

    func testBadWSDTablesNameTheKey() {
        for (extra, key) in [(", \"min_lr_ratio\": 2", "wsd.min_lr_ratio")] {
            XCTAssertThrowsError(try SweepExpansion.fitRuns(Self.spec(extra: extra))) { XCTAssertTrue("\($0)".contains(key), "\($0)") }
        }
        var spec = Self.spec()
        spec.wsd!.cooldownFraction = 0
        XCTAssertThrowsError(try SweepExpansion.fitRuns(spec)) { XCTAssertTrue("\($0)".contains("wsd.cooldown_fraction"), "\($0)") }
        spec = Self.spec()
        spec.wsd!.params = [10]
        XCTAssertThrowsError(try SweepExpansion.fitRuns(spec)) { XCTAssertTrue("\($0)".contains("wsd.params"), "\($0)") }
    }

    /// Branches wait for their trunk; a branch whose trunk failed is recorded failed, not run.
    func testSchedulerRunsBranchesAfterTheirTrunkAndNotAfterAFailedOne() throws {
        let store = try ResultStore.inMemory()
        let records = try SweepStore.materialize(try SweepExpansion.fitRuns(Self.spec()), sweep: "w", specText: "", store: store)
        let trunks = records.filter { $0.labels.wsd == .trunk }
        XCTAssertEqual(trunks.count, 2)
        for r in records where r.labels.wsd != .trunk {
            XCTAssertNotNil(r.labels.trunkRun)
            XCTAssertTrue(trunks.contains { $0.id == r.labels.trunkRun })
            XCTAssertNotNil(r.labels.branchStep)
        }
        let failingTrunk = trunks[1].name!
        let executor = FakeExecutor(store: store, crashing: [failingTrunk])
        var options = SweepScheduler.Options()
        options.jobs = 3
        options.retries = 0
        options.pollInterval = 0
        let summary = try SweepScheduler(store: store, sweep: "w", executor: executor, options: options).run(records.compactMap(\.id))
        XCTAssertEqual(summary.done, 1 + 3)
        XCTAssertEqual(summary.failed, 1 + 3)
        for r in records where r.labels.trunkRun != nil {
            let trunk = r.labels.trunkRun!
            let started = executor.started.firstIndex(of: r.name!)
            if trunk == trunks[0].id {
                XCTAssertGreaterThan(started!, executor.started.firstIndex(of: trunks[0].name!)!)
            } else {
                XCTAssertNil(started, "a branch of a failed trunk never starts")
                let stored = try store.run(id: r.id!)!
                XCTAssertEqual(stored.status, .failed)
                XCTAssertTrue(stored.error!.contains("trunk run \(failingTrunk) is failed"), stored.error!)
            }
        }
        // rerunning the materialization finds the same runs (idempotent, branch labels included)
        let again = try SweepStore.materialize(try SweepExpansion.fitRuns(Self.spec()), sweep: "w", specText: "", store: store)
        XCTAssertEqual(again.map(\.id), records.map(\.id))
    }
}

final class BatchRuleTests: XCTestCase {
    func testBatchScalesWithParamsAndComputeStaysOnBudget() throws {
        var spec = SweepExpansionTests.spec()
        spec.grid.batchRule = .params
        spec.grid.batchReferenceParams = 5e4
        spec.grid.batchParamsExponent = 0.5
        let runs = try SweepExpansion.fitRuns(spec).filter { $0.budget == "1e11" && $0.config.train.seed == 1 }
        XCTAssertEqual(runs.count, 4)
        for r in runs {
            let expected = max(1, Int((4 * (r.params / 5e4).squareRoot()).rounded()))
            XCTAssertEqual(r.config.train.batch, expected)
            let perStep = Double(expected * 32)
            XCTAssertEqual(r.tokens, Double(r.config.train.steps) * perStep)
            XCTAssertLessThan(abs(r.tokens - 1e11 / r.shape.trainingFlopsPerToken), perStep / 2 + 1)
        }
        XCTAssertLessThan(runs.first!.config.train.batch, runs.last!.config.train.batch)
        spec.grid.batchReferenceParams = 0
        XCTAssertThrowsError(try SweepExpansion.fitRuns(spec)) { XCTAssertTrue("\($0)".contains("grid.batch_reference_params"), "\($0)") }
    }

    /// batch_rule = "tokens": the batch grows with the tokens a run reads (before its steps are
    /// rounded), the budget stays met, and lr_batch_exponent moves the rate with the batch.
    func testBatchScalesWithTokensAndTheRateFollowsIt() throws {
        var spec = SweepRulesTests.spec()
        spec.grid.lrRule = .fixed
        spec.grid.batchRule = .tokens
        spec.grid.batchReferenceTokens = 1e6
        spec.grid.batchTokensExponent = 0.5
        spec.grid.lrBatchExponent = 0.5
        spec.grid.lrReferenceBatch = 4
        try spec.validate()
        let runs = try SweepExpansion.fitRuns(spec)
        XCTAssertGreaterThan(Set(runs.map(\.config.train.batch)).count, 2, "\(runs.map(\.config.train.batch))")
        for r in runs {
            let wanted = 1e11 * (r.budget == "1e11" ? 1 : 3) / r.shape.trainingFlopsPerToken
            let batch = max(1, Int((16 * (wanted / 1e6).squareRoot()).rounded()))
            XCTAssertEqual(r.config.train.batch, batch, r.name)
            let perStep = Double(batch * 64)
            XCTAssertEqual(r.tokens, Double(r.config.train.steps) * perStep)
            XCTAssertLessThan(abs(r.tokens - wanted), perStep / 2 + 1, r.name)
            XCTAssertEqual(r.config.train.lr, 0.012 * (Double(batch) / 4).squareRoot(), accuracy: 1e-12, r.name)
            XCTAssertEqual(r.config.train.beta2, pow(0.5, perStep / 13840), accuracy: 1e-12, "beta2 follows the batch")
        }
        // in a budget the small models read the most tokens, so they get the largest batches
        let first = runs.filter { $0.budget == "1e11" }.sorted { $0.params < $1.params }
        XCTAssertEqual(first.map(\.config.train.batch), first.map(\.config.train.batch).sorted(by: >))
        for (key, change) in [("grid.batch_reference_tokens", { (s: inout SweepSpec) in s.grid.batchReferenceTokens = -1 }),
                              ("grid.batch_tokens_exponent", { $0.grid.batchTokensExponent = .infinity }),
                              ("grid.lr_batch_exponent", { $0.grid.lrBatchExponent = 3 }),
                              ("grid.lr_reference_batch", { $0.grid.lrReferenceBatch = 0 })] {
            var bad = spec
            change(&bad)
            XCTAssertThrowsError(try bad.validate(), key) { XCTAssertTrue("\($0)".contains(key), "\($0)") }
        }
        spec.grid.batchReferenceTokens = 1   // batches of 16 x (1e6)^0.5 and more: past 2^24 with exponent 2
        spec.grid.batchTokensExponent = 2
        XCTAssertThrowsError(try SweepExpansion.fitRuns(spec)) { XCTAssertTrue("\($0)".contains("grid.batch_tokens_exponent"), "\($0)") }
    }

    /// A WSD trunk and its branches share one batch, the one the rule gives the largest token count.
    func testWSDBranchesShareTheirTrunksBatch() throws {
        var spec = SweepRulesTests.spec()
        spec.grid.budgets = []
        spec.grid.batchRule = .tokens
        spec.grid.batchReferenceTokens = 1e6
        spec.grid.batchTokensExponent = 0.5
        spec.wsd = WSDSettings(params: [2e4, 5e4], tokens: [2.5e5, 1e6, 4e6])
        let runs = try SweepExpansion.fitRuns(spec)
        XCTAssertEqual(runs.count, 2 + 6)
        for trunk in runs where trunk.wsd == .trunk {
            XCTAssertEqual(trunk.config.train.batch, 32, "16 x (4e6 / 1e6)^0.5")
            let branches = runs.filter { if case let .branch(t, _) = $0.wsd { return t == trunk.name } else { return false } }
            XCTAssertEqual(branches.count, 3)
            XCTAssertTrue(branches.allSatisfy { $0.config.train.batch == 32 && $0.config.train.lr == trunk.config.train.lr })
        }
    }
}
