import Foundation

/// Runs a list of stored runs to their ends: the local scheduler (processes on this machine, or a
/// user's command) and the Slurm coordinator (job arrays) both do.
public protocol SweepDriver: AnyObject {
    func run(_ runIds: [Int64]) throws -> SweepScheduler.Summary
}

extension SweepScheduler: SweepDriver {}
