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
        let data = try taskRuns(name)
        let runs = data.runs, metrics = data.metrics
        var options = ParametricFitOptions()
        options.threads = threads
        options.underTunedWeight = underTunedWeight
        var b = BootstrapOptions()
        b.replicates = bootstrap
        b.level = ci
        b.seed = seed
        b.threads = threads
        let model = try TwoStepTaskModel.fit(name: name, runs: runs, metrics: metrics, fitOptions: options, bootstrap: b)
        let boot = model.bootstrap.isEmpty ? nil : Bootstrap(laws: model.bootstrap.map(\.law), level: ci)
        let outcome = FitOutcome.parametric(model.fit, boot)
        let link = model.link
        let linkRMSE = (zip(runs, metrics).reduce(0.0) { s, p in
            let r = link.metric(loss: p.0.loss) - p.1
            return s + r * r
        } / Double(runs.count)).squareRoot()
        let task: [String: Any] = ["name": name, "a": link.a, "k": link.k, "L0": link.L0, "b": link.b, "runs": runs.count, "rmse": linkRMSE]
        var storedId: Int64?
        if !noStore {
            let db = try data.db ?? store.open()
            var parameters = outcome.parametersObject
            parameters["task"] = task
            var intervals: String?
            if let text = try outcome.intervalsJSON(), var o = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
                o["task_links"] = model.bootstrap.map(\.link.parameters)
                intervals = try jsonLine(o)
            }
            let runIds = String(decoding: try JSONEncoder().encode(data.runIds), as: UTF8.self)
            storedId = try db.insertFit(FitRecord(kind: .parametric, sweepId: data.sweepId, parameters: try jsonLine(parameters),
                                                  intervals: intervals, runIds: runIds)).id
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
        if data.without > 0 { print("\(data.without) run(s) without a task:\(name) value were left out") }
        if let storedId { print("stored as fit \(storedId); `ladder plan --fit \(storedId) --flops C` predicts task:\(name)") }
    }
}

/// The runs a task fit uses: those with a value of the metric, from the `--from` file or the store.
struct TaskRuns {
    var runs: [Observation]
    var metrics: [Double]
    /// Runs left out for having no value.
    var without: Int
    var runIds: [Int64] = []
    var sweepId: Int64?
    var db: ResultStore?
}

extension Fit {
    func taskRuns(_ name: String) throws -> TaskRuns {
        if let from {
            let imported = try readImportFile(from).runs
            let with = imported.filter { $0.tasks[name] != nil }
            guard !with.isEmpty else { throw ValidationError("\(from) has no values in column task:\(name)") }
            return TaskRuns(runs: with.map { Observation(params: $0.params, tokens: $0.tokens, loss: $0.loss, flops: $0.flops, name: $0.name) },
                            metrics: with.map { $0.tasks[name]! }, without: imported.count - with.count)
        }
        let (observations, ids, sweepId, db) = try loadObservations()
        let values = try db!.finalTaskMetrics(named: name, runIds: ids)
        let kept = zip(observations, ids).filter { values[$0.1] != nil }
        guard !kept.isEmpty else {
            let names = try db!.taskMetricNames(runIds: ids).map { "task:" + $0 }
            let scope = sweep.map { "sweep '\($0)'" } ?? "the database"
            throw ValidationError("none of the \(observations.count) finished run(s) of \(scope) has a stored task:\(name) value ("
                                  + (names.isEmpty ? "no task metrics are stored for them; `ladder import FILE` stores a file's task:NAME columns"
                                                   : "stored task metrics: \(names.joined(separator: ", "))") + ")")
        }
        return TaskRuns(runs: kept.map(\.0), metrics: kept.map { values[$0.1]! }, without: observations.count - kept.count,
                        runIds: kept.map(\.1), sweepId: sweepId, db: db)
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
