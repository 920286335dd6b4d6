import Testing
@testable import TuikeCore

@Suite struct VisitorSketchTests {
    @Test func smallSetsAreExactAndMergeExactly() {
        var monday = VisitorSketch(visitors: (0..<100).map { "v\($0)" })
        let tuesday = VisitorSketch(visitors: (50..<150).map { "v\($0)" })
        #expect(monday.isExact && monday.count == 100)
        monday.merge(tuesday)
        #expect(monday.isExact && monday.count == 150, "the 50 seen on both days count once")
        #expect(VisitorSketch(bytes: monday.bytes) == monday)
        #expect(VisitorSketch().count == 0 && VisitorSketch(bytes: VisitorSketch().bytes) == VisitorSketch())
    }

    /// Past the exact limit the estimate stays within a few standard errors (2.3 %) at every size,
    /// and merging sketches of overlapping days estimates the union, not the sum.
    @Test(arguments: [300, 1_000, 5_000, 50_000, 200_000])
    func largeSetsAreEstimatedClosely(size: Int) {
        let sketch = VisitorSketch(visitors: (0..<size).map { "visitor-\($0)" })
        #expect(!sketch.isExact)
        let error = Double(abs(sketch.count - Int64(size))) / Double(size)
        #expect(error < 0.07, "\(sketch.count) for \(size)")
        var days = VisitorSketch(visitors: (0..<(size / 2)).map { "visitor-\($0)" })
        days.merge(VisitorSketch(visitors: ((size / 4)..<size).map { "visitor-\($0)" }))
        #expect(Double(abs(days.count - Int64(size))) / Double(size) < 0.07, "union \(days.count) for \(size)")
        #expect(VisitorSketch(bytes: sketch.bytes) == sketch)
    }

    @Test func storedBytesAreCheckedWhenRead() {
        #expect(VisitorSketch(bytes: []) == nil)
        #expect(VisitorSketch(bytes: [1, 0, 0]) == nil, "a hash is eight bytes")
        #expect(VisitorSketch(bytes: [2] + [UInt8](repeating: 0, count: 10)) == nil, "registers come whole")
        #expect(VisitorSketch(bytes: [2] + [UInt8](repeating: 99, count: VisitorSketch.registerCount)) == nil, "no register goes past 54")
        #expect(VisitorSketch(bytes: [9]) == nil)
    }

    @Test func hashesAreStable() {
        #expect(VisitorSketch.hash("tk-visitor") == VisitorSketch.hash("tk-visitor"))
        #expect(VisitorSketch.hash("a") != VisitorSketch.hash("b"))
    }
}
