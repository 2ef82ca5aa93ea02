/// ArgumentParser reads `--flops -1e21` as the option `--flops` without a value followed by a
/// short flag `-1e21`, and says "Missing value for '--flops'". Every long option followed by a
/// negative number is joined as `--flops=-1e21` before parsing, so the option's own check says
/// what is valid ("--flops must be a positive number, got -1e+21").
enum NegativeValues {
    static func joined(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { out += arguments[i...]; break }
            if a.hasPrefix("--"), !a.contains("="), i + 1 < arguments.count, isNegativeNumber(arguments[i + 1]) {
                out.append(a + "=" + arguments[i + 1])
                i += 2
                continue
            }
            out.append(a)
            i += 1
        }
        return out
    }

    /// "-1e21", "-0.5", "-3", "-.5", "-inf": a minus sign and then a number.
    static func isNegativeNumber(_ text: String) -> Bool {
        guard text.hasPrefix("-"), text.count > 1 else { return false }
        return Double(text) != nil
    }
}
