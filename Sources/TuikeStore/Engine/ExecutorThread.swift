import Foundation

/// A thread of its own, usable as a task executor, for SQLite work that blocks its thread: the
/// writer, the WAL checkpointer and reports.
///
/// SQLite runs its statements in place (see `SQLiteHandle`), and a commit waits for fsync. On
/// the shared concurrency pool (one thread per core) such a wait, or a long scan, would stall
/// request handling; here it stalls only the work queued on this thread.
///
/// `@unchecked Sendable`: `jobs`, `stopped` and `ended` are read and written only while
/// `condition` is held.
public final class ExecutorThread: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false
    /// The thread has returned: nothing will run `jobs` any more.
    private var ended = false

    /// `niceness`: the Linux nice value the thread asks for (lower runs sooner); nil keeps the
    /// process's.
    public init(name: String, niceness: Int32? = nil) {
        let thread = Thread { [self] in
            Self.describeCurrentThread(name: name, niceness: niceness)
            run()
        }
        thread.name = name
        thread.start()
    }

    /// On Linux, names the thread for `top -H` and `perf` (Foundation's `Thread.name` does not
    /// reach the kernel there), and asks for `niceness`. Raising a thread's priority needs CAP_SYS_NICE
    /// (or `LimitNICE=` in a systemd unit); without it the thread keeps the process's priority.
    private static func describeCurrentThread(name: String, niceness: Int32?) {
        #if os(Linux)
        // The kernel keeps 15 bytes of a thread's name (longer ones are cut).
        try? Data(name.utf8).write(to: URL(fileURLWithPath: "/proc/thread-self/comm"))
        // On Linux the nice value belongs to the thread; `who` 0 is the calling thread.
        if let niceness { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
        #endif
    }

    /// A job that arrives after the thread ended (a task that prefers this thread and resumes
    /// late) runs on the shared pool instead of waiting forever: a preference, not a promise.
    public func enqueue(_ job: consuming ExecutorJob) {
        condition.lock()
        if ended {
            condition.unlock()
            globalConcurrentExecutor.enqueue(job)
            return
        }
        jobs.append(UnownedJob(job))
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread end once the jobs already queued have run; later jobs go to the shared pool.
    public func stop() {
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
            if done { ended = true }
            condition.unlock()
            if done { return }
            for job in ready { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}
