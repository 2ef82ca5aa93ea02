import ScalingLaws
import Store
import Sweeps

/// The runs a fit uses (done, role fit, with a loss) as observations, with their ids; the IsoFLOP
/// budget is the label a sweep stored in the run's config.
public func fittedObservations(_ db: ResultStore, sweep: String?, counting: ParameterCounting? = nil) throws -> ([Observation], [Int64]) {
    let runs = try db.runs(sweep: sweep, status: .done).map(\.run)
        .filter { $0.role == .fit && $0.loss != nil && $0.labels.wsd != .trunk }
    let obs = runs.map { r in
        Observation(params: SweepStore.params(of: r, counting: counting), tokens: r.tokens, loss: r.loss!, flops: r.flops, name: r.name,
                    budget: r.labels.budget)
    }
    return (obs, runs.compactMap(\.id))
}
