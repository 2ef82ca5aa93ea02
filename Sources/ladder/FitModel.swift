import ArgumentParser
import ConfigFiles
import Foundation
import ScalingLaws
import Store
import Sweeps

/// How a stored fit counts N and C, so a plan made from it means what its runs meant: a fit of a
/// sweep's runs is in the sweep's counting (`[model] params`, and C from each shape of its family),
/// and shapes that realize N come from that family, vocabulary and context. Published laws and
/// fits without a sweep count C = 6 N D with N non-embedding, the convention they were fitted in.
struct FitModel {
    let sweep: String
    let model: SweepSpec.ModelFamily

    var flopCounting: FlopCounting { model.flopCounting }
    var counting: ParameterCounting { model.counting }

    /// The counting of a stored fit, when it came from a sweep whose file is stored and still reads.
    static func of(_ stored: LawOptions.StoredFit) throws -> FitModel? {
        let record = stored.record
        guard let sweepId = record.sweepId, let sweep = try stored.db.sweep(id: sweepId) else { return nil }
        guard var model = model(of: sweep) else { return nil }
        // a fit whose runs were counted another way (`ladder fit --params`) says so
        if let object = try? JSONSerialization.jsonObject(with: Data(record.parameters.utf8)) as? [String: Any],
           let text = object["params_counting"] as? String {
            model.counting = text == "non_embedding" ? .nonEmbedding : .total
        }
        return FitModel(sweep: sweep.name, model: model)
    }

    /// The `[model]` table of a stored sweep file (nil, with a note, when it no longer reads).
    static func model(of sweep: SweepRecord) -> SweepSpec.ModelFamily? {
        guard !sweep.spec.isEmpty else { return nil }
        do {
            return try TOMLDocument(path: "sweep '\(sweep.name)'", text: sweep.spec).decode(SweepSpec.self).model
        } catch {
            FileHandle.standardError.write(Data("note: the stored file of sweep '\(sweep.name)' no longer reads (\(error)); its fit's plans count C = 6 N D\n".utf8))
            return nil
        }
    }

    /// The shape of the sweep's family (or its shape search) for N.
    func shape(params: Double) throws -> ShapeChoice {
        if let family = model.family {
            return try family.shape(params: params, counting: counting, vocab: model.vocab, seqLen: model.seqLen)
        }
        return try ModelShape.search(params: params, counting: counting, vocab: model.vocab, seqLen: model.seqLen,
                                     minLayers: model.minLayers)
    }

    var summary: String {
        "N \(counting == .total ? "total" : "non-embedding") parameters, C = \(flopCounting) (the counting of sweep '\(sweep)', which the fit came from)"
    }
}
