/// A broken table rule of the TOML specification (a key or table defined twice, ...).
struct TableRule: Error { let message: String }

extension TOMLParser {
    /// A table while the document is parsed: how it came to exist decides what may still be
    /// added to it (the specification's rules on defining tables).
    final class Node {
        enum Origin {
            /// Named as a parent by a header (`a` of `[a.b]`): a later `[a]` may still define it.
            case implicit
            /// Defined by its own header, or the root.
            case header
            /// Made by a dotted key (`a.b = 1` makes `a`): no header may define it.
            case dotted
            /// An inline table: complete as written.
            case inline
        }
        enum Entry {
            case value(TOMLValue)
            case table(Node)
            case tableArray([Node])
        }

        var origin: Origin
        private var keys: [String] = []
        private var entries: [String: Entry] = [:]
        private var lines: [String: Int] = [:]

        init(origin: Origin) { self.origin = origin }

        private func add(_ key: String, _ entry: Entry, line: Int) {
            if entries.updateValue(entry, forKey: key) == nil { keys.append(key) }
            if lines[key] == nil { lines[key] = line }
        }

        private func first(_ key: String) -> String { lines[key].map { " (first defined on line \($0))" } ?? "" }

        /// The table a header `[parts]` (or `[[parts]]`) opens, creating what it names.
        func open(_ parts: [String], asArray: Bool, line: Int) throws(TableRule) -> Node {
            let name = parts.joined(separator: ".")
            var node = self
            for (k, part) in parts.dropLast().enumerated() {
                let prefix = parts[...k].joined(separator: ".")
                switch node.entries[part] {
                case nil:
                    let child = Node(origin: .implicit)
                    node.add(part, .table(child), line: line)
                    node = child
                case .table(let child):
                    node = child
                case .tableArray(let elements):
                    node = elements[elements.count - 1]
                case .value:
                    throw TableRule(message: "'\(prefix)' is already a value\(node.first(part)); it cannot hold the table [\(name)]")
                }
            }
            let last = parts[parts.count - 1]
            let existing = node.entries[last]
            if asArray {
                let element = Node(origin: .header)
                switch existing {
                case nil: node.add(last, .tableArray([element]), line: line)
                case .tableArray(let elements): node.entries[last] = .tableArray(elements + [element])
                case .table: throw TableRule(message: "[[\(name)]] names a table, not an array of tables\(node.first(last))")
                case .value: throw TableRule(message: "'\(name)' is already a value\(node.first(last)); [[\(name)]] cannot add to it")
                }
                return element
            }
            switch existing {
            case nil:
                let table = Node(origin: .header)
                node.add(last, .table(table), line: line)
                return table
            case .table(let table):
                switch table.origin {
                case .implicit:
                    table.origin = .header
                    return table
                case .dotted:
                    throw TableRule(message: "the table [\(name)] was already made by dotted keys\(node.first(last)); a header cannot define it again")
                case .header, .inline:
                    throw TableRule(message: "the table [\(name)] is defined twice\(node.first(last))")
                }
            case .tableArray: throw TableRule(message: "[\(name)] is an array of tables\(node.first(last)); use [[\(name)]] to add an element")
            case .value: throw TableRule(message: "'\(name)' is already a value\(node.first(last)); [\(name)] cannot define it")
            }
        }

        /// `parts = value` in this table; dotted parts make (or continue) tables of dotted keys.
        func assign(_ parts: [String], _ value: TOMLValue, line: Int) throws(TableRule) {
            var node = self
            for (k, part) in parts.dropLast().enumerated() {
                let prefix = parts[...k].joined(separator: ".")
                switch node.entries[part] {
                case nil:
                    let child = Node(origin: .dotted)
                    node.add(part, .table(child), line: line)
                    node = child
                case .table(let child) where child.origin == .dotted || child.origin == .implicit:
                    node = child
                case .table:
                    throw TableRule(message: "the table '\(prefix)' is already defined\(node.first(part)); dotted keys cannot add to it")
                case .tableArray:
                    throw TableRule(message: "'\(prefix)' is an array of tables\(node.first(part)); dotted keys cannot add to it")
                case .value:
                    throw TableRule(message: "'\(prefix)' is already a value\(node.first(part)); it cannot hold '\(parts.joined(separator: "."))'")
                }
            }
            let last = parts[parts.count - 1]
            guard node.entries[last] == nil else {
                throw TableRule(message: "the key '\(parts.joined(separator: "."))' is defined twice\(node.first(last))")
            }
            node.add(last, .value(value), line: line)
        }

        /// The finished table.
        func table() -> TOMLTable {
            var table = TOMLTable()
            for key in keys {
                let value: TOMLValue
                switch entries[key]! {
                case .value(let v): value = v
                case .table(let node): value = .table(node.table())
                case .tableArray(let nodes): value = .array(nodes.map { .table($0.table()) })
                }
                table.set(key, value, line: lines[key]!)
            }
            return table
        }
    }
}
