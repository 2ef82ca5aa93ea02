import Attention
import Compute
import Distributed
import Foundation
import Training
import XCTest

/// Ring attention against the reference attention of the whole sequence, and context-parallel
/// training against the single-rank run.
final class RingAttentionTests: XCTestCase {
    /// Every rank's rows of out, lse, dq, dk, dv equal the reference's rows at its positions, for
    /// chunk lengths that are not multiples of the flash kernel's 64-row tiles.
    func testRingMatchesReferenceAttentionOnEveryRank() throws {
        for cp in [1, 2, 3] {
            let B = 2, NH = 3, c = 5, d = 16, T = 2 * cp * c, n = B * NH * T * d
            let q = Fixture.randomFloats(n, seed: 1), k = Fixture.randomFloats(n, seed: 2)
            let v = Fixture.randomFloats(n, seed: 3), dout = Fixture.randomFloats(n, seed: 4)
            var out = [Float](repeating: 0, count: n), lse = [Float](repeating: 0, count: B * NH * T)
            var dq = out, dk = out, dv = out
            AttentionReference.forward(out: &out, lse: &lse, q: q, k: k, v: v, B: B, NH: NH, T: T, d: d)
            AttentionReference.backward(dq: &dq, dk: &dk, dv: &dv, dout: dout, q: q, k: k, v: v, B: B, NH: NH, T: T, d: d)
            let results = try InProcessWorld.run(size: cp, timeout: 60) { comm -> [String: Double] in
                let Tl = T / cp
                let positions = RingAttention.positions(rank: comm.rank, cp: cp, seqLen: T)
                XCTAssertEqual(positions.count, Tl)
                func local(_ x: [Float], width: Int) -> [Float] {
                    var y = [Float](repeating: 0, count: B * NH * Tl * width)
                    for bh in 0..<(B * NH) {
                        for (t, p) in positions.enumerated() {
                            for e in 0..<width { y[(bh * Tl + t) * width + e] = x[(bh * T + p) * width + e] }
                        }
                    }
                    return y
                }
                let ring = RingAttention(comm: comm, B: B, NH: NH, localT: Tl, d: d)
                let kernels = Fixture.kernels()
                let lq = local(q, width: d), lk = local(k, width: d), lv = local(v, width: d), ldout = local(dout, width: d)
                var o = [Float](repeating: 0, count: B * NH * Tl * d), l = [Float](repeating: 0, count: B * NH * Tl)
                var gq = o, gk = o, gv = o
                try ring.forward(out: &o, lse: &l, q: lq, k: lk, v: lv, kernels: kernels)
                try ring.backward(dq: &gq, dk: &gk, dv: &gv, dout: ldout, q: lq, k: lk, v: lv, out: o, lse: l, kernels: kernels)
                return ["out": Self.maxRelative(o, local(out, width: d)), "lse": Self.maxRelative(l, local(lse, width: 1)),
                        "dq": Self.maxRelative(gq, local(dq, width: d)), "dk": Self.maxRelative(gk, local(dk, width: d)),
                        "dv": Self.maxRelative(gv, local(dv, width: d))]
            }
            for (rank, errors) in results.enumerated() {
                for (name, e) in errors { XCTAssertLessThan(e, 2e-5, "cp=\(cp) rank \(rank): \(name)") }
            }
        }
    }

    /// Chunks r and 2cp-1-r: positions cover the sequence once and every rank has the same
    /// number of causal (query, key) pairs.
    func testLoadBalancedLayoutCoversTheSequenceWithEqualCausalWork() {
        let cp = 4, T = 32
        var all: [Int] = [], work: [Int] = []
        for r in 0..<cp {
            let p = RingAttention.positions(rank: r, cp: cp, seqLen: T)
            all += p
            work.append(p.reduce(0) { $0 + $1 + 1 })
        }
        XCTAssertEqual(all.sorted(), Array(0..<T))
        XCTAssertEqual(Set(work).count, 1, "causal pairs per rank: \(work)")
    }

    /// max |a - b| / max(max |b|, 1e-3).
    static func maxRelative(_ a: [Float], _ b: [Float]) -> Double {
        var err: Float = 0, scale: Float = 1e-3
        for (x, y) in zip(a, b) {
            err = max(err, abs(x - y))
            scale = max(scale, abs(y))
        }
        return Double(err / scale)
    }
}

