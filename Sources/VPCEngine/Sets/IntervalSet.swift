/// A set of 32-bit values stored as sorted, disjoint, non-adjacent closed ranges.
///
/// Addresses, ports and protocol numbers are all sets of this kind; a packet set is a union of
/// products of them (``HeaderBox``). Most sets are one range, which is stored inline, without
/// a heap allocation.
public struct IntervalSet: Hashable, Sendable, CustomStringConvertible {
    private enum Storage: Hashable, Sendable {
        case empty
        case one(UInt32, UInt32)
        /// Two or more ranges, normalized.
        case many([ClosedRange<UInt32>])
    }

    private var storage: Storage

    public static let empty = IntervalSet(storage: .empty)

    /// Every value from 0 through `maximum`.
    public static func full(through maximum: UInt32) -> IntervalSet { IntervalSet(storage: .one(0, maximum)) }

    private init(storage: Storage) { self.storage = storage }

    /// From ranges already sorted, disjoint and non-adjacent.
    private init(normalized ranges: [ClosedRange<UInt32>]) {
        switch ranges.count {
        case 0: storage = .empty
        case 1: storage = .one(ranges[0].lowerBound, ranges[0].upperBound)
        default: storage = .many(ranges)
        }
    }

    /// Creates a set from any ranges, merging overlaps and neighbours.
    public init(_ ranges: some Sequence<ClosedRange<UInt32>>) {
        let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt32>] = []
        merged.reserveCapacity(sorted.count)
        for range in sorted {
            if let last = merged.last, range.lowerBound <= last.upperBound || range.lowerBound - 1 == last.upperBound {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        self.init(normalized: merged)
    }

    public init(_ range: ClosedRange<UInt32>) { storage = .one(range.lowerBound, range.upperBound) }
    public init(value: UInt32) { storage = .one(value, value) }

    /// The ranges, in ascending order.
    public var ranges: [ClosedRange<UInt32>] {
        switch storage {
        case .empty: []
        case .one(let low, let high): [low...high]
        case .many(let ranges): ranges
        }
    }

    public var isEmpty: Bool { storage == .empty }

    /// How many values the set holds.
    public var count: UInt64 {
        switch storage {
        case .empty: 0
        case .one(let low, let high): UInt64(high - low) + 1
        case .many(let ranges): ranges.reduce(0) { $0 + UInt64($1.upperBound - $1.lowerBound) + 1 }
        }
    }

    /// The smallest value, if any.
    public var first: UInt32? {
        switch storage {
        case .empty: nil
        case .one(let low, _): low
        case .many(let ranges): ranges.first?.lowerBound
        }
    }

    private var bounds: (UInt32, UInt32)? {
        switch storage {
        case .empty: nil
        case .one(let low, let high): (low, high)
        case .many(let ranges): (ranges[0].lowerBound, ranges[ranges.count - 1].upperBound)
        }
    }

    public func contains(_ value: UInt32) -> Bool {
        switch storage {
        case .empty: return false
        case .one(let low, let high): return low <= value && value <= high
        case .many(let ranges):
            var low = 0
            var high = ranges.count - 1
            while low <= high {
                let mid = (low + high) / 2
                if ranges[mid].upperBound < value {
                    low = mid + 1
                } else if ranges[mid].lowerBound > value {
                    high = mid - 1
                } else {
                    return true
                }
            }
            return false
        }
    }

    /// Whether every value of `other` is in this set (no allocation).
    public func covers(_ other: IntervalSet) -> Bool {
        guard let (low, high) = other.bounds else { return true }
        switch storage {
        case .empty: return false
        case .one(let a, let b): return a <= low && high <= b
        case .many(let ranges):
            var i = 0
            for range in other.ranges {
                while i < ranges.count, ranges[i].upperBound < range.lowerBound { i += 1 }
                guard i < ranges.count, ranges[i].lowerBound <= range.lowerBound, range.upperBound <= ranges[i].upperBound else { return false }
            }
            return true
        }
    }

    /// Whether the sets share a value (no allocation).
    public func intersects(_ other: IntervalSet) -> Bool {
        switch (storage, other.storage) {
        case (.empty, _), (_, .empty): return false
        case (.one(let a, let b), .one(let c, let d)): return a <= d && c <= b
        default:
            let mine = ranges
            let theirs = other.ranges
            var i = 0
            var j = 0
            while i < mine.count, j < theirs.count {
                if mine[i].lowerBound <= theirs[j].upperBound && theirs[j].lowerBound <= mine[i].upperBound { return true }
                if mine[i].upperBound < theirs[j].upperBound { i += 1 } else { j += 1 }
            }
            return false
        }
    }

    public func intersection(_ other: IntervalSet) -> IntervalSet {
        if case .one(let a, let b) = storage, case .one(let c, let d) = other.storage {
            let low = max(a, c)
            let high = min(b, d)
            return low <= high ? IntervalSet(storage: .one(low, high)) : .empty
        }
        if other.covers(self) { return self }
        if covers(other) { return other }
        let mine = ranges
        let theirs = other.ranges
        var result: [ClosedRange<UInt32>] = []
        var i = 0
        var j = 0
        while i < mine.count, j < theirs.count {
            let low = max(mine[i].lowerBound, theirs[j].lowerBound)
            let high = min(mine[i].upperBound, theirs[j].upperBound)
            if low <= high { result.append(low...high) }
            if mine[i].upperBound < theirs[j].upperBound { i += 1 } else { j += 1 }
        }
        return IntervalSet(normalized: result)
    }

    public func subtracting(_ other: IntervalSet) -> IntervalSet {
        if !intersects(other) { return self }
        if other.covers(self) { return .empty }
        let cuts = other.ranges
        var result: [ClosedRange<UInt32>] = []
        var j = 0
        for range in ranges {
            var low = range.lowerBound
            var exhausted = false
            while j < cuts.count, cuts[j].upperBound < low { j += 1 }
            var k = j
            while k < cuts.count, cuts[k].lowerBound <= range.upperBound {
                let cut = cuts[k]
                if cut.lowerBound > low { result.append(low...(cut.lowerBound - 1)) }
                if cut.upperBound >= range.upperBound {
                    exhausted = true
                    break
                }
                low = cut.upperBound + 1
                k += 1
            }
            if !exhausted { result.append(low...range.upperBound) }
        }
        return IntervalSet(normalized: result)
    }

    public func union(_ other: IntervalSet) -> IntervalSet {
        if covers(other) { return self }
        if other.covers(self) { return other }
        return IntervalSet(ranges + other.ranges)
    }

    public func isSubset(of other: IntervalSet) -> Bool { other.covers(self) }

    public var description: String {
        ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ",")
    }
}
