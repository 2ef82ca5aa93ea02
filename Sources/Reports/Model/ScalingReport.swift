import Foundation
import ScalingLaws
import Store

/// Everything a report shows, loaded from the store (``ReportLoader``) and rendered by pure
/// functions (``Figures``, ``HTMLPage``, ``TextReport``).
public struct ScalingReport: Sendable {
    public var sweep: String
    /// Where the runs came from (the database path).
    public var database: String
    /// Every run of the sweep, in insertion order (any status).
    public var runs: [ReportRun]
    /// The parametric law, when one is stored for these runs or could be fitted now.
    public var parametric: ParametricSummary?
    /// Why there is no parametric law (when ``parametric`` is nil).
    public var parametricMissing: String?
    /// The IsoFLOP fit, when stored or fitted now.
    public var isoflop: IsoFLOPSummary?
    /// Why there is no IsoFLOP fit.
    public var isoflopMissing: String?
    /// Compute-optimal N and D against compute: measured minima, fitted lines, references.
    public var frontier: Frontier
    /// Compute-optimal plans for larger budgets (empty without a parametric law).
    public var plan: [PlanRow]
    /// How the fitted law's frontier and plan count C: the sweep's own counting (6 N D for runs
    /// imported without a sweep file).
    public var flopCounting: FlopCounting = .sixND
    /// "C = 6 N D", or "C as the sweep counts it" (per shape, output head and attention included).
    public var flopCountingLabel: String {
        if case .sixND = flopCounting { return "C = 6 N D" }
        return "C as the sweep counts it: every matmul and attention per shape"
    }

    public init(sweep: String, database: String, runs: [ReportRun], parametric: ParametricSummary?, parametricMissing: String?,
                isoflop: IsoFLOPSummary?, isoflopMissing: String?, frontier: Frontier, plan: [PlanRow],
                flopCounting: FlopCounting = .sixND) {
        self.sweep = sweep; self.database = database; self.runs = runs
        self.parametric = parametric; self.parametricMissing = parametricMissing
        self.isoflop = isoflop; self.isoflopMissing = isoflopMissing
        self.frontier = frontier; self.plan = plan; self.flopCounting = flopCounting
    }

    /// Runs with status done and a loss.
    public var finishedRuns: [ReportRun] { runs.filter { $0.status == .done && $0.loss != nil } }
    /// Finished runs the law is fitted on.
    public var fittedRuns: [ReportRun] { finishedRuns.filter(\.countsForFit) }
    /// Validation runs (any status; measured only when done).
    public var validationRuns: [ReportRun] { runs.filter { $0.role == .validation } }
}

/// One run as the report shows it.
public struct ReportRun: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var role: RunRole
    public var status: RunStatus
    /// Non-embedding parameters N, tokens D, compute C.
    public var params: Double
    public var tokens: Double
    public var flops: Double
    /// Final loss (validation loss when measured, else training loss).
    public var loss: Double?
    /// The sweep's IsoFLOP budget label (`{"sweep": {"budget": ...}}` in the run config).
    public var budget: String?
    /// For validation runs: the law's prediction, recorded before the run trained.
    public var predictedLoss: Double?
    /// The fit that made ``predictedLoss``.
    public var predictedByFit: Int64?
    /// Validation loss against tokens seen, from the run's logged evaluations.
    public var curve: [CurvePoint]
    /// A WSD trunk (constant rate, `{"sweep": {"wsd": "trunk"}}`): shown, never fitted.
    public var wsdTrunk = false
    /// Finished fit runs with a loss, WSD trunks left out: what the fits use.
    public var countsForFit: Bool { status == .done && loss != nil && role == .fit && !wsdTrunk }

    public init(id: Int64, name: String, role: RunRole, status: RunStatus, params: Double, tokens: Double, flops: Double,
                loss: Double?, budget: String?, predictedLoss: Double?, predictedByFit: Int64?, curve: [CurvePoint]) {
        self.id = id; self.name = name; self.role = role; self.status = status
        self.params = params; self.tokens = tokens; self.flops = flops; self.loss = loss; self.budget = budget
        self.predictedLoss = predictedLoss; self.predictedByFit = predictedByFit; self.curve = curve
    }
}

public struct CurvePoint: Sendable, Equatable {
    public var tokens: Double
    public var loss: Double
    public init(tokens: Double, loss: Double) { self.tokens = tokens; self.loss = loss }
}

/// Where a fit comes from.
public enum FitSource: Sendable, Equatable {
    /// A fit stored in the database (its id) whose runs are exactly the sweep's finished fit runs.
    case stored(id: Int64)
    /// Fitted while loading the report (not stored).
    case computed

    public var text: String {
        switch self {
        case let .stored(id): return "fit \(id)"
        case .computed: return "fitted for this report (not stored)"
        }
    }
}

