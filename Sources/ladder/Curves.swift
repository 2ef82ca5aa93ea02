import ArgumentParser
import Foundation
import Jobs
import ScalingLaws

struct Curves: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The fitted law's compute-optimal frontier and loss-against-tokens curves.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var lawOptions: LawOptions

    @Option(help: "Comma-separated budgets in FLOPs (default: 1e17 to 1e25, one per decade).")
    var flops: String?

    @Option(help: "Comma-separated model sizes N for loss-against-tokens curves.")
    var params: String?

    @Option(help: "Points per loss curve (tokens log-spaced from 1e8 to 1e13).")
    var points: Int = 11

    @Flag(help: "Print one JSON object.")
    var json = false

    static func numbers(_ text: String, _ option: String) throws -> [Double] {
        try text.split(separator: ",").map {
            guard let v = Double($0.trimmingCharacters(in: .whitespaces)), v.isFinite, v > 0 else {
                throw ValidationError("\(option): '\($0)' is not a positive number")
            }
            return v
        }
    }

    func run() throws {
        let (law, name, _, _) = try lawOptions.resolve(store: store)
        let budgets = try flops.map { try Self.numbers($0, "--flops") } ?? (17...25).map { pow(10, Double($0)) }
        let frontier = try budgets.map { try law.computeOptimal(flops: $0) }
        let sizes = try params.map { try Self.numbers($0, "--params") } ?? []
        guard points >= 2 else { throw ValidationError("--points must be at least 2") }
        let curves = try sizes.map { n in (n, try law.lossCurve(params: n, tokens: 1e8...1e13, count: points)) }
        if json {
            print(try jsonLine([
                "law": name,
                "frontier": frontier.map { ["flops": $0.flops, "params": $0.params, "tokens": $0.tokens, "loss": $0.loss] },
                "loss_curves": curves.map { ["params": $0.0, "points": $0.1.map { ["tokens": $0.tokens, "loss": $0.loss] }] },
            ]))
            return
        }
        print("law: \(name)\ncompute-optimal frontier (C = 6 N D):")
        print(Format.table(header: ["FLOPs", "N_opt", "D_opt", "D/N", "loss"],
                           rows: frontier.map { [Format.scientific($0.flops), Format.si($0.params), Format.si($0.tokens),
                                                 String(format: "%.1f", $0.tokensPerParam), Format.fixed($0.loss, 4)] }),
              terminator: "")
        for (n, curve) in curves {
            print("\nloss against tokens for N = \(Format.si(n)):")
            print(Format.table(header: ["tokens", "loss"], rows: curve.map { [Format.si($0.tokens), Format.fixed($0.loss, 4)] }),
                  terminator: "")
        }
    }
}
