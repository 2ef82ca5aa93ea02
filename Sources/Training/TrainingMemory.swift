#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a model of a given shape needs before any of it is allocated, in overflow-checked integer
/// arithmetic: sizes come from user files, and a product that wraps around (or a buffer larger
/// than the machine) must be an error, never a crash inside the allocator.
public enum TrainingMemory {
    /// Largest element count of one buffer (2^40: 4 TiB of floats).
    public static let maxElements = 1 << 40

    /// Parameters of `c` (embedding, positions, blocks, final norm, untied head), or nil when the
    /// count overflows or exceeds `maxElements`.
    public static func parameterCount(_ c: GPTConfig) -> Int? {
        var total = Checked(0)
        let C = Checked(c.dModel), F = Checked(c.dModel) * Checked(c.mlpRatio)
        total = total + Checked(c.vocab) * C                                   // token embedding
        if c.position == .learned { total = total + Checked(c.seqLen) * C }    // positions
        // per block: 2 norms (weight, bias), qkv (3C x C + 3C), proj (C x C + C), fc (F x C + F), fc2 (C x F + C)
        let block = Checked(4) * C + Checked(3) * C * C + Checked(3) * C + C * C + C + F * C + F + C * F + C
        total = total + Checked(c.nLayer) * block
        total = total + Checked(2) * C                                          // final norm
        if !c.tiedHead { total = total + Checked(c.vocab) * C }
        return total.value.flatMap { $0 <= maxElements ? $0 : nil }
    }

    /// A lower bound on the bytes training `c` on B x T micro-batches allocates: parameters,
    /// gradients and two AdamW moments (16 bytes each), and the fp32 activations one forward
    /// saves (per layer about 10 R C + 2 R F floats, plus the logits R V), R = B T. Nil on overflow.
    public static func trainingBytes(_ c: GPTConfig, batch B: Int, seqLen T: Int) -> Int? {
        guard let p = parameterCount(c) else { return nil }
        // the model (parameters, gradients, activations) plus the two AdamW moments
        return (Checked(optional: modelBytes(c, batch: B, seqLen: T)) + Checked(8) * Checked(p)).value
    }

    /// A lower bound on what one `GPT` of `c` for B x T micro-batches allocates: parameters and
    /// gradients (8 bytes each) and the fp32 activations of one forward. Nil on overflow.
    public static func modelBytes(_ c: GPTConfig, batch B: Int, seqLen T: Int) -> Int? {
        guard let p = parameterCount(c) else { return nil }
        let R = Checked(B) * Checked(T), C = Checked(c.dModel), F = Checked(c.dModel) * Checked(c.mlpRatio)
        let activations = Checked(c.nLayer) * (Checked(10) * R * C + Checked(2) * R * F) + R * Checked(c.vocab) + Checked(4) * R * C
        return (Checked(8) * Checked(p) + Checked(4) * activations).value
    }

    /// Throws when `ranks` ranks that share this process (the threads backend), each holding one
    /// `GPT` of `c` for `batch` x `seqLen`, need more memory together than the machine has. Each
    /// rank's own `GPT` checks itself; this catches layouts where one fits and all do not.
    public static func checkRanks(_ c: GPTConfig, ranks: Int, batch B: Int, seqLen T: Int) throws {
        guard ranks > 1 else { return }
        guard let one = modelBytes(c, batch: B, seqLen: T), let all = (Checked(ranks) * Checked(one)).value else {
            throw TrainingError.invalidConfig("\(ranks) ranks of model (d_model \(c.dModel), n_layer \(c.nLayer), vocab \(c.vocab)) are too large to count (size overflows)")
        }
        if let physical = physicalBytes, all > physical {
            throw TrainingError.invalidConfig("\(ranks) ranks in one process (--backend threads) each hold the model (d_model \(c.dModel), n_layer \(c.nLayer), vocab \(c.vocab)) with batch \(B) x seq_len \(T): at least \(gib(all)) GiB together (parameters, gradients, activations); this machine has \(gib(physical)) GiB. Use fewer ranks, a smaller model or batch, or --backend mpi across machines")
        }
    }

    static func gib(_ x: Int) -> String { String(Double(Int(Double(x) / 1_073_741_824 * 10)) / 10) }

    /// Physical memory of this machine in bytes (nil when unknown).
    public static var physicalBytes: Int? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return nil }
        return (Checked(pages) * Checked(size)).value
    }

    /// Throws naming the shape when training it needs more memory than the machine has.
    public static func check(_ c: GPTConfig, batch B: Int, seqLen T: Int) throws {
        guard let bytes = trainingBytes(c, batch: B, seqLen: T) else {
            throw TrainingError.invalidConfig("model (d_model \(c.dModel), n_layer \(c.nLayer), vocab \(c.vocab)) with batch \(B) x seq_len \(T) is too large to count (size overflows)")
        }
        if let physical = physicalBytes, bytes > physical {
            throw TrainingError.invalidConfig("model (d_model \(c.dModel), n_layer \(c.nLayer), vocab \(c.vocab)) with batch \(B) x seq_len \(T) needs at least \(gib(bytes)) GiB (parameters, gradients, AdamW moments, activations); this machine has \(gib(physical)) GiB. Lower model.d_model, model.n_layer, train.batch or model.seq_len")
        }
    }
}

/// An Int that remembers overflow: every operation on an overflowed value stays overflowed.
struct Checked {
    let value: Int?
    init(_ value: Int) { self.value = value >= 0 ? value : nil }
    init(optional: Int?) { value = optional }
    static func + (a: Checked, b: Checked) -> Checked {
        guard let x = a.value, let y = b.value else { return Checked(optional: nil) }
        let (r, o) = x.addingReportingOverflow(y)
        return Checked(optional: o ? nil : r)
    }
    static func * (a: Checked, b: Checked) -> Checked {
        guard let x = a.value, let y = b.value else { return Checked(optional: nil) }
        let (r, o) = x.multipliedReportingOverflow(by: y)
        return Checked(optional: o ? nil : r)
    }
}
