extension Collection {
    /// Consecutive slices of at most `size` elements, for multi-row statements under bind limits.
    func chunked(by size: Int) -> [SubSequence] {
        precondition(size > 0)
        var chunks: [SubSequence] = []
        var start = startIndex
        while start != endIndex {
            let end = index(start, offsetBy: size, limitedBy: endIndex) ?? endIndex
            chunks.append(self[start..<end])
            start = end
        }
        return chunks
    }
}
