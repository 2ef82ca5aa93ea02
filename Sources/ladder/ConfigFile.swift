import ArgumentParser
import ConfigFiles

/// A TOML config file read from disk (`TOMLDocument`), its errors as the command's validation
/// errors ("FILE:LINE: key 'train.steps' must be an integer, got 1.5").
struct ConfigFile {
    let document: TOMLDocument
    var path: String { document.path }
    var text: String { document.text }
    var table: TOMLTable { document.table }

    init(path: String) throws {
        let text = try readText(path)
        document = try Self.validating { try TOMLDocument(path: path, text: text) }
    }

    func checkKeys(sections: [String: [String]], required: [String]) throws {
        try Self.validating { try document.checkKeys(sections: sections, required: required) }
    }

    func checkKeys(schema: [String: [String]], required: [String]) throws {
        try Self.validating { try document.checkKeys(schema: schema, required: required) }
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try Self.validating { try document.decode(type) }
    }

    private static func validating<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as TOMLDocumentError { throw ValidationError(error.description) }
    }
}
