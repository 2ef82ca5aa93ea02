import Foundation
import ScalingLaws
import Sweeps
import Training
import XCTest

final class SweepExpansionTests: XCTestCase {
    static func spec() -> SweepSpec {
        let toml = """
            {"name": "t", "data": {"path": "/tmp/x.txt"}, "model": {"vocab": 256, "seq_len": 32},
             "train": {"batch": 4, "lr": 0.002, "warmup": 50},
             "grid": {"seeds": [1, 2], "budget": [{"flops": 1e11, "sizes": 4, "min_params": 2e4, "max_params": 2e5}],
                      "point": [{"params": 5e4, "tokens": 3e5}], "lr_rule": "width", "lr_reference_width": 64},
             "validation": [{"flops": 1e12}]}
            """
        return try! JSONDecoder().decode(SweepSpec.self, from: Data(toml.utf8))
    }

    func testBudgetsExpandToLogSpacedSizesWithMatchingCompute() throws {
        let spec = Self.spec()
        let runs = try SweepExpansion.fitRuns(spec)
        // 2 seeds x (4 budget sizes + 1 point)
        XCTAssertEqual(runs.count, 10)
        XCTAssertEqual(Set(runs.map(\.name)).count, runs.count, "names are unique")
        let budget = runs.filter { $0.budget == "1e11" && $0.config.train.seed == 1 }
        XCTAssertEqual(budget.count, 4)
        let sizes = budget.map(\.params)
        XCTAssertEqual(sizes, sizes.sorted(), "sizes increase")
        XCTAssertGreaterThan(sizes.last! / sizes.first!, 5)
        for r in budget {
            // whole steps of batch x seq_len tokens: compute within half a step of the budget
            let perStep = Double(4 * 32)
            // C counts every matmul, the head and attention (not 6 N D); N is total by default
            XCTAssertEqual(r.flops, r.shape.trainingFlopsPerToken * r.tokens)
            XCTAssertLessThan(abs(r.tokens - 1e11 / r.shape.trainingFlopsPerToken), perStep / 2 + 1)
            XCTAssertEqual(r.tokens, Double(r.config.train.steps) * perStep)
            XCTAssertEqual(Double(ParameterLayout(r.config.model).count), r.params)
            XCTAssertEqual(Double(ParameterLayout(r.config.model).nonEmbeddingCount(r.config.model)), r.paramsNonEmbedding)
            XCTAssertLessThanOrEqual(r.config.train.warmup, r.config.train.steps / 5)
            XCTAssertEqual(r.config.train.lr, 0.002 * (64 / Double(r.shape.dModel)).squareRoot(), accuracy: 1e-12)
            XCTAssertEqual(r.config.train.evalInterval, max(1, r.config.train.steps / 8))
            XCTAssertEqual(r.role, .fit)
        }
        let point = runs.first { $0.budget == nil }!
        XCTAssertEqual(point.tokens, (3e5 / 128).rounded() * 128)
        let json = try point.configJSON(sweep: "t")
        XCTAssertTrue(json.contains("\"sweep\":{\"name\":\"t\",\"params_counting\":\"total\",\"role\":\"fit\"}"), json)
        XCTAssertEqual(try JSONDecoder().decode(TrainConfig.self, from: Data(json.utf8)), point.config)

        let v = try SweepExpansion.validationRun(spec, flops: 1e12, params: 1e5)
        XCTAssertEqual(v.role, .validation)
        XCTAssertTrue(v.name.hasPrefix("val-c1e12-"), v.name)
    }

    func testImpossibleGridsAreRefusedWithTheKey() {
        var tooSmall = Self.spec()
        tooSmall.grid.budgets[0].flops = 1e6
        XCTAssertThrowsError(try SweepExpansion.fitRuns(tooSmall)) { XCTAssertTrue("\($0)".contains("less than one step"), "\($0)") }
        var empty = Self.spec()
        empty.grid.budgets = []
        empty.grid.points = []
        XCTAssertThrowsError(try SweepExpansion.fitRuns(empty)) { XCTAssertTrue("\($0)".contains("grid is empty"), "\($0)") }
        var badRange = Self.spec()
        badRange.grid.budgets[0].minParams = 5e5
        XCTAssertThrowsError(try SweepExpansion.fitRuns(badRange)) { XCTAssertTrue("\($0)".contains("grid.budget[1]"), "\($0)") }
        var badSeeds = Self.spec()
        badSeeds.grid.seeds = []
        XCTAssertThrowsError(try SweepExpansion.fitRuns(badSeeds)) { XCTAssertTrue("\($0)".contains("grid.seeds"), "\($0)") }
    }

    func testMinLayersExcludesShallowShapes() throws {
        var spec = Self.spec()
        let shallow = try SweepExpansion.fitRuns(spec)
        XCTAssertTrue(shallow.contains { $0.shape.nLayer == 1 }, "the default rule picks some one-layer shapes here")
        spec.model.minLayers = 2
        let deep = try SweepExpansion.fitRuns(spec)
        XCTAssertTrue(deep.allSatisfy { $0.shape.nLayer >= 2 })
        spec.model.minLayers = 0
        XCTAssertThrowsError(try SweepExpansion.fitRuns(spec)) { XCTAssertTrue("\($0)".contains("model.min_layers"), "\($0)") }
    }

    func testLabels() {
        XCTAssertEqual(SweepExpansion.label(1e11), "1e11")
        XCTAssertEqual(SweepExpansion.label(3e12), "3e12")
        XCTAssertEqual(SweepExpansion.label(2.5e9), "2.5e9")
    }
}
