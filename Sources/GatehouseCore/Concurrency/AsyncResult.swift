extension Result where Failure == any Error {
    /// The outcome of an async throwing `body`, as a value: for work whose cleanup must run
    /// whether or not it threw (closing connections, answering a job's outcome).
    public init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
