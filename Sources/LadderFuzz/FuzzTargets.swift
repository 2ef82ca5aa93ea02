import ConfigFiles
import DataPrep
import Foundation
import Store
import Sweeps
import Training

/// One parser of a user file, fed arbitrary bytes. A target may throw (a refusal is the right
/// answer to most inputs); it must not trap, hang or read out of bounds.
struct FuzzTarget: Sendable {
    let name: String
    let run: @Sendable (Data) throws -> Void

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "sweep-toml") { data in
            let document = try TOMLDocument(path: "fuzz.toml", text: String(decoding: data, as: UTF8.self))
            try document.checkKeys(schema: SweepSpec.fileKeys, required: ["name", "data"])
            let spec = try document.decode(SweepSpec.self)
            try spec.validate()
            _ = try SweepExpansion.fitRuns(spec)
        },
        FuzzTarget(name: "train-toml") { data in
            let document = try TOMLDocument(path: "fuzz.toml", text: String(decoding: data, as: UTF8.self))
            try document.checkKeys(sections: TrainConfig.fileKeys, required: ["model", "data"])
            let config = try document.decode(TrainConfig.self)
            try config.validate()
            _ = TrainingMemory.trainingBytes(config.model, batch: config.train.batch, seqLen: config.model.seqLen)
        },
        FuzzTarget(name: "csv-import") { data in
            _ = try RunImport.parse(String(decoding: data, as: UTF8.self), file: "fuzz.csv")
        },
        FuzzTarget(name: "json-import") { data in
            _ = try RunImport.parseJSON(data, file: "fuzz.json")
        },
        FuzzTarget(name: "safetensors") { data in
            _ = try Safetensors.parse(data, path: "fuzz.safetensors")
        },
        FuzzTarget(name: "tokenizer-json") { data in
            let tokenizer = try BPETokenizer(huggingFaceJSON: data)
            _ = tokenizer.encode("Hello, world! Fuzzing the tokenizer.")
        },
        FuzzTarget(name: "shard-manifest") { data in
            _ = try ShardManifest.parse(data, path: "manifest.json")
        },
    ]

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}
