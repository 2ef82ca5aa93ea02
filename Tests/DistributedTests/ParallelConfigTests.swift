import Distributed
import Foundation
import Training
import XCTest

final class ParallelConfigTests: XCTestCase {
    func testParallelSectionDecodesAndDefaultsToOneRank() throws {
        let base = #"{"model": {"seq_len": 16, "d_model": 32, "n_layer": 2, "n_head": 2}, "data": {"path": "x"}"#
        let plain = try JSONDecoder().decode(TrainConfig.self, from: Data((base + "}").utf8))
        XCTAssertEqual(plain.parallel, ParallelConfig())
        XCTAssertEqual(plain.parallel.worldSize, 1)
        let dp = try JSONDecoder().decode(TrainConfig.self, from: Data((base + #", "parallel": {"dp": 2, "tp": 3, "zero": 1}}"#).utf8))
        XCTAssertEqual(dp.parallel, ParallelConfig(dp: 2, tp: 3, pp: 1, cp: 1, zero: 1))
        XCTAssertEqual(dp.parallel.worldSize, 6)
        // round trip through the stored JSON form
        XCTAssertEqual(try JSONDecoder().decode(TrainConfig.self, from: JSONEncoder().encode(dp)), dp)
        var bad = dp
        bad.parallel.cp = 0
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("parallel.cp must be at least 1"), "\($0)") }
        bad.parallel.cp = 1
        bad.parallel.zero = 2
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("parallel.zero must be 0 or 1"), "\($0)") }
    }

    func testTrainerForLayoutRefusesBadZeroStageAndWrongWorld() throws {
        var config = Fixture.config(batch: 4)
        config.parallel = ParallelConfig(dp: 2, tp: 2, zero: 2)
        XCTAssertThrowsError(try InProcessWorld.run(size: 4, timeout: 20) { comm in
            _ = try ParallelTraining.trainer(config: config, data: Fixture.dataset(), kernels: Fixture.kernels(), world: comm)
        }) { XCTAssertTrue("\($0)".contains("parallel.zero must be 0 or 1, got 2"), "\($0)") }
        config.parallel = ParallelConfig(dp: 2)
        XCTAssertThrowsError(try InProcessWorld.run(size: 3, timeout: 20) { comm in
            _ = try ParallelTraining.trainer(config: config, data: Fixture.dataset(), kernels: Fixture.kernels(), world: comm)
        }) { XCTAssertTrue("\($0)".contains("dp (2) x tp (1) x pp (1) x cp (1) = 2, but the world has 3 ranks"), "\($0)") }
        let memory = try ParallelLauncher.run(backend: .threads, worldSize: 2) { comm in
            try ParallelTraining.trainer(config: config, data: Fixture.dataset(), kernels: Fixture.kernels(), world: comm).memory
        }
        let n = ParameterLayout(config.model).count
        for m in memory {
            XCTAssertEqual([m.parameters, m.gradients, m.optimizerState], [4 * n, 4 * n, 8 * n])
            XCTAssertGreaterThan(m.activations, 0)
        }
    }

    func testMPIBackendWithoutTheTraitSaysHowToGetIt() throws {
        guard !CommunicationBackend.mpiAvailable else { throw XCTSkip("this build has MPI") }
        XCTAssertThrowsError(try ParallelLauncher.run(backend: .mpi, worldSize: 2) { _ in }) {
            XCTAssertTrue("\($0)".contains("--traits MPI"), "\($0)")
        }
    }
}
