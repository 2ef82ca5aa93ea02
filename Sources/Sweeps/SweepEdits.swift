import Foundation
import Store
import Training

/// What changed between a sweep's stored runs and the runs its file plans now: every setting
/// that changes what a run trains (model, data, optimization, parallel layout, the sweep's own
/// labels), compared key by key. Thread counts are left out (results do not depend on them),
/// and so are labels the store adds later (a branch's trunk, a validation run's prediction).
public struct SweepEdits: Equatable, Sendable {
    public struct Change: Equatable, Sendable {
        public var run: String
        public var key: String
        public var stored: String
        public var planned: String
    }

    /// One line per changed key, per run.
    public var changes: [Change] = []
    /// Runs with changes, and whether each has already trained (done or diverged).
    public var changedRuns: [(name: String, id: Int64, finished: Bool)] = []

    public static func == (a: SweepEdits, b: SweepEdits) -> Bool {
        a.changes == b.changes && a.changedRuns.map(\.id) == b.changedRuns.map(\.id)
    }

    public var isEmpty: Bool { changes.isEmpty }


    /// Compares `planned` with the stored runs of the same names.
    public static func between(stored: [RunRecord], planned: [PlannedRun], sweep: String) throws -> SweepEdits {
        let byName = Dictionary(stored.compactMap { r in r.name.map { ($0, r) } }, uniquingKeysWith: { a, _ in a })
        var edits = SweepEdits()
        for p in planned {
            guard let r = byName[p.name], let id = r.id else { continue }
            let old = flatten(normalized(r.config)), new = flatten(normalized(try p.configJSON(sweep: sweep)))
            let keys = Set(old.keys).union(new.keys).sorted()
            let changed = keys.filter { old[$0] != new[$0] }
            guard !changed.isEmpty else { continue }
            edits.changedRuns.append((p.name, id, r.status == .done || r.status == .diverged))
            for k in changed {
                edits.changes.append(Change(run: p.name, key: k, stored: old[k] ?? "(absent)", planned: new[k] ?? "(absent)"))
            }
        }
        return edits
    }

    /// A readable diff: each changed key once, with the runs it changes.
    public func summary(limit: Int = 12) -> String {
        var byKey: [String: [Change]] = [:]
        for c in changes { byKey["\(c.key): \(c.stored) -> \(c.planned)", default: []].append(c) }
        var lines = byKey.keys.sorted().prefix(limit).map { key -> String in
            let runs = byKey[key]!.map(\.run)
            return "  \(key)  (\(runs.count) run\(runs.count == 1 ? "" : "s"): \(runs.prefix(3).joined(separator: ", "))\(runs.count > 3 ? ", ..." : ""))"
        }
        if byKey.count > limit { lines.append("  ... and \(byKey.count - limit) more") }
        return lines.joined(separator: "\n")
    }

    /// A stored or planned run config as a JSON object whose trainer part went through
    /// `TrainConfig` (so settings added since it was stored read as their defaults), without
    /// thread counts and store-added labels.
    static func normalized(_ text: String) -> [String: Any] {
        var object = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
        if let config = try? JSONDecoder().decode(TrainConfig.self, from: Data(text.utf8)),
           let data = try? JSONEncoder().encode(config),
           let trainer = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            for (k, v) in trainer { object[k] = v }
        }
        if var train = object["train"] as? [String: Any] {
            train["threads"] = nil
            object["train"] = train
        }
        if var labels = object["sweep"] as? [String: Any] {
            for k in SweepLabels.storeAddedKeys { labels[k] = nil }
            object["sweep"] = labels
        }
        return object
    }

    /// "train.lr" -> "0.001" for every leaf.
    static func flatten(_ object: [String: Any], prefix: String = "") -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in object {
            let key = prefix.isEmpty ? k : "\(prefix).\(k)"
            if let o = v as? [String: Any] {
                out.merge(flatten(o, prefix: key)) { a, _ in a }
            } else if let data = try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .fragmentsAllowed]) {
                out[key] = String(decoding: data, as: UTF8.self)
            } else {
                out[key] = "\(v)"
            }
        }
        return out
    }
}
