import Foundation

/// One line of JSON with sorted keys; non-finite numbers (which JSON cannot hold) become null.
public func jsonLine(_ object: [String: Any]) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: finiteJSON(object), options: [.sortedKeys]), as: UTF8.self)
}

/// `value` with every non-finite Double or Float replaced by null, recursively.
public func finiteJSON(_ value: Any) -> Any {
    switch value {
    case let d as Double: return d.isFinite ? d : NSNull()
    case let f as Float: return f.isFinite ? Double(f) : NSNull()
    case let a as [Any]: return a.map(finiteJSON)
    case let o as [String: Any]: return o.mapValues(finiteJSON)
    default: return value
    }
}
