/// What would fit when nothing does: the fewest GPUs for the model, or the largest model for the GPUs.
extension LayoutSearch {
    /// The fewest GPUs, in whole nodes of `gpusPerNode`, on which some layout of `model` fits:
    /// node counts 1, 2, 4, … up to `maxNodes`, then every node count between the last power of two
    /// that failed and the first that fit. `nil` when none up to `maxNodes` fits.
    public static func smallestCluster(model: ClusterModel, accelerator: Accelerator, gpusPerNode: Int,
                                       globalBatchTokens: Double, options: LayoutSearchOptions = LayoutSearchOptions(),
                                       maxNodes: Int = 1 << 20) throws -> Cluster? {
        let usable = accelerator.memoryGB * 1e9 * (1 - options.reserve)
        func fits(_ nodes: Int) throws -> Bool {
            let cluster = Cluster(count: nodes * gpusPerNode, accelerator: accelerator, gpusPerNode: gpusPerNode)
            return try leastMemory(model: model, cluster: cluster, globalBatchTokens: globalBatchTokens, options: options)
                .map { $0 <= usable } ?? false
        }
        var upper = 1
        while upper <= maxNodes, try !fits(upper) { upper *= 2 }
        guard upper <= maxNodes else { return nil }
        var nodes = upper
        let scanStep = max(1, (upper / 2) / 2048)
        var n = upper / 2 + 1
        while n < upper {
            if try fits(n) { nodes = n; break }
            n += scanStep
        }
        return Cluster(count: nodes * gpusPerNode, accelerator: accelerator, gpusPerNode: gpusPerNode)
    }

    /// The largest parallel-friendly model (``ModelShape/parallelSearch(params:counting:vocab:seqLen:kvHeads:)``)
    /// with some layout that fits on `cluster`: bisection on log N between 1e6 and 1e15 parameters, to 1%.
    /// `nil` when not even 1e6 parameters fit.
    public static func largestModel(cluster: Cluster, counting: ParameterCounting = .nonEmbedding, vocab: Int, seqLen: Int,
                                    kvHeads: Int? = nil, flashAttention: Bool = true, globalBatchTokens: Double,
                                    options: LayoutSearchOptions = LayoutSearchOptions()) throws -> ParallelShapeChoice? {
        let usable = cluster.accelerator.memoryGB * 1e9 * (1 - options.reserve)
        func fitting(_ n: Double) throws -> ParallelShapeChoice? {
            let choice = try ModelShape.parallelSearch(params: n, counting: counting, vocab: vocab, seqLen: seqLen, kvHeads: kvHeads)
            let model = ClusterModel(shape: choice.choice.shape, seqLen: seqLen, flashAttention: flashAttention)
            let least = try leastMemory(model: model, cluster: cluster, globalBatchTokens: globalBatchTokens, options: options)
            return (least ?? .infinity) <= usable ? choice : nil
        }
        guard var best = try fitting(1e6) else { return nil }
        var lo = 1e6, hi = 1e15
        if let top = try fitting(hi) { return top }
        while hi / lo > 1.01 {
            let mid = (lo * hi).squareRoot()
            if let c = try fitting(mid) { best = c; lo = mid } else { hi = mid }
        }
        return best
    }
}
