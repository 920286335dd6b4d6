import Testing
@testable import TuikeCore

@Suite struct DelayHistogramTests {
    /// Random delays from a second to a month: the median from the buckets is within a tenth of
    /// the exact median, exact below ten seconds; merged days give the median of all of them.
    @Test(arguments: [1, 7, 42, 1_000])
    func theMedianIsWithinATenth(seed: UInt64) {
        var generator = SplitMix(seed: seed)
        for _ in 0..<200 {
            let count = Int.random(in: 1...400, using: &generator)
            let scale = [10, 600, 86_400, 2_592_000].randomElement(using: &generator) ?? 600
            let delays = (0..<count).map { _ in Int64.random(in: 0...Int64(scale), using: &generator) }
            var days = [DelayHistogram(), DelayHistogram()]
            for (index, delay) in delays.enumerated() { days[index % 2].add(seconds: delay) }
            var merged = days[0]
            merged.merge(days[1])
            let exact = delays.sorted()[(count - 1) / 2]
            let median = merged.medianSeconds ?? -1
            #expect(merged.total == Int64(count))
            if exact < 10 { #expect(median == exact) } else { #expect(abs(median - exact) * 10 <= exact, "\(median) against \(exact)") }
            #expect(DelayHistogram(encoded: merged.encoded) == merged)
        }
    }

    @Test func boundsAndStoredForms() {
        #expect(DelayHistogram().medianSeconds == nil && DelayHistogram().encoded.isEmpty && DelayHistogram(encoded: "") == DelayHistogram())
        #expect(Array(DelayHistogram.bounds.prefix(12)) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12])
        #expect(zip(DelayHistogram.bounds, DelayHistogram.bounds.dropFirst()).allSatisfy { $0 < $1 })
        var histogram = DelayHistogram()
        histogram.add(seconds: -5)
        histogram.add(seconds: .max)
        histogram.add(seconds: 3)
        #expect(histogram.medianSeconds == 3 && histogram.total == 3)
        for bad in ["x", "1:", ":1", "1:-1", "999:1", "-1:1", "1:2:3", "1;2"] { #expect(DelayHistogram(encoded: bad) == nil, "\(bad)") }
    }
}
