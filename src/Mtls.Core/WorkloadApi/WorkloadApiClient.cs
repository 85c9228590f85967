using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mtls.Bundles;
using Mtls.Sources;
using Mtls.Telemetry;
using Mtls.WorkloadApi.Protocol;

namespace Mtls.WorkloadApi;

/// <summary>
/// A client of the SPIFFE Workload API (what a SPIRE agent serves): fetches and watches X.509 contexts, X.509
/// bundles, JWT-SVIDs and JWT bundles, and asks the agent to validate JWT-SVIDs. Every response is checked before
/// it is returned; one that breaks a rule is rejected (logged and counted as <c>mtls.source.rejected_updates</c>).
/// Most applications want <see cref="WorkloadApiX509Source"/> instead, which keeps the identity current in memory.
/// A client keeps its HTTP/2 connection open between calls; it is thread-safe.
/// </summary>
public sealed partial class WorkloadApiClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly SpiffeWorkloadAPI.SpiffeWorkloadAPIClient _client;
    private readonly WorkloadApiClientOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a client; it connects on the first call.</summary>
    /// <param name="options">Address and limits; null means the defaults and <c>SPIFFE_ENDPOINT_SOCKET</c>.</param>
    /// <param name="logger">Where rejected responses are reported.</param>
    /// <exception cref="InvalidWorkloadApiAddressException">The address is missing or invalid.</exception>
    public WorkloadApiClient(WorkloadApiClientOptions? options = null, ILogger<WorkloadApiClient>? logger = null)
    {
        _options = options ?? new WorkloadApiClientOptions();
        _options.Validate();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        Address = WorkloadApiAddress.Resolve(_options.Address);
        _channel = WorkloadApiChannel.Create(Address, _options);
        _client = new SpiffeWorkloadAPI.SpiffeWorkloadAPIClient(WorkloadApiChannel.CreateInvoker(_channel));
    }

    /// <summary>The endpoint this client talks to.</summary>
    public WorkloadApiAddress Address { get; }

    /// <summary>
    /// Fetches the current X.509 context: this workload's SVIDs (the first is the default), the bundle of its trust
    /// domain and the federated bundles. The caller owns the returned certificates and keys: dispose the SVIDs (and
    /// the bundle authorities) when done.
    /// </summary>
    /// <exception cref="WorkloadApiException">The call failed, or the answer was invalid (<c>StatusCode.Internal</c>).</exception>
    public Task<X509Context> FetchX509ContextAsync(CancellationToken cancellationToken = default) =>
        FetchFirstAsync(c => _client.FetchX509SVID(new X509SVIDRequest(), c), ParseContext, "X.509-SVID", cancellationToken);

    /// <summary>
    /// Watches X.509 contexts: yields the state the agent sends, first immediately and then on every change, until
    /// the stream ends or <paramref name="cancellationToken"/> fires. Each item is the full state (a bundle missing
    /// from it is no longer trusted). Invalid responses are skipped, so the caller keeps its previous state. The caller
    /// owns each yielded context's certificates and keys.
    /// </summary>
    /// <exception cref="WorkloadApiException">The stream failed; <see cref="WorkloadApiException.StatusCode"/> says how.</exception>
    public IAsyncEnumerable<X509Context> WatchX509ContextsAsync(CancellationToken cancellationToken = default) =>
        WatchAsync(c => _client.FetchX509SVID(new X509SVIDRequest(), c), ParseContext, "X.509-SVID", cancellationToken);

    /// <summary>Fetches the X.509 bundles of every trust domain the workload trusts. The caller owns the certificates.</summary>
    /// <exception cref="WorkloadApiException">The call failed, or the answer was invalid (<c>StatusCode.Internal</c>).</exception>
    public Task<X509BundleSet> FetchX509BundlesAsync(CancellationToken cancellationToken = default) =>
        FetchFirstAsync(c => _client.FetchX509Bundles(new X509BundlesRequest(), c), ParseBundles, "X.509 bundles", cancellationToken);

    /// <summary>Watches the X.509 bundles: the full set first, then on every change. Invalid responses are skipped.</summary>
    /// <exception cref="WorkloadApiException">The stream failed.</exception>
    public IAsyncEnumerable<X509BundleSet> WatchX509BundlesAsync(CancellationToken cancellationToken = default) =>
        WatchAsync(c => _client.FetchX509Bundles(new X509BundlesRequest(), c), ParseBundles, "X.509 bundles", cancellationToken);

    /// <summary>Closes the connection; calls in progress fail with <c>Cancelled</c> or <c>Unavailable</c>.</summary>
    public void Dispose() => _channel.Dispose();

    internal SpiffeWorkloadAPI.SpiffeWorkloadAPIClient Protocol => _client;

    internal static WorkloadApiException ToException(RpcException e, string what) =>
        new(e.StatusCode, $"Workload API {what} call failed with {e.StatusCode}: {e.Status.Detail}", e);

    private X509Context ParseContext(X509SVIDResponse response) => X509ResponseParser.ParseContext(response, _options);

    private X509BundleSet ParseBundles(X509BundlesResponse response) => X509ResponseParser.ParseBundles(response, _options);

    private async Task<T> FetchFirstAsync<TResponse, T>(Func<CallOptions, AsyncServerStreamingCall<TResponse>> start, Func<TResponse, T> parse, string what, CancellationToken cancellationToken)
    {
        using var call = start(new CallOptions(cancellationToken: cancellationToken));
        if (!await MoveNextAsync(call, what, cancellationToken).ConfigureAwait(false))
        {
            throw new WorkloadApiException(StatusCode.Unavailable, $"Workload API {what} stream at {Address} ended before its first response");
        }

        var response = call.ResponseStream.Current;
        return ParseOrThrow(() => parse(response), what);
    }

    private T ParseOrThrow<T>(Func<T> parse, string what)
    {
        try
        {
            return parse();
        }
        catch (RejectedUpdateException e)
        {
            Reject(what, e);
            throw new WorkloadApiException(StatusCode.Internal, $"The Workload API at {Address} answered with an invalid {what} response ({e.Reason}): {e.Message}", e.InnerException ?? e);
        }
    }

    private async IAsyncEnumerable<T> WatchAsync<TResponse, T>(Func<CallOptions, AsyncServerStreamingCall<TResponse>> start, Func<TResponse, T> parse, string what, [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : class
    {
        using var call = start(new CallOptions(cancellationToken: cancellationToken));
        while (await MoveNextAsync(call, what, cancellationToken).ConfigureAwait(false))
        {
            T? item = null;
            try
            {
                item = parse(call.ResponseStream.Current);
            }
            catch (RejectedUpdateException e)
            {
                Reject(what, e);
            }

            if (item is not null)
            {
                yield return item;
            }
        }
    }

    private static Task<bool> MoveNextAsync<TResponse>(AsyncServerStreamingCall<TResponse> call, string what, CancellationToken cancellationToken) =>
        CallAsync(() => call.ResponseStream.MoveNext(cancellationToken), what, cancellationToken);

    /// <summary>Runs a gRPC call, turning its failure into a <see cref="WorkloadApiException"/> (or our own cancellation into an <see cref="OperationCanceledException"/>).</summary>
    private static async Task<T> CallAsync<T>(Func<Task<T>> call, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"The Workload API {what} call was cancelled.", e, cancellationToken);
        }
        catch (RpcException e)
        {
            throw ToException(e, what);
        }
    }

    private void Reject(string what, RejectedUpdateException e)
    {
        _logger.UpdateRejected(what, Address, e.Reason, e.Message);
        MtlsTelemetry.RejectedUpdates.Add(
            1,
            new KeyValuePair<string, object?>(MtlsTelemetry.SourceTag, "workload-api"),
            new KeyValuePair<string, object?>(MtlsTelemetry.ErrorTypeTag, e.Reason));
    }
}
