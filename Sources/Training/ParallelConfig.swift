/// The `[parallel]` section of a training config: how many ranks split the run along each axis
/// (1 disables an axis). The world size of the run is dp x tp x pp x cp.
///
///     [parallel]
///     dp = 2      # data-parallel replicas: train.batch sequences are split between them
///     tp = 1      # tensor parallel (attention heads and MLP hidden split)
///     pp = 1      # pipeline stages (layers split, 1F1B over train.micro_batches)
///     cp = 1      # context parallel (the sequence split, ring attention)
///     zero = 1    # 0: every dp rank keeps full AdamW state; 1: ZeRO-1 shards it over dp
public struct ParallelConfig: Codable, Equatable, Sendable {
    public var dp: Int = 1
    public var tp: Int = 1
    public var pp: Int = 1
    public var cp: Int = 1
    /// ZeRO stage over the data-parallel group: 0 (replicated optimizer state) or 1 (sharded).
    public var zero: Int = 0

    public init(dp: Int = 1, tp: Int = 1, pp: Int = 1, cp: Int = 1, zero: Int = 0) {
        self.dp = dp; self.tp = tp; self.pp = pp; self.cp = cp; self.zero = zero
    }

    enum CodingKeys: String, CodingKey { case dp, tp, pp, cp, zero }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dp = try c.decodeIfPresent(Int.self, forKey: .dp) ?? 1
        tp = try c.decodeIfPresent(Int.self, forKey: .tp) ?? 1
        pp = try c.decodeIfPresent(Int.self, forKey: .pp) ?? 1
        cp = try c.decodeIfPresent(Int.self, forKey: .cp) ?? 1
        zero = try c.decodeIfPresent(Int.self, forKey: .zero) ?? 0
    }

    /// Ranks the run needs: dp x tp x pp x cp.
    public var worldSize: Int { dp * tp * pp * cp }

    /// "dp=2,tp=1,pp=1,cp=1,zero=0": the layout as `--parallel` takes it.
    public var label: String { "dp=\(dp),tp=\(tp),pp=\(pp),cp=\(cp),zero=\(zero)" }

    /// The keys `[parallel]` may use.
    public static let fileKeys = ["dp", "tp", "pp", "cp", "zero"]

    /// Checks the factors; the message names the key.
    public func validate() throws {
        for (name, v) in [("dp", dp), ("tp", tp), ("pp", pp), ("cp", cp)] where v < 1 {
            throw TrainingError.invalidConfig("parallel.\(name) must be at least 1 (1 disables it), got \(v)")
        }
        if !(0...1).contains(zero) { throw TrainingError.invalidConfig("parallel.zero must be 0 or 1, got \(zero)") }
    }
}
