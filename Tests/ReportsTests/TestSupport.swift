import Foundation
import ScalingLaws
import Store
import XCTest
#if canImport(FoundationXML)
import FoundationXML
import Randomness
#endif

/// A sweep built through the Store API: IsoFLOP budgets of runs whose losses follow a known law
/// (with seeded noise), a logged loss curve per run, a validation run with a recorded prediction,
/// and optionally stored fits.
struct SyntheticSweep {
    static let law = ChinchillaLaw(E: 1.2, A: 20, B: 300, alpha: 0.32, beta: 0.38)
    static let budgets: [Double] = [1e11, 3e11, 1e12]

    let store: ResultStore
    let name: String
    var runs: [RunRecord]
    var parametricFitId: Int64?
    var isoflopFitId: Int64?
    var validationPrediction: Double

    static func label(_ flops: Double) -> String {
        String(format: "%.3g", flops).replacingOccurrences(of: "e+", with: "e").replacingOccurrences(of: "e0", with: "e")
    }

    static func config(_ labels: [String: Any]) -> String {
        let object: [String: Any] = ["train": ["lr": 0.005], "sweep": labels]
        return String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Builds the sweep `name` in `store`. `storeFits`: store a parametric fit (the law itself, with
    /// bootstrap laws) and the IsoFLOP fit of the runs, as `ladder fit` would.
    static func make(store: ResultStore, name: String = "synthetic", seed: UInt64 = 7, storeFits: Bool = true,
                     sizesPerBudget: Int = 5, failedRun: Bool = true) throws -> SyntheticSweep {
        var rng = SplitMix64(seed: seed)
        var planned: [RunRecord] = []
        for c in budgets {
            let opt = try law.computeOptimal(flops: c)
            for i in 0..<sizesPerBudget {
                let spread = Double(i) - Double(sizesPerBudget - 1) / 2
                let n = (opt.params * Foundation.pow(2.2, spread) * (1 + 0.03 * rng.nextGaussian())).rounded()
                let d = (c / (6 * n)).rounded()
                planned.append(RunRecord(sweepId: 0, name: "\(label(c))-n\(Int(n))", status: .pending,
                                         config: config(["name": name, "role": "fit", "budget": label(c)]),
                                         params: n, paramsTotal: n + 16_384, tokens: d, flops: 6 * n * d, seed: 1))
            }
        }
        let cv = 2e12
        let optV = try law.computeOptimal(flops: cv)
        var validation = RunRecord(sweepId: 0, name: "val-2e12", status: .pending, config: "{}", params: optV.params.rounded(),
                                   tokens: (cv / (6 * optV.params.rounded())).rounded(), flops: cv, seed: 1)
        validation.role = .validation
        planned.append(validation)
        if failedRun {
            planned.append(RunRecord(sweepId: 0, name: "crashed", status: .pending, config: config(["name": name, "role": "fit", "budget": "1e12"]),
                                     params: 5000, tokens: 3.3e7, flops: 1e12, seed: 1))
        }
        var runs = try store.insertRuns(planned, intoSweep: name, spec: "name = \"\(name)\"\n[plan]\nflops = [1e13, 1e14]\nbootstrap = 20\n")

        // Train: a loss curve of 5 evaluations (one at 0 tokens), final loss = last evaluation.
        for k in runs.indices where runs[k].name != "crashed" {
            var r = runs[k]
            var metrics: [MetricRecord] = [MetricRecord(runId: r.id!, step: 0, tokensSeen: 0, trainLoss: 5.55, valLoss: 5.545)]
            var last = 0.0
            for e in 1...4 {
                let t = r.tokens * Double(e) / 4
                last = law.loss(params: r.params, tokens: t) * (1 + 0.006 * rng.nextGaussian())
                metrics.append(MetricRecord(runId: r.id!, step: e * 50, tokensSeen: t, trainLoss: last + 0.01, valLoss: last))
            }
            try store.appendMetrics(metrics)
            r.status = .done
            r.finalValLoss = last
            r.finalTrainLoss = last + 0.01
            r.wallSeconds = 10
            runs[k] = r
            try store.updateRun(r)
        }
        if let k = runs.firstIndex(where: { $0.name == "crashed" }) {
            runs[k].status = .failed
            runs[k].error = "killed"
            try store.updateRun(runs[k])
        }
        let fitRuns = runs.filter { $0.role == .fit && $0.status == .done }
        let ids = String(decoding: try JSONEncoder().encode(fitRuns.map { $0.id! }), as: UTF8.self)
        let sweepId = try store.sweep(named: name)!.id
        var sweep = SyntheticSweep(store: store, name: name, runs: runs, validationPrediction: 0)
        if storeFits {
            var laws: [[Double]] = []
            for _ in 0..<40 {
                let l = law
                laws.append([l.E * (1 + 0.01 * rng.nextGaussian()), l.A * (1 + 0.05 * rng.nextGaussian()),
                             l.B * (1 + 0.05 * rng.nextGaussian()), l.alpha * (1 + 0.02 * rng.nextGaussian()),
                             l.beta * (1 + 0.02 * rng.nextGaussian())])
            }
            let params: [String: Any] = ["method": "parametric", "E": law.E, "A": law.A, "B": law.B, "alpha": law.alpha, "beta": law.beta,
                                         "a": law.paramsExponent, "b": law.tokensExponent, "runs": fitRuns.count]
            let intervals: [String: Any] = ["level": 0.8, "resamples": 40, "laws": laws]
            sweep.parametricFitId = try store.insertFit(FitRecord(kind: .parametric, sweepId: sweepId, parameters: json(params),
                                                                  intervals: json(intervals), runIds: ids)).id
            let obs = fitRuns.map { Observation(params: $0.params, tokens: $0.tokens, loss: $0.loss!, flops: $0.flops, name: $0.name,
                                                budget: budgetLabel($0)) }
            let f = try IsoFLOP.fit(obs, skippingUnusableBudgets: true)
            let iso: [String: Any] = ["method": "isoflop", "a": f.paramsExponent, "b": f.tokensExponent,
                                      "params_coefficient": f.paramsCoefficient, "tokens_coefficient": f.tokensCoefficient,
                                      "runs": obs.count, "refused_budgets": f.refused,
                                      "budgets": f.budgets.map { ["label": $0.label, "flops": $0.flops, "runs": $0.runs,
                                                                  "optimal_params": $0.optimalParams, "optimal_tokens": $0.optimalTokens,
                                                                  "minimum_loss": $0.minimumLoss, "coefficients": $0.coefficients] }]
            sweep.isoflopFitId = try store.insertFit(FitRecord(kind: .isoflop, sweepId: sweepId, parameters: json(iso), runIds: ids)).id
        }
        // The validation run's prediction, recorded "before it trained".
        let k = runs.firstIndex { $0.role == .validation }!
        let predicted = law.loss(params: runs[k].params, tokens: runs[k].tokens) * 0.99
        runs[k].config = config(["name": name, "role": "validation", "budget": "val-2e12", "predicted_loss": predicted,
                                 "fit_id": sweep.parametricFitId ?? 0])
        try store.updateRun(runs[k])
        sweep.runs = runs
        // What the store holds (JSON text may round the last digit), read back the way readers do.
        let stored = try store.run(id: runs[k].id!)!
        sweep.validationPrediction = try XCTUnwrap(stored.labels.predictedLoss)
        XCTAssertEqual(sweep.validationPrediction, predicted, accuracy: 1e-12)
        return sweep
    }

    static func budgetLabel(_ r: RunRecord) -> String? {
        guard let o = try? JSONSerialization.jsonObject(with: Data(r.config.utf8)) as? [String: Any] else { return nil }
        return (o["sweep"] as? [String: Any])?["budget"] as? String
    }

    static func json(_ o: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// A parsed XML element tree (enough to query SVG and the page).
final class XMLNode {
    let name: String
    let attributes: [String: String]
    var children: [XMLNode] = []
    var text = ""
    init(name: String, attributes: [String: String]) { self.name = name; self.attributes = attributes }

    /// Every descendant (and self) in document order.
    var all: [XMLNode] { [self] + children.flatMap(\.all) }

    func elements(_ name: String, class cls: String? = nil) -> [XMLNode] {
        all.filter { $0.name == name && (cls == nil || ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(cls!))) }
    }

    func withClass(_ cls: String) -> [XMLNode] {
        all.filter { ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(cls)) }
    }

    /// Concatenated text of self and descendants.
    var fullText: String { text + children.map(\.fullText).joined() }
}

final class TreeBuilder: NSObject, XMLParserDelegate {
    var stack: [XMLNode] = []
    var root: XMLNode?
    var error: Error?

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        let node = XMLNode(name: name, attributes: attributes)
        stack.last?.children.append(node)
        if stack.isEmpty { root = node }
        stack.append(node)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        stack.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { stack.last?.text += string }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { error = parseError }
}

/// Parses `text` as XML, failing the test (and returning nil) when it is not well formed.
func parseXML(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> XMLNode? {
    let parser = XMLParser(data: Data(text.utf8))
    let builder = TreeBuilder()
    parser.delegate = builder
    let ok = parser.parse()
    XCTAssertTrue(ok, "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)", file: file, line: line)
    return ok ? builder.root : nil
}
