import Foundation
import ScalingLaws
import Sweeps
import Training
import XCTest

/// The per-size rules of a sweep: the shape family, N and C accounting, beta2 from a half-life,
/// warmup from N, batch-independent evaluation, per-budget seeds and learning-rate sweeps.
final class SweepRulesTests: XCTestCase {
    static func spec(_ extra: String = "") -> SweepSpec {
        let json = """
            {"name": "r", "data": {"path": "/tmp/x.txt", "split": "interleaved", "sampling": "shuffled"},
             "model": {"vocab": 256, "seq_len": 64, "params": "total", "init": "small",
                       "family": {"aspect": 32, "min_layers": 2, "width_step": 4, "head_dim": 16}},
             "train": {"batch": 16, "lr": 0.012},
             "grid": {"seeds": [1], "lr_rule": "params", "lr_reference_params": 52000, "lr_params_exponent": -0.6,
                      "beta2_half_life_tokens": 13840, "warmup_tokens_per_param": 1, "eval_tokens": 32768
                      \(extra),
                      "budget": [{"flops": 1e11, "sizes": 5, "min_params": 1e4, "max_params": 6e4},
                                 {"flops": 3e11, "sizes": 3, "min_params": 1.5e4, "max_params": 1e5, "seeds": [1, 2]}]}}
            """
        return try! JSONDecoder().decode(SweepSpec.self, from: Data(json.utf8))
    }

    func testFamilyAccountingAndRules() throws {
        let spec = Self.spec()
        try spec.validate()
        let runs = try SweepExpansion.fitRuns(spec)
        XCTAssertEqual(runs.count, 5 + 3 * 2, "the second budget runs both of its seeds, the first only grid.seeds")
        XCTAssertEqual(runs.filter { $0.config.train.seed == 2 }.map(\.budget), ["3e11", "3e11", "3e11"])
        let family = try XCTUnwrap(spec.model.family)
        for r in runs {
            XCTAssertEqual(r.shape, try family.shape(params: r.params, counting: .total, vocab: 256, seqLen: 64).shape)
            XCTAssertGreaterThanOrEqual(r.shape.nLayer, 2)
            XCTAssertEqual(r.config.model.initialization, .small)
            XCTAssertEqual(r.params, Double(ParameterLayout(r.config.model).count))
            XCTAssertEqual(r.flops, r.shape.trainingFlopsPerToken * r.tokens)
            let t = r.config.train
            XCTAssertEqual(t.beta2, pow(0.5, 1024 / 13840), accuracy: 1e-12, "beta2 from the half-life at 1024 tokens a step")
            XCTAssertEqual(t.warmup, min(Int((r.params / 1024).rounded()), Int(Double(t.steps) * 0.25)))
            XCTAssertEqual(t.lr, 0.012 * pow(r.params / 52000, -0.6), accuracy: 1e-12)
            XCTAssertEqual(t.evalTokens, 32768)
            XCTAssertEqual(t.finalEvalTokens, 0, "the final evaluation reads the whole held-out split")
            XCTAssertEqual(r.config.data.sampling, .shuffled)
            XCTAssertEqual(r.config.data.split, .interleaved)
        }
        // depth never decreases with N across the whole grid
        let byN = runs.sorted { $0.params < $1.params }
        XCTAssertEqual(byN.map(\.shape.nLayer), byN.map(\.shape.nLayer).sorted())
        // a stored config reads back with the new fields
        let json = try runs[0].configJSON(sweep: "r")
        XCTAssertEqual(try JSONDecoder().decode(TrainConfig.self, from: Data(json.utf8)), runs[0].config)
        // non-embedding counting changes N, not the shapes' compute
        var nonEmbedding = spec
        nonEmbedding.model.counting = .nonEmbedding
        let other = try SweepExpansion.fitRuns(nonEmbedding)
        XCTAssertTrue(other.allSatisfy { $0.params == $0.paramsNonEmbedding })
    }

    func testLearningRateSweepAndFittedRule() throws {
        let sweep = Self.spec(#", "lrs": [0.005, 0.01, 0.02]"#)
        let runs = try SweepExpansion.fitRuns(sweep)
        XCTAssertEqual(runs.count, 3 * 11)
        XCTAssertEqual(Set(runs.map(\.name)).count, runs.count)
        XCTAssertEqual(Set(runs.map(\.config.train.lr)), [0.005, 0.01, 0.02])
        XCTAssertTrue(runs.contains { $0.name.hasSuffix("-lr0.005") }, runs[0].name)

        var fitted = Self.spec()
        fitted.grid.lrRule = .fitted
        XCTAssertThrowsError(try fitted.validate()) { XCTAssertTrue("\($0)".contains("ladder fit --method lr"), "\($0)") }
        fitted.lrLaw = LearningRateLaw(coefficient: 16, exponent: -0.66, counting: .total)
        let withLaw = try SweepExpansion.fitRuns(fitted)
        for r in withLaw { XCTAssertEqual(r.config.train.lr, 16 * pow(r.params, -0.66), accuracy: 1e-12) }
        fitted.lrLaw = LearningRateLaw(coefficient: 2, exponent: -0.4, tokensExponent: -0.1, counting: .total)
        for r in try SweepExpansion.fitRuns(fitted) {
            XCTAssertEqual(r.config.train.lr, 2 * pow(r.params, -0.4) * pow(r.tokens, -0.1), accuracy: 1e-12)
        }
        var withTokens = Self.spec()
        withTokens.grid.lrReferenceTokens = 1e6
        withTokens.grid.lrTokensExponent = -0.25
        for r in try SweepExpansion.fitRuns(withTokens) {
            XCTAssertEqual(r.config.train.lr, 0.012 * pow(r.params / 52000, -0.6) * pow(r.tokens / 1e6, -0.25), accuracy: 1e-12)
        }
    }

    func testBadRuleValuesNameTheirKey() {
        let cases: [(String, (inout SweepSpec) -> Void)] = [
            ("grid.beta2_half_life_tokens", { $0.grid.beta2HalfLifeTokens = -1 }),
            ("grid.warmup_max_fraction", { $0.grid.warmupMaxFraction = 1.5 }),
            ("grid.eval_tokens", { $0.grid.evalTokens = 0 }),
            ("grid.lr_params_exponent", { $0.grid.lrParamsExponent = 9 }),
            ("grid.lr_tokens_exponent", { $0.grid.lrTokensExponent = .nan }),
            ("grid.lrs", { $0.grid.lrs = [0.01, -1] }),
            ("grid.budget[2].seeds", { $0.grid.budgets[1].seeds = [] }),
            ("width_step", { $0.model.family?.widthStep = 0 }),
        ]
        for (key, change) in cases {
            var spec = Self.spec()
            change(&spec)
            XCTAssertThrowsError(try spec.validate(), key) { XCTAssertTrue("\($0)".contains(key), "\($0)") }
        }
    }
}