final class ContextParallelTests: XCTestCase {
    func run(_ config: TrainConfig, data: TokenDataset, world: Int) throws -> (Fixture.Run, RankMemory) {
        let runs = try ParallelLauncher.run(backend: .threads, worldSize: world) { comm -> (Fixture.Run, RankMemory) in
            let trainer = try ParallelTraining.trainer(config: config, data: data, kernels: Fixture.kernels(), world: comm)
            XCTAssertTrue(trainer is ModelParallelTrainer<FastKernels>)
            var losses: [Float] = []
            let result = try trainer.run(stopAfter: nil, onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
            XCTAssertEqual(result.outcome, .done)
            return (Fixture.Run(losses: losses, params: trainer.parameters.toArray(), valLoss: result.finalValLoss), trainer.memory)
        }
        for r in 1..<world { XCTAssertEqual(runs[r].0.params, runs[0].0.params, "every rank ends with the same parameters") }
        return runs[0]
    }

    func testTwoRanksMatchSingleRankWithHalfTheActivations() throws {
        var config = Fixture.config(batch: 4, steps: 6, microBatches: 2)
        config.train.evalInterval = 3
        let data = Fixture.dataset()
        let reference = try Fixture.reference(config, data: data)
        config.parallel = ParallelConfig(cp: 2)
        let (cp, memory) = try run(config, data: data, world: 2)
        Fixture.assertParity(cp, reference, initial: try Fixture.initialParams(config), "cp=2")
        config.parallel = ParallelConfig()
        let single = try ParallelLauncher.run(backend: .threads, worldSize: 1) { comm in
            try ModelParallelTrainer(config: config, data: data, kernels: Fixture.kernels(), tensor: comm).memory
        }[0]
        XCTAssertEqual(memory.parameters, single.parameters, "parameters are replicated over cp")
        let ratio = Double(memory.activations) / Double(single.activations)
        // half the activations plus the ring's buffers (about 7 x R C floats, shared by the layers:
        // large next to this 2-layer model's)
        XCTAssertLessThan(ratio, 0.62, "activations per rank, cp=2 / cp=1 (ring buffers included)")
        XCTAssertGreaterThan(ratio, 0.5)
    }

    func testFourRanksUntiedRoPERMSNormMatchSingleRank() throws {
        var config = Fixture.config(batch: 2, steps: 5)
        config.model.tiedHead = false
        config.model.position = .rope
        config.model.norm = .rmsNorm
        let data = Fixture.dataset()
        let reference = try Fixture.reference(config, data: data)
        config.parallel = ParallelConfig(cp: 4)
        let (cp, _) = try run(config, data: data, world: 4)
        Fixture.assertParity(cp, reference, initial: try Fixture.initialParams(config), "cp=4 untied rope rmsnorm")
    }

    func testDataAndTensorTimesContextParallelOnFourRanksMatchSingleRank() throws {
        var config = Fixture.config(batch: 4, steps: 5)
        let data = Fixture.dataset()
        let reference = try Fixture.reference(config, data: data)
        let initial = try Fixture.initialParams(config)
        for layout in [ParallelConfig(dp: 2, cp: 2), ParallelConfig(tp: 2, cp: 2)] {
            config.parallel = layout
            let (run, _) = try run(config, data: data, world: 4)
            Fixture.assertParity(run, reference, initial: initial, "dp=\(layout.dp) tp=\(layout.tp) cp=\(layout.cp)")
        }
    }

    func testSequenceThatDoesNotSplitIntoChunksIsRefused() throws {
        var config = Fixture.config(seqLen: 18)
        config.parallel = ParallelConfig(cp: 2)
        XCTAssertThrowsError(try ParallelLauncher.run(backend: .threads, worldSize: 2) { comm in
            _ = try ParallelTraining.trainer(config: config, data: Fixture.dataset(), kernels: Fixture.kernels(), world: comm)
        }) { XCTAssertTrue("\($0)".contains("model.seq_len (18) must divide by 2 x cp (4)"), "\($0)") }
    }
}
