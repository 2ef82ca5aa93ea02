import ArgumentParser
import Foundation
import Jobs
import ScalingLaws
import Store

/// `ladder fit --target task:NAME`: the two-step task model (loss law, then a sigmoid link from loss
/// to the metric), stored with the fit so `ladder plan` predicts the metric.
extension Fit {
    func runTask() throws {
        let name = String(target!.dropFirst("task:".count)).lowercased()
        let imported = try RunImport.parse(try readText(from!), file: from!)
        let with = imported.filter { $0.tasks[name] != nil }
        guard !with.isEmpty else {
            throw ValidationError("\(from!) has no values in column task:\(name)")
        }
        let runs = with.map { Observation(params: $0.params, tokens: $0.tokens, loss: $0.loss, flops: $0.flops, name: $0.name) }
        var options = ParametricFitOptions()
        options.threads = threads
        options.underTunedWeight = underTunedWeight
        var b = BootstrapOptions()
        b.replicates = bootstrap
        b.level = ci
        b.seed = seed
        b.threads = threads
        let model = try TwoStepTaskModel.fit(name: name, runs: runs, metrics: with.map { $0.tasks[name]! }, fitOptions: options, bootstrap: b)
        let boot = model.bootstrap.isEmpty ? nil : Bootstrap(laws: model.bootstrap.map(\.law), level: ci)
        let outcome = FitOutcome.parametric(model.fit, boot)
        let link = model.link
        let linkRMSE = (zip(runs, with).reduce(0.0) { s, p in
            let r = link.metric(loss: p.0.loss) - p.1.tasks[name]!
            return s + r * r
        } / Double(runs.count)).squareRoot()
        let task: [String: Any] = ["name": name, "a": link.a, "k": link.k, "L0": link.L0, "b": link.b, "runs": runs.count, "rmse": linkRMSE]
        var storedId: Int64?
        if !noStore {
            let db = try store.open()
            var parameters = (try JSONSerialization.jsonObject(with: Data(try outcome.parametersJSON().utf8)) as? [String: Any]) ?? [:]
            parameters["task"] = task
            var intervals: String?
            if let text = try outcome.intervalsJSON(), var o = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
                o["task_links"] = model.bootstrap.map(\.link.parameters)
                intervals = try jsonLine(o)
            }
            storedId = try db.insertFit(FitRecord(kind: .parametric, parameters: try jsonLine(parameters), intervals: intervals, runIds: "[]")).id
        }
        if json {
            var object = outcome.summary
            object["task"] = task
            if let storedId { object["fit_id"] = storedId }
            print(try jsonLine(object))
            return
        }
        print("two-step task model for task:\(name) (Bhagia et al. 2024): step 1 the loss law, step 2 the metric from the loss")
        print(outcome.text, terminator: "")
        print(String(format: "step 2: task:%@ = %.4g / (1 + exp(-(%.4g) (L - %.4g))) + %.4g on %d runs (RMSE %.4f)",
                     name, link.a, link.k, link.L0, link.b, runs.count, linkRMSE))
        if imported.count > runs.count { print("\(imported.count - runs.count) run(s) without a task:\(name) value were left out") }
        if let storedId { print("stored as fit \(storedId); `ladder plan --fit \(storedId) --flops C` predicts task:\(name)") }
    }
}

/// The task link stored with a fit, and its bootstrap links (paired with the fit's bootstrap laws).
struct StoredTask {
    var name: String
    var link: TaskLink
    var links: [TaskLink]

    static func decode(_ record: FitRecord) -> StoredTask? {
        guard let p = try? JSONSerialization.jsonObject(with: Data(record.parameters.utf8)) as? [String: Any],
              let t = p["task"] as? [String: Any], let name = t["name"] as? String,
              let a = t["a"] as? Double, let k = t["k"] as? Double, let l0 = t["L0"] as? Double, let b = t["b"] as? Double else { return nil }
        var links: [TaskLink] = []
        if let text = record.intervals, let iv = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
            links = (iv["task_links"] as? [[Double]] ?? []).filter { $0.count == 4 }.map { TaskLink(a: $0[0], k: $0[1], L0: $0[2], b: $0[3]) }
        }
        return StoredTask(name: name, link: TaskLink(a: a, k: k, L0: l0, b: b), links: links)
    }
}
