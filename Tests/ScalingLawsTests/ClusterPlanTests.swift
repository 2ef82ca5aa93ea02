import XCTest
import ScalingLaws
import Randomness

final class ClusterPlanTests: XCTestCase {
    /// DeepSpeed's ZeRO estimator formulas (bytes per GPU, no offload), computed here by hand.
    func testModelStatesMatchDeepSpeedEstimator() {
        for (n, gpus) in [(1.5e9, 8), (7e9, 16), (30e9, 64), (175e9, 1024), (3.3e8, 1)] as [(Double, Int)] {
            let d = Double(gpus)
            let expected: [ZeROStage: Double] = [.stage0: 16 * n, .stage1: (4 + 12 / d) * n,
                                                 .stage2: (2 + 14 / d) * n, .stage3: 16 * n / d]
            for stage in ZeROStage.allCases {
                let m = ClusterMemory.modelStates(parameters: n, dp: gpus, zero: stage)
                assertRelative(m.parameters + m.gradients + m.optimizerStates, expected[stage]!, 1e-12, "\(stage) N=\(n) dp=\(gpus)")
            }
            // Itemized: stage 2 keeps full bf16 weights, shards gradients and optimizer.
            let s2 = ClusterMemory.modelStates(parameters: n, dp: gpus, zero: .stage2)
            assertRelative(s2.parameters, 2 * n, 1e-12)
            assertRelative(s2.gradients, 2 * n / d, 1e-12)
            assertRelative(s2.optimizerStates, 12 * n / d, 1e-12)
        }
        // Model parallelism divides the states first: N / (tp pp), then ZeRO over dp.
        let m = ClusterMemory.modelStates(parameters: 64e9, dp: 4, tp: 8, pp: 2, zero: .stage1)
        assertRelative(m.parameters + m.gradients + m.optimizerStates, (4 + 12.0 / 4) * 64e9 / 16, 1e-12)
    }

    /// Korthikanti et al. 2022 Table 2 configurations (s = 2048, b = 1, t = 8, sequence parallel);
    /// expected bytes per layer from s b h (34/t + 5 a s / (h t)), evaluated independently.
    func testActivationsMatchKorthikanti() {
        let cases: [(a: Int, h: Int, none: Double, selective: Double, full: Double, noTP: Double)] = [
            (64, 6144, 221_249_536, 53_477_376, 3_145_728, 1_769_996_288),       // GPT 22B
            (96, 12288, 358_612_992, 106_954_752, 6_291_456, 2_868_903_936),     // 175B
            (128, 20480, 513_802_240, 178_257_920, 10_485_760, 4_110_417_920),   // 530B
            (160, 25600, 642_252_800, 222_822_400, 13_107_200, 5_138_022_400),   // 1T
        ]
        for c in cases {
            func act(_ rc: Recomputation, tp: Int = 8, flash: Bool = false) -> Double {
                ClusterMemory.activationsPerLayer(seqLen: 2048, microBatch: 1, hidden: c.h, heads: c.a, tp: tp,
                                                  flashAttention: flash, recomputation: rc)
            }
            assertRelative(act(.none), c.none, 1e-12, "h=\(c.h) none")
            assertRelative(act(.selective), c.selective, 1e-12, "h=\(c.h) selective")
            assertRelative(act(.full), c.full, 1e-12, "h=\(c.h) full")
            assertRelative(act(.none, tp: 1), c.noTP, 1e-12, "h=\(c.h) no TP")
            assertRelative(act(.none, flash: true), c.selective, 1e-12, "flash drops the 5as/h term")
        }
        // Micro-batch scales linearly; context parallelism divides s (quadratic term by cp²).
        let base = ClusterMemory.activationsPerLayer(seqLen: 8192, microBatch: 1, hidden: 4096, heads: 32)
        let b3 = ClusterMemory.activationsPerLayer(seqLen: 8192, microBatch: 3, hidden: 4096, heads: 32)
        assertRelative(b3, 3 * base, 1e-12)
        let cp4 = ClusterMemory.activationsPerLayer(seqLen: 8192, microBatch: 1, hidden: 4096, heads: 32, cp: 4)
        assertRelative(cp4, 2048.0 * 4096 * (34 + 5 * 32 * 2048 / 4096.0), 1e-12)
    }

    func testPipelineActivationsAndTotal() {
        let model = ClusterModel(parameters: 175e9, nLayer: 96, dModel: 12288, nHead: 96, seqLen: 2048, flashAttention: false)
        let layout = ParallelLayout(dp: 8, tp: 8, pp: 8, zero: .stage1, microBatch: 1, recomputation: .selective)
        let mem = ClusterMemory(model: model, layout: layout, microBatchesPerStep: 64)
        XCTAssertEqual(mem.layersPerStage, 12)
        XCTAssertEqual(mem.microBatchesInFlight, 8)
        // First stage holds pp micro-batches of L/pp layers = L layers of one micro-batch (Korthikanti §4.2.3).
        assertRelative(mem.activations, 96 * 106_954_752, 1e-12)
        assertRelative(mem.total, (4 + 12.0 / 8) * 175e9 / 64 + 96 * 106_954_752, 1e-12)
        // Fewer micro-batches than stages: only m in flight.
        XCTAssertEqual(ClusterMemory(model: model, layout: layout, microBatchesPerStep: 3).microBatchesInFlight, 3)
    }

