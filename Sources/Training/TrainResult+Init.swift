extension TrainResult {
    /// A result assembled by another training loop (the parallel trainers of module Distributed);
    /// the memberwise initializer is internal to Training.
    public static func assembled(outcome: TrainOutcome, reason: String?, steps: Int, tokens: Int, finalTrainLoss: Float?,
                                 finalValLoss: Float?, finalBitsPerByte: Double?, wallSeconds: Double,
                                 stepsRun: Int) -> TrainResult {
        TrainResult(outcome: outcome, reason: reason, steps: steps, tokens: tokens, finalTrainLoss: finalTrainLoss,
                    finalValLoss: finalValLoss, finalBitsPerByte: finalBitsPerByte, wallSeconds: wallSeconds,
                    stepsRun: stepsRun)
    }
}
