// Metric providers listen process-wide by meter name: tests run one at a time so each sees only its own requests.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
