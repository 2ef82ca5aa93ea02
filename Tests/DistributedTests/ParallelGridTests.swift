import Distributed
import XCTest

final class ParallelGridTests: XCTestCase {
    func testWorldThatDoesNotFactorIsRefusedNamingEachFactor() {
        XCTAssertThrowsError(try ParallelGrid(dp: 2, tp: 3, pp: 1, cp: 1, worldSize: 4)) { error in
            let m = "\(error)"
            for part in ["dp (2)", "tp (3)", "pp (1)", "cp (1)", "= 6", "4 ranks"] {
                XCTAssertTrue(m.contains(part), "\(m) lacks \(part)")
            }
        }
        XCTAssertThrowsError(try ParallelGrid(dp: 0, worldSize: 1)) { error in
            XCTAssertTrue("\(error)".contains("parallel.dp must be at least 1"), "\(error)")
        }
    }

    func testGroupsOfTwoByTwoByTwo() throws {
        let g = try ParallelGrid(dp: 2, tp: 2, pp: 2, cp: 1, worldSize: 8)
        // tp fastest, then cp, dp, pp
        XCTAssertEqual(g.coordinates(of: 5), [.pp: 1, .dp: 0, .cp: 0, .tp: 1])
        XCTAssertEqual(g.groups(.tp), [[0, 1], [2, 3], [4, 5], [6, 7]])
        XCTAssertEqual(g.groups(.dp), [[0, 2], [1, 3], [4, 6], [5, 7]])
        XCTAssertEqual(g.groups(.pp), [[0, 4], [1, 5], [2, 6], [3, 7]])
        XCTAssertEqual(g.groups(.cp), (0..<8).map { [$0] })
        for r in 0..<8 { XCTAssertEqual(g.rank(at: g.coordinates(of: r)), r) }
    }

    func testContextSplitsOneCommunicatorPerDimension() throws {
        let grid = try ParallelGrid(dp: 2, tp: 2, worldSize: 4)
        let seen = try InProcessWorld.run(size: 4, timeout: 20) { world -> [Float] in
            let ctx = try ParallelContext(grid: grid, world: world)
            XCTAssertEqual(ctx.communicator(.tp).size, 2)
            XCTAssertEqual(ctx.communicator(.dp).size, 2)
            XCTAssertEqual(ctx.communicator(.pp).size, 1)
            XCTAssertEqual(ctx.communicator(.tp).rank, ctx.index(.tp))
            var x: [Float] = [Float(world.rank), 1]
            try x.withUnsafeMutableBufferPointer { try ctx.communicator(.dp).allReduce($0.baseAddress!, count: 2) }
            return x
        }
        XCTAssertEqual(seen, [[2, 2], [4, 2], [2, 2], [4, 2]])
        XCTAssertThrowsError(try InProcessWorld.run(size: 2, timeout: 20) { world in
            _ = try ParallelContext(grid: grid, world: world)
        }) { error in XCTAssertTrue("\(error)".contains("needs 4 ranks"), "\(error)") }
    }
}
