import Foundation

/// How far a campaign will spread (rules §17): a Galton–Watson branching process fitted to the
/// observed tree. Each promoter whose reproduction window is complete contributes its number of
/// recruits; the reproduction number R is their mean. The interval is Poisson's exact one
/// (through chi-square quantiles) widened for overdispersion (quasi-Poisson: the counts divided
/// by the variance-to-mean ratio when it exceeds 1). The expected further reach is the frontier
/// (promoters still inside their window) times R + R² + … over the next generations.
/// Statistics, not money: floating point is right here.
public enum SpreadForecast {
    public struct Estimate: Sendable, Equatable {
        public let r: Double
        public let low: Double
        public let high: Double
        public let parents: Int
        public let offspring: Int
        public let dispersion: Double
    }

    /// The estimate from the parents' offspring counts, at `confidence` (two-sided); nil with
    /// fewer than `minimumParents` parents (too little to say anything).
    public static func estimate(_ counts: [Int], confidence: Double = 0.95, minimumParents: Int = 5) -> Estimate? {
        guard counts.count >= minimumParents else { return nil }
        let n = Double(counts.count), total = counts.reduce(0, +)
        let mean = Double(total) / n
        let variance = counts.reduce(0.0) { $0 + pow(Double($1) - mean, 2) } / max(1, n - 1)
        let dispersion = mean > 0 ? max(1, variance / mean) : 1
        let alpha = 1 - confidence
        let effective = Double(total) / dispersion, parents = n / dispersion
        let low = effective > 0 ? chiSquareQuantile(alpha / 2, degrees: 2 * effective) / 2 / parents : 0
        let high = chiSquareQuantile(1 - alpha / 2, degrees: 2 * effective + 2) / 2 / parents
        return Estimate(r: mean, low: low, high: high, parents: counts.count, offspring: total, dispersion: dispersion)
    }

    /// Expected new promoters over the next `generations`, from `frontier` still recruiting, at
    /// the estimate and its bounds: one figure per generation, cumulative.
    public static func reach(frontier: Int, estimate: Estimate, generations: Int) -> [(expected: Double, low: Double, high: Double)] {
        var result: [(Double, Double, Double)] = []
        var (r, l, h) = (1.0, 1.0, 1.0)
        var sum = (0.0, 0.0, 0.0)
        for _ in 0..<max(0, generations) {
            r *= estimate.r
            l *= estimate.low
            h *= estimate.high
            sum = (sum.0 + r, sum.1 + l, sum.2 + h)
            // A forecast past any number worth printing is held at the largest finite one (JSON
            // has no infinity), and nobody left to recruit forecasts nobody.
            let finite = { (value: Double) in frontier == 0 ? 0 : min(Double(frontier) * value, Double.greatestFiniteMagnitude) }
            result.append((finite(sum.0), finite(sum.1), finite(sum.2)))
        }
        return result
    }

    /// The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
    static func normalQuantile(_ p: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let p = min(max(p, 1e-12), 1 - 1e-12)
        if p < 0.02425 {
            let q = (-2 * log(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p > 1 - 0.02425 { return -normalQuantile(1 - p) }
        let q = p - 0.5, r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }

    /// The chi-square quantile by Wilson–Hilferty (good to a few per cent from 2 degrees up,
    /// which the interval's counts always have).
    static func chiSquareQuantile(_ p: Double, degrees k: Double) -> Double {
        guard k > 0 else { return 0 }
        let z = normalQuantile(p), h = 2 / (9 * k)
        return k * pow(max(0, 1 - h + z * h.squareRoot()), 3)
    }
}
