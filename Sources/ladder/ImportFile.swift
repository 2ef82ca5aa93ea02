import Foundation
import Store

/// The runs of an import file: JSON (an array of objects) when its name ends in `.json`, else CSV.
func readImportFile(_ path: String) throws -> (runs: [ImportedRun], format: RunImportError.Format) {
    let text = try readText(path)
    if path.lowercased().hasSuffix(".json") {
        return (try RunImport.parseJSON(Data(text.utf8), file: path), .json)
    }
    return (try RunImport.parse(text, file: path), .csv)
}
