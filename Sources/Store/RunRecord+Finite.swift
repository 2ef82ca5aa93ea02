/// Non-finite numbers (inf, NaN) in a run's sizes or losses: refused on the way in, and rows an
/// older Ladder stored with them are set aside on the way out instead of failing every reader.
extension RunRecord {
    /// The columns holding a non-finite number (sizes, compute, losses, wall time).
    public var nonFiniteColumns: [String] {
        var columns: [String] = []
        func check(_ value: Double?, _ name: String) { if let value, !value.isFinite { columns.append(name) } }
        check(params, "params"); check(paramsTotal, "params_total"); check(tokens, "tokens"); check(flops, "flops")
        check(finalTrainLoss, "final_train_loss"); check(finalValLoss, "final_val_loss"); check(wallSeconds, "wall_seconds")
        return columns
    }

    /// Throws naming the run and every non-finite column.
    func checkFinite() throws {
        let bad = nonFiniteColumns
        guard !bad.isEmpty else { return }
        let values = bad.map { column -> String in
            switch column {
            case "params": return "params = \(params)"
            case "params_total": return "params_total = \(paramsTotal!)"
            case "tokens": return "tokens = \(tokens)"
            case "flops": return "flops = \(flops)"
            case "final_train_loss": return "final_train_loss = \(finalTrainLoss!)"
            case "final_val_loss": return "final_val_loss = \(finalValLoss!)"
            default: return "wall_seconds = \(wallSeconds!)"
            }
        }
        throw StoreError.invalid("run '\(name ?? id.map(String.init) ?? "?")' has non-finite values (\(values.joined(separator: ", "))); nothing was stored")
    }
}

extension ResultStore {
    /// Runs whose stored numbers are not finite (written before Ladder refused them). Listings,
    /// exports and fits leave them out; `ladder runs` warns about them and `ladder runs delete`
    /// removes them.
    public func poisonedRuns() throws -> [RunListing] {
        try allRuns().filter { !$0.run.nonFiniteColumns.isEmpty }
    }
}