    func testBubbleFraction() {
        XCTAssertEqual(LayoutSearch.bubbleFraction(pp: 1, microBatches: 7), 0)
        XCTAssertEqual(LayoutSearch.bubbleFraction(pp: 4, microBatches: 1), 0.75, accuracy: 1e-15)
        XCTAssertEqual(LayoutSearch.bubbleFraction(pp: 8, microBatches: 64), 7.0 / 71.0, accuracy: 1e-15)
        let t = LayoutSearch.trainingTime(flops: 6 * 7e9 * 1e12, gpus: 64, peakFlops: 989e12, mfu: 0.4)
        assertRelative(t.seconds, 4.2e22 / (64 * 989e12 * 0.4), 1e-12)
        assertRelative(t.gpuHours, t.seconds * 64 / 3600, 1e-12)
    }

    /// Property: every returned layout fits, uses all GPUs, respects the degree rules, and the
    /// ordering puts the fastest estimated step first.
    func testSearchNeverReturnsLayoutThatDoesNotFit() throws {
        var rng = SplitMix64(seed: 12)
        let gpuNames = ["a100-40gb", "a100-80gb", "h100", "h200", "b200", "mi300x", "v100"]
        var sawNothing = false, sawSomething = false
        for _ in 0..<60 {
            let heads = [8, 16, 32, 48, 64, 96][Int(rng.next() % 6)]
            let hidden = heads * 128
            let layers = [12, 24, 32, 40, 48, 60, 80, 96][Int(rng.next() % 8)]
            let seq = [1024, 2048, 4096, 8192, 32_768][Int(rng.next() % 5)]
            let params = 12 * Double(layers) * Double(hidden * hidden) * (0.8 + 0.4 * Double(rng.next() % 1000) / 1000)
            let model = ClusterModel(parameters: params, nLayer: layers, dModel: hidden, nHead: heads, seqLen: seq,
                                     flashAttention: rng.next() % 2 == 0)
            let count = [1, 2, 8, 16, 24, 64, 256][Int(rng.next() % 7)]
            let cluster = try Cluster.parse("\(count)x\(gpuNames[Int(rng.next() % UInt64(gpuNames.count))])")
            let batch = Double(seq) * Double(count) * Double(1 + rng.next() % 64)
            let r = try LayoutSearch.search(model: model, cluster: cluster, globalBatchTokens: batch)
            XCTAssert(r.candidates > 0)
            for o in r.fitting {
                XCTAssertLessThanOrEqual(o.memory.total, cluster.accelerator.memoryGB * 1e9 * 0.9)
                XCTAssertEqual(o.layout.gpus, count)
                XCTAssertEqual(layers % o.layout.pp, 0)
                XCTAssertEqual(heads % o.layout.tp, 0)
                XCTAssertLessThanOrEqual(o.layout.tp, 8)
                XCTAssertGreaterThanOrEqual(o.microBatchesPerStep, 1)
                if o.layout.virtualStages > 1 {
                    XCTAssertEqual(layers % (o.layout.pp * o.layout.virtualStages), 0)
                    XCTAssertEqual(o.microBatchesPerStep % o.layout.pp, 0)
                }
                let recomputed = ClusterMemory(model: model, layout: o.layout, microBatchesPerStep: o.microBatchesPerStep)
                XCTAssertEqual(recomputed.total, o.memory.total)
                if seq < 32_768 { XCTAssertEqual(o.layout.cp, 1) }
            }
            if let best = r.best {
                sawSomething = true
                XCTAssert(r.fitting.allSatisfy { $0.stepTime.total / $0.stepTime.tokens >= best.stepTime.total / best.stepTime.tokens * (1 - 1e-3) }, "fastest per token first")
            } else {
                sawNothing = true
                XCTAssertNotNil(r.smallest)
                XCTAssertGreaterThan(r.smallest!.memory.total, r.usableBytes)
            }
        }
        XCTAssert(sawNothing && sawSomething, "the random cases should cover both outcomes")
    }

    func testNothingFitsAndSmallModelPrefersPlainDP() throws {
        // 1T parameters on 8 GPUs of 40 GB: even ZeRO-3 needs 16e12 / 8 = 2 TB per GPU.
        let huge = ClusterModel(parameters: 1e12, nLayer: 128, dModel: 25600, nHead: 160, seqLen: 2048)
        let r = try LayoutSearch.search(model: huge, cluster: Cluster.parse("8xa100-40gb"), globalBatchTokens: 4e6)
        XCTAssertNil(r.best)
        XCTAssert(r.fitting.isEmpty)
        // 125M on 8 H100: plain data parallel, ZeRO-1, no recomputation.
        let small = ClusterModel(parameters: 125e6, nLayer: 12, dModel: 768, nHead: 12, seqLen: 2048)
        let s = try LayoutSearch.search(model: small, cluster: Cluster.parse("8xh100"), globalBatchTokens: 524_288)
        let best = try XCTUnwrap(s.best)
        XCTAssertEqual(best.layout.dp, 8); XCTAssertEqual(best.layout.tp, 1); XCTAssertEqual(best.layout.pp, 1)
        XCTAssertEqual(best.layout.zero, .stage1); XCTAssertEqual(best.layout.recomputation, .none)
        XCTAssertEqual(best.layout.microBatch, 8)
        XCTAssertEqual(best.microBatchesPerStep, 4)
    }

    func testClusterParse() throws {
        let c = try Cluster.parse("64xH100")
        XCTAssertEqual(c.count, 64); XCTAssertEqual(c.accelerator.name, "h100"); XCTAssertEqual(c.gpusPerNode, 8)
        XCTAssertEqual(try Cluster.parse("4xa100", gpuMemoryGB: 40).accelerator.memoryGB, 40)
        for bad in ["h100", "0xh100", "-2xh100", "8xfoo", "eightxh100", "8x"] {
            XCTAssertThrowsError(try Cluster.parse(bad), bad) { e in
                XCTAssertFalse("\(e)".isEmpty)
            }
        }
    }
}
