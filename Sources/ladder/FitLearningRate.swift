import ArgumentParser
import Foundation
import Jobs
import ScalingLaws
import Store
import Sweeps

/// `ladder fit --method lr --sweep NAME`: the learning-rate law of a learning-rate sweep, stored
/// as a fit of kind lr that sweeps with `grid.lr_rule = "fitted"` use.
struct FitLearningRate {
    let store: StoreOptions
    let sweep: String?
    let counting: ParameterCounting
    let json: Bool

    func run() throws {
        let db = try store.openExisting()
        guard let sweep, let record = try db.sweep(named: sweep) else {
            throw ValidationError("no sweep named '\(sweep ?? "")' in \(db.path)")
        }
        let runs = try SweepStore.learningRateObservations(db, sweep: sweep, counting: counting)
        let law: LearningRateLaw
        do { law = try LearningRateLaw.fit(runs, counting: counting) } catch { throw ValidationError("sweep '\(sweep)': \(error)") }
        let parameters = String(decoding: try JSONEncoder().encode(law), as: UTF8.self)
        let stored = try db.insertFit(FitRecord(kind: .lr, sweepId: record.id, parameters: parameters))
        if json {
            var object = (try JSONSerialization.jsonObject(with: Data(parameters.utf8)) as? [String: Any]) ?? [:]
            object["fit_id"] = stored.id
            object["runs"] = runs.count
            print(try jsonLine(object))
            return
        }
        let n = counting == .total ? "N total" : "N non-embedding"
        let dTerm = law.tokensExponent == 0 ? "" : " D^\(String(format: "%.4f", law.tokensExponent))"
        print("learning-rate law from \(runs.count) runs of sweep \(sweep): lr_opt = \(String(format: "%.4g", law.coefficient)) \(n)^\(String(format: "%.4f", law.exponent))\(dTerm)  (RMSE of ln lr \(String(format: "%.3f", law.rmseLog)))")
        print(Format.table(header: ["N", "D", "rates tried", "optimal lr", "law's lr", "loss at optimum"], rows: law.optima.map { o in
            [Format.si(o.params), Format.si(o.tokens), o.tried.map { String(format: "%.3g", $0) }.joined(separator: " "),
             String(format: "%.3g", o.lr), String(format: "%.3g", law.lr(params: o.params, tokens: o.tokens)), Format.fixed(o.loss, 4)]
        }), terminator: "")
        print("stored as fit \(stored.id!) (kind lr): sweeps with grid.lr_rule = \"fitted\" use the latest")
    }
}