/// The parametric law `L = E + A/N^alpha + B/D^beta`, its bootstrap laws and the fitted runs'
/// residuals under it.
public struct ParametricSummary: Sendable {
    public var law: ChinchillaLaw
    public var source: FitSource
    /// One law per bootstrap resample (empty without a bootstrap).
    public var bootstrap: [ChinchillaLaw]
    /// Central coverage of the bootstrap intervals, e.g. 0.8.
    public var level: Double?
    /// Every fitted run's residual.
    public var residuals: [RunResidual]

    public init(law: ChinchillaLaw, source: FitSource, bootstrap: [ChinchillaLaw], level: Double?, residuals: [RunResidual]) {
        self.law = law; self.source = source; self.bootstrap = bootstrap; self.level = level; self.residuals = residuals
    }

    /// The "poorly determined" flags of the bootstrap intervals (``FitQuality``), nil without a bootstrap.
    public var quality: FitQuality? {
        guard let level, !bootstrap.isEmpty else { return nil }
        return FitQuality.assess(law: law, bootstrap: Bootstrap(laws: bootstrap, level: level))
    }

    /// Root mean square of the log residuals.
    public var rmseLog: Double {
        residuals.isEmpty ? .nan : (residuals.map { $0.logResidual * $0.logResidual }.reduce(0, +) / Double(residuals.count)).squareRoot()
    }
}

/// A run's measured loss against the law's prediction: `logResidual = log(predicted) - log(measured)`.
public struct RunResidual: Sendable, Equatable {
    public var runId: Int64
    public var name: String
    public var budget: String?
    public var params: Double
    public var tokens: Double
    public var measured: Double
    public var predicted: Double
    public var logResidual: Double { Foundation.log(predicted) - Foundation.log(measured) }
}

/// The IsoFLOP fit (Chinchilla Approach 2): one parabola of loss against `ln N` per budget, and
/// power laws `N_opt = k C^a`, `D_opt = k' C^b` through the parabolas' minima.
public struct IsoFLOPSummary: Sendable {
    public var budgets: [BudgetCurve]
    public var paramsCoefficient: Double
    public var paramsExponent: Double
    public var tokensCoefficient: Double
    public var tokensExponent: Double
    /// Budgets the fit left out, with the reason.
    public var refused: [String]
    public var source: FitSource

    public init(budgets: [BudgetCurve], paramsCoefficient: Double, paramsExponent: Double, tokensCoefficient: Double,
                tokensExponent: Double, refused: [String], source: FitSource) {
        self.budgets = budgets; self.paramsCoefficient = paramsCoefficient; self.paramsExponent = paramsExponent
        self.tokensCoefficient = tokensCoefficient; self.tokensExponent = tokensExponent; self.refused = refused; self.source = source
    }

    public func optimalParams(flops: Double) -> Double { paramsCoefficient * Foundation.pow(flops, paramsExponent) }
    public func optimalTokens(flops: Double) -> Double { tokensCoefficient * Foundation.pow(flops, tokensExponent) }
}

/// One budget's parabola `loss = c0 + c1 x + c2 x²`, `x = ln N`, and its vertex: the IsoFLOP
/// fit's own budget record.
public typealias BudgetCurve = IsoFLOPBudget

/// The compute-optimal frontier from compute `flops.first` to `flops.last` (log-spaced), for each
/// law that gives one; bands are the bootstrap's percentile intervals.
public struct Frontier: Sendable {
    public var flops: [Double]
    public var isoflopParams: [Double]?
    public var isoflopTokens: [Double]?
    public var lawParams: [Double]?
    public var lawTokens: [Double]?
    /// Lower and upper bootstrap bounds of the parametric law's N_opt and D_opt at each budget.
    public var paramsBand: (lower: [Double], upper: [Double])?
    public var tokensBand: (lower: [Double], upper: [Double])?
    /// Hoffmann et al. 2022 and Besiroglu et al. 2024 (Epoch) for reference.
    public var chinchillaParams: [Double]
    public var chinchillaTokens: [Double]
    public var epochParams: [Double]
    public var epochTokens: [Double]
}

/// A compute-optimal plan at one budget under the parametric law, with bootstrap intervals, and
/// what the IsoFLOP power law and the published laws say for comparison.
public struct PlanRow: Sendable, Equatable {
    public var flops: Double
    public var params: Double
    public var tokens: Double
    public var loss: Double
    public var paramsInterval: ClosedRange<Double>?
    public var tokensInterval: ClosedRange<Double>?
    public var lossInterval: ClosedRange<Double>?
    public var isoflopParams: Double?
    public var chinchillaParams: Double
    public var epochParams: Double
    public var tokensPerParam: Double { tokens / params }
}
