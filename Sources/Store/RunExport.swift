import Foundation

/// The flat form of a run that `ladder runs --json` and `ladder export` print. `loss` is the
/// loss fits use (validation when measured, else training), so an exported CSV imports back.
public struct ExportedRun: Codable, Equatable, Sendable {
    public var id: Int64
    public var sweep: String
    public var name: String?
    public var status: RunStatus
    public var role: RunRole
    public var params: Double
    public var paramsTotal: Double?
    public var tokens: Double
    public var flops: Double
    public var nLayer: Int?
    public var dModel: Int?
    public var nHead: Int?
    public var dFF: Int?
    public var seed: Int?
    public var loss: Double?
    public var finalTrainLoss: Double?
    public var finalValLoss: Double?
    public var wallSeconds: Double?
    public var error: String?
    /// Validation runs: the loss the law predicted before the run trained, its interval, and the
    /// fit it came from.
    public var predictedLoss: Double?
    public var predictedInterval: [Double]?
    public var predictedByFit: Int64?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, sweep, name, status, role, params, tokens, flops, seed, loss, error
        case paramsTotal = "params_total", nLayer = "n_layer", dModel = "d_model", nHead = "n_head"
        case dFF = "d_ff", finalTrainLoss = "final_train_loss", finalValLoss = "final_val_loss"
        case wallSeconds = "wall_seconds", predictedLoss = "predicted_loss", predictedInterval = "predicted_interval"
        case predictedByFit = "predicted_by_fit"
    }

    public init(_ listing: RunListing) {
        let r = listing.run
        id = r.id ?? 0; sweep = listing.sweep; name = r.name; status = r.status; role = r.role; params = r.params
        paramsTotal = r.paramsTotal; tokens = r.tokens; flops = r.flops; nLayer = r.nLayer
        dModel = r.dModel; nHead = r.nHead; dFF = r.dFF; seed = r.seed; loss = r.loss
        finalTrainLoss = r.finalTrainLoss; finalValLoss = r.finalValLoss
        wallSeconds = r.wallSeconds; error = r.error
        if r.role == .validation {
            let labels = r.labels
            predictedLoss = labels.predictedLoss
            predictedInterval = labels.predictedInterval
            predictedByFit = labels.fitId
        }
    }
}

public enum RunExport {
    static let csvColumns = ["id", "sweep", "name", "status", "role", "params", "params_total", "tokens", "flops",
                             "n_layer", "d_model", "n_head", "d_ff", "seed", "loss", "final_train_loss",
                             "final_val_loss", "wall_seconds", "error"]

    /// CSV with a header; numbers printed exactly (round-trip precision); text cells that a
    /// spreadsheet would run as formulas are escaped (`CSV.text`).
    public static func csv(_ runs: [ExportedRun]) -> String {
        func d(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
        func i<T: BinaryInteger>(_ x: T?) -> String { x.map { "\($0)" } ?? "" }
        var lines = [CSV.line(csvColumns)]
        for r in runs {
            lines.append(CSV.line([i(r.id), CSV.text(r.sweep), CSV.text(r.name ?? ""), r.status.rawValue, r.role.rawValue, d(r.params),
                                   d(r.paramsTotal), d(r.tokens), d(r.flops), i(r.nLayer), i(r.dModel),
                                   i(r.nHead), i(r.dFF), i(r.seed), d(r.loss), d(r.finalTrainLoss),
                                   d(r.finalValLoss), d(r.wallSeconds), CSV.text(r.error ?? "")]))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A JSON array of run objects (snake_case keys, sorted).
    public static func json(_ runs: [ExportedRun]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(runs), as: UTF8.self) + "\n"
    }
}
