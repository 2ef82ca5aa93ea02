import Foundation
import GRDB

/// Lifecycle of a run. Stored as text; the schema's CHECK constraint lists the same values.
public enum RunStatus: String, Codable, CaseIterable, Sendable, DatabaseValueConvertible {
    case pending, running, done, failed, diverged, interrupted
}

/// What a run is for: fitting the law, or checking its prediction at a larger budget.
public enum RunRole: String, Codable, CaseIterable, Sendable, DatabaseValueConvertible {
    case fit, validation
}

/// A named group of runs, with the text of the sweep file that produced it (empty for imports).
public struct SweepRecord: Codable, Equatable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "sweep"
    public var id: Int64?
    public var name: String
    public var spec: String
    public var created: Date

    public init(id: Int64? = nil, name: String, spec: String = "", created: Date = Date()) {
        self.id = id; self.name = name; self.spec = spec; self.created = created
    }
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One training run: its configuration, its size (N, D, C) and its outcome.
/// `params` is the non-embedding parameter count N that scaling laws use; `paramsTotal` adds the
/// embeddings when known.
public struct RunRecord: Codable, Equatable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "run"
    public var id: Int64?
    public var sweepId: Int64
    public var name: String?
    public var status: RunStatus
    public var config: String
    public var nLayer: Int?
    public var dModel: Int?
    public var nHead: Int?
    public var dFF: Int?
    public var params: Double
    public var paramsTotal: Double?
    public var tokens: Double
    public var flops: Double
    public var seed: Int?
    public var finalTrainLoss: Double?
    public var finalValLoss: Double?
    public var wallSeconds: Double?
    public var error: String?
    public var host: String?
    public var codeVersion: String?
    public var created: Date
    public var updated: Date
    public var role: RunRole = .fit
    /// Optimizer steps fp16 loss scaling skipped (nil unless the run used fp16).
    public var skippedSteps: Int?
    /// The run's identity: unique across databases, it names the run's folder (and so its
    /// checkpoint). Assigned when the run is stored; nil for runs stored before identities existed.
    public var uuid: String?

    enum CodingKeys: String, CodingKey {
        case id, name, status, config, params, tokens, flops, seed, error, host, created, updated, role, uuid
        case skippedSteps = "skipped_steps"
        case sweepId = "sweep_id", nLayer = "n_layer", dModel = "d_model", nHead = "n_head", dFF = "d_ff"
        case paramsTotal = "params_total", finalTrainLoss = "final_train_loss"
        case finalValLoss = "final_val_loss", wallSeconds = "wall_seconds", codeVersion = "code_version"
    }

    public init(id: Int64? = nil, sweepId: Int64, name: String? = nil, status: RunStatus = .pending,
                config: String = "{}", nLayer: Int? = nil, dModel: Int? = nil, nHead: Int? = nil,
                dFF: Int? = nil, params: Double, paramsTotal: Double? = nil, tokens: Double,
                flops: Double, seed: Int? = nil, finalTrainLoss: Double? = nil,
                finalValLoss: Double? = nil, wallSeconds: Double? = nil, error: String? = nil,
                host: String? = nil, codeVersion: String? = nil, created: Date = Date(),
                updated: Date = Date()) {
        self.id = id; self.sweepId = sweepId; self.name = name; self.status = status
        self.config = config; self.nLayer = nLayer; self.dModel = dModel; self.nHead = nHead
        self.dFF = dFF; self.params = params; self.paramsTotal = paramsTotal; self.tokens = tokens
        self.flops = flops; self.seed = seed; self.finalTrainLoss = finalTrainLoss
        self.finalValLoss = finalValLoss; self.wallSeconds = wallSeconds; self.error = error
        self.host = host; self.codeVersion = codeVersion; self.created = created; self.updated = updated
    }

    /// The loss a fit uses: validation loss when measured, else training loss.
    public var loss: Double? { finalValLoss ?? finalTrainLoss }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One logged point of a run's training curve.
public struct MetricRecord: Codable, Equatable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "metric"
    public var id: Int64?
    public var runId: Int64
    public var step: Int
    public var tokensSeen: Double
    public var trainLoss: Double?
    public var valLoss: Double?
    public var learningRate: Double?
    public var tokensPerSecond: Double?
    /// fp16: the dynamic loss scale after this step, and the steps skipped so far.
    public var lossScale: Double?
    public var skippedSteps: Int?

    enum CodingKeys: String, CodingKey {
        case id, step
        case runId = "run_id", tokensSeen = "tokens_seen", trainLoss = "train_loss"
        case valLoss = "val_loss", learningRate = "learning_rate", tokensPerSecond = "tokens_per_second"
        case lossScale = "loss_scale", skippedSteps = "skipped_steps"
    }

    public init(id: Int64? = nil, runId: Int64, step: Int, tokensSeen: Double, trainLoss: Double? = nil,
                valLoss: Double? = nil, learningRate: Double? = nil, tokensPerSecond: Double? = nil) {
        self.id = id; self.runId = runId; self.step = step; self.tokensSeen = tokensSeen
        self.trainLoss = trainLoss; self.valLoss = valLoss; self.learningRate = learningRate
        self.tokensPerSecond = tokensPerSecond
    }
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// Takes `other`'s values where this point has none (a step's training values and its
    /// evaluation may be recorded separately).
    public mutating func fill(from other: MetricRecord) {
        trainLoss = trainLoss ?? other.trainLoss
        valLoss = valLoss ?? other.valLoss
        learningRate = learningRate ?? other.learningRate
        tokensPerSecond = tokensPerSecond ?? other.tokensPerSecond
        lossScale = lossScale ?? other.lossScale
        skippedSteps = skippedSteps ?? other.skippedSteps
    }
}

/// Kinds of fit the store keeps.
public enum FitKind: String, Codable, CaseIterable, Sendable, DatabaseValueConvertible {
    /// A law L(N, D), an IsoFLOP fit, or a learning-rate law lr_opt(N).
    case parametric, isoflop, lr
}

/// A fitted law: its parameters and intervals as JSON objects, and the runs it used.
public struct FitRecord: Codable, Equatable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "fit"
    public var id: Int64?
    public var kind: FitKind
    public var sweepId: Int64?
    public var parameters: String
    public var intervals: String?
    public var runIds: String
    public var created: Date

    enum CodingKeys: String, CodingKey {
        case id, kind, parameters, intervals, created
        case sweepId = "sweep_id", runIds = "run_ids"
    }

    public init(id: Int64? = nil, kind: FitKind, sweepId: Int64? = nil, parameters: String,
                intervals: String? = nil, runIds: String = "[]", created: Date = Date()) {
        self.id = id; self.kind = kind; self.sweepId = sweepId; self.parameters = parameters
        self.intervals = intervals; self.runIds = runIds; self.created = created
    }
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
