/// A set of 32-bit values stored as sorted, disjoint, non-adjacent closed ranges.
///
/// Addresses, ports and protocol numbers are all sets of this kind; a packet set is a union of
/// products of them (``HeaderBox``).
public struct IntervalSet: Hashable, Sendable, CustomStringConvertible {
    public private(set) var ranges: [ClosedRange<UInt32>]

    public static let empty = IntervalSet(normalized: [])

    /// Every value from 0 through `maximum`.
    public static func full(through maximum: UInt32) -> IntervalSet { IntervalSet(normalized: [0...maximum]) }

    private init(normalized ranges: [ClosedRange<UInt32>]) { self.ranges = ranges }

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
        self.ranges = merged
    }

    public init(_ range: ClosedRange<UInt32>) { self.ranges = [range] }
    public init(value: UInt32) { self.ranges = [value...value] }

    public var isEmpty: Bool { ranges.isEmpty }

    /// How many values the set holds.
    public var count: UInt64 { ranges.reduce(0) { $0 + UInt64($1.upperBound - $1.lowerBound) + 1 } }

    public func contains(_ value: UInt32) -> Bool {
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

    public func intersection(_ other: IntervalSet) -> IntervalSet {
        var result: [ClosedRange<UInt32>] = []
        var i = 0
        var j = 0
        while i < ranges.count, j < other.ranges.count {
            let a = ranges[i]
            let b = other.ranges[j]
            let low = max(a.lowerBound, b.lowerBound)
            let high = min(a.upperBound, b.upperBound)
            if low <= high { result.append(low...high) }
            if a.upperBound < b.upperBound { i += 1 } else { j += 1 }
        }
        return IntervalSet(normalized: result)
    }

    public func subtracting(_ other: IntervalSet) -> IntervalSet {
        var result: [ClosedRange<UInt32>] = []
        var j = 0
        for range in ranges {
            var low = range.lowerBound
            var exhausted = false
            while j < other.ranges.count, other.ranges[j].upperBound < low { j += 1 }
            var k = j
            while k < other.ranges.count, other.ranges[k].lowerBound <= range.upperBound {
                let cut = other.ranges[k]
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

    public func union(_ other: IntervalSet) -> IntervalSet { IntervalSet(ranges + other.ranges) }

    public func isSubset(of other: IntervalSet) -> Bool { subtracting(other).isEmpty }

    /// The smallest value, if any.
    public var first: UInt32? { ranges.first?.lowerBound }

    public var description: String {
        ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ",")
    }
}
