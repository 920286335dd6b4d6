import Foundation

/// A thread of its own for the SQLite writer, usable as a task executor.
///
/// The writer runs its statements in place (see `SQLiteHandle`), and a commit waits for fsync. On
/// the shared concurrency pool (one thread per core) that wait would stall request handling; here
/// it stalls only the writer, which could not go on before the commit anyway.
///
/// `@unchecked Sendable`: `jobs` and `stopped` are read and written only while `condition` is held.
final class WriterThread: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread end once the jobs already queued have run.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty, !stopped { condition.wait() }
            let ready = jobs
            jobs = []
            let done = stopped && ready.isEmpty
            condition.unlock()
            if done { return }
            for job in ready { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}
