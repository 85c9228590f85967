using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Jwt;
using Mtls.Testing.Certificates;
using Mtls.Testing.Jwt;
using Mtls.WorkloadApi.Protocol;

namespace Mtls.Testing.WorkloadApi;

/// <summary>
/// FOR TESTS AND LOCAL DEMOS ONLY: never a production identity provider (that is SPIRE's job). A SPIFFE Workload API
/// server on a Unix socket (Kestrel and Grpc.AspNetCore) that speaks the same protocol as a SPIRE agent: it serves
/// X.509-SVIDs issued by <see cref="TestCertificateAuthority"/> instances, their bundles (the SVID's own trust domain as
/// <c>bundle</c>, every other added trust domain as a federated bundle), JWT-SVIDs and JWT bundles from
/// <see cref="TestJwtIssuer"/> instances, and validates JWT-SVIDs. Tests drive it: rotate now or on a schedule, grant
/// identities per caller, push a malformed update, answer with a given status code, stop and restart on the same path.
/// Calls without the <c>workload.spiffe.io: true</c> header are answered with <c>InvalidArgument</c>, as SPIRE does.
/// The server never disposes the CAs and issuers it is given. Thread-safe.
/// </summary>
public sealed class WorkloadApiServer : IAsyncDisposable
{
    private readonly WorkloadApiServerOptions _options;
    private readonly string? _ownedDirectory;
    private readonly Lock _gate = new();
    private readonly Dictionary<TrustDomain, TestCertificateAuthority> _authorities = [];
    private readonly Dictionary<TrustDomain, TestJwtIssuer> _jwtIssuers = [];
    private readonly Dictionary<WorkloadApiIdentity, IssuedSvid> _issued = [];
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private Func<WorkloadApiCaller, IReadOnlyList<WorkloadApiIdentity>> _identities = _ => [];
    private TaskCompletionSource _changed = NewSignal();
    private CancellationTokenSource _stopping = new();
    private Status? _failure;
    private MalformedX509Update? _malformed;
    private TestCertificateAuthority? _impostor;
    private WebApplication? _app;
    private ITimer? _rotationTimer;
    private int _x509Streams;
    private int _x509StreamsOpened;
    private TaskCompletionSource _streamsChanged = NewSignal();
    private bool _endX509StreamsAfterOneUpdate;
    private int _jwtSvidFetches;
    private Status? _jwtSvidFailure;
    private TaskCompletionSource _jwtSvidFetched = NewSignal();
    private TaskCompletionSource _jwtSvidGate = CompletedSignal();

    /// <summary>Creates a server; it listens once <see cref="StartAsync"/> is called.</summary>
    public WorkloadApiServer(WorkloadApiServerOptions? options = null)
    {
        _options = options ?? new WorkloadApiServerOptions();
        if (_options.SocketPath is null)
        {
            _ownedDirectory = Directory.CreateTempSubdirectory("mtls-wl-").FullName;
            SocketPath = Path.Combine(_ownedDirectory, "agent.sock");
        }
        else
        {
            SocketPath = Path.GetFullPath(_options.SocketPath);
        }
    }

    /// <summary>The Unix socket path.</summary>
    public string SocketPath { get; }

    /// <summary>The address to give a client: <c>unix://</c> and the socket path.</summary>
    public string Address => "unix://" + SocketPath;

    /// <summary>True between <see cref="StartAsync"/> and <see cref="StopAsync"/>.</summary>
    public bool IsRunning => Volatile.Read(ref _app) is not null;

    /// <summary>How many X.509-SVID streams are open right now.</summary>
    public int OpenX509Streams => Volatile.Read(ref _x509Streams);

    /// <summary>How many X.509-SVID streams were opened since the server was created (reconnects included).</summary>
    public int X509StreamsOpened => Volatile.Read(ref _x509StreamsOpened);

    /// <summary>How many FetchJWTSVID calls arrived since the server was created (held ones included).</summary>
    public int JwtSvidFetches => Volatile.Read(ref _jwtSvidFetches);

    /// <summary>Starts listening (deleting a stale socket file left at the path, as an agent does on start).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_app is not null)
            {
                return;
            }

            File.Delete(SocketPath);
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = typeof(WorkloadApiServer).Assembly.GetName().Name });
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(SocketPath, listen => listen.Protocols = HttpProtocols.Http2));
            builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
            builder.Services.AddGrpc();
            builder.Services.AddSingleton(this);
            var app = builder.Build();
            app.MapGrpcService<WorkloadApiService>();
            lock (_gate)
            {
                // The previous run's source was cancelled and disposed by StopAsync.
                if (_stopping.IsCancellationRequested)
                {
                    _stopping = new CancellationTokenSource();
                }
            }

            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await app.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            if (_options.RotationInterval is { } interval && _rotationTimer is null)
            {
                _rotationTimer = _options.TimeProvider.CreateTimer(_ => Rotate(), null, interval, interval);
            }

            Volatile.Write(ref _app, app);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Stops listening, as when an agent goes down: open streams end with <c>Unavailable</c> and the socket file is
    /// removed. Identities, issued SVIDs and trust domains are kept for a later <see cref="StartAsync"/>.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var app = Volatile.Read(ref _app);
            if (app is null)
            {
                return;
            }

            Volatile.Write(ref _app, null);
            CancellationTokenSource stopping;
            lock (_gate)
            {
                stopping = _stopping;
            }

            await stopping.CancelAsync().ConfigureAwait(false);
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            stopping.Dispose();
            File.Delete(SocketPath);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops and starts again on the same socket path: an agent restart.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken).ConfigureAwait(false);
        await StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Trusts <paramref name="authority"/>'s trust domain and issues that trust domain's X.509-SVIDs from it.</summary>
    public void AddTrustDomain(TestCertificateAuthority authority)
    {
        ArgumentNullException.ThrowIfNull(authority);
        Change(() => _authorities[authority.TrustDomain] = authority);
    }

    /// <summary>Stops serving the bundle of <paramref name="trustDomain"/> (a removed federation).</summary>
    public void RemoveTrustDomain(TrustDomain trustDomain)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        Change(() => _authorities.Remove(trustDomain));
    }

    /// <summary>Mints the JWT-SVIDs of <paramref name="issuer"/>'s trust domain with it and serves its JWT bundle.</summary>
    public void AddJwtIssuer(TestJwtIssuer issuer)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        Change(() => _jwtIssuers[issuer.TrustDomain] = issuer);
    }

    /// <summary>Stops serving the JWT bundle of <paramref name="trustDomain"/>.</summary>
    public void RemoveJwtIssuer(TrustDomain trustDomain)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        Change(() => _jwtIssuers.Remove(trustDomain));
    }

    /// <summary>Grants every caller these SPIFFE IDs (the first is the default SVID); none means <c>PermissionDenied</c>.</summary>
    public void SetIdentities(params string[] spiffeIds)
    {
        ArgumentNullException.ThrowIfNull(spiffeIds);
        WorkloadApiIdentity[] identities = [.. spiffeIds.Select(id => new WorkloadApiIdentity(id))];
        SetIdentities(_ => identities);
    }

    /// <summary>Grants identities per caller; an empty list means <c>PermissionDenied</c> for that caller.</summary>
    public void SetIdentities(Func<WorkloadApiCaller, IReadOnlyList<WorkloadApiIdentity>> resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        Change(() => _identities = resolver);
    }

    /// <summary>Re-issues every X.509-SVID now and pushes the new ones to every open stream.</summary>
    public void Rotate() => Change(_issued.Clear);

    /// <summary>Sends the current state again on every open stream (e.g. after rotating a <see cref="TestJwtIssuer"/>'s key).</summary>
    public void Refresh() => Change(() => { });

    /// <summary>Pushes a broken X.509-SVID response to every open stream; it stays the current state until the next change.</summary>
    public void PushMalformedX509(MalformedX509Update kind) => Change(() => _malformed = kind);

    /// <summary>Ends every open stream with <paramref name="code"/> and answers every call with it until <see cref="ClearFailure"/>.</summary>
    public void FailWith(StatusCode code, string detail = "failure injected by the test")
    {
        ArgumentNullException.ThrowIfNull(detail);
        Change(() => _failure = new Status(code, detail));
    }

    /// <summary>Answers calls normally again.</summary>
    public void ClearFailure() => Change(() => _failure = null);

    /// <summary>
    /// A flapping agent: every X.509-SVID stream opened from now on sends one valid update and then ends with
    /// <c>Unavailable</c> (<paramref name="enabled"/> false: streams stay open again).
    /// </summary>
    public void EndX509StreamsAfterOneUpdate(bool enabled = true)
    {
        lock (_gate)
        {
            _endX509StreamsAfterOneUpdate = enabled;
        }
    }

    /// <summary>
    /// Answers FetchJWTSVID alone with <paramref name="code"/> (the streams are untouched), e.g. <c>PermissionDenied</c>
    /// as an agent does when it stops issuing this workload's JWT-SVIDs; null answers normally again.
    /// </summary>
    public void FailJwtSvidFetchesWith(StatusCode? code, string detail = "failure injected by the test")
    {
        ArgumentNullException.ThrowIfNull(detail);
        lock (_gate)
        {
            _jwtSvidFailure = code is { } status ? new Status(status, detail) : null;
        }
    }

    /// <summary>FetchJWTSVID calls are counted but not answered until <see cref="ReleaseJwtSvidFetches"/> (to make callers overlap).</summary>
    public void HoldJwtSvidFetches()
    {
        lock (_gate)
        {
            if (_jwtSvidGate.Task.IsCompleted)
            {
                _jwtSvidGate = NewSignal();
            }
        }
    }

    /// <summary>Answers the held FetchJWTSVID calls, and every later one at once.</summary>
    public void ReleaseJwtSvidFetches()
    {
        lock (_gate)
        {
            _jwtSvidGate.TrySetResult();
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> FetchJWTSVID calls have arrived.</summary>
    public async Task WaitForJwtSvidFetchesAsync(int count, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task fetched;
            lock (_gate)
            {
                fetched = _jwtSvidFetched.Task;
            }

            if (JwtSvidFetches >= count)
            {
                return;
            }

            await fetched.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> X.509-SVID streams were opened in total.</summary>
    public async Task WaitForX509StreamsOpenedAsync(int count, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _streamsChanged.Task;
            }

            if (X509StreamsOpened >= count)
            {
                return;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the server and removes its socket (and the temporary directory it created).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_rotationTimer is not null)
        {
            await _rotationTimer.DisposeAsync().ConfigureAwait(false);
        }

        _impostor?.Dispose();
        _lifecycle.Dispose();
        if (_ownedDirectory is not null)
        {
            Directory.Delete(_ownedDirectory, recursive: true);
        }
    }

    internal CancellationToken StoppingToken
    {
        get
        {
            lock (_gate)
            {
                return _stopping.Token;
            }
        }
    }

    internal Task Changed
    {
        get
        {
            lock (_gate)
            {
                return _changed.Task;
            }
        }
    }

    /// <summary>Waits until exactly <paramref name="count"/> X.509-SVID streams are open (e.g. 0 after a client was disposed).</summary>
    public async Task WaitForOpenX509StreamsAsync(int count, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _streamsChanged.Task;
            }

            if (OpenX509Streams == count)
            {
                return;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    internal void StreamOpened() => StreamCountChanged(+1);

    internal bool EndsX509StreamsAfterOneUpdate
    {
        get
        {
            lock (_gate)
            {
                return _endX509StreamsAfterOneUpdate;
            }
        }
    }

    /// <summary>Counts a FetchJWTSVID call and returns what it must wait for before answering.</summary>
    internal Task JwtSvidFetchArrived()
    {
        TaskCompletionSource fired;
        Task gate;
        lock (_gate)
        {
            _jwtSvidFetches++;
            fired = _jwtSvidFetched;
            _jwtSvidFetched = NewSignal();
            gate = _jwtSvidGate.Task;
        }

        fired.TrySetResult();
        return gate;
    }

    internal void StreamClosed() => StreamCountChanged(-1);

    internal X509SVIDResponse BuildX509Response(WorkloadApiCaller caller)
    {
        lock (_gate)
        {
            ThrowIfFailing();
            var identities = IdentitiesOf(caller);
            if (_malformed is { } malformed)
            {
                return BuildMalformed(malformed, identities[0]);
            }

            var response = new X509SVIDResponse();
            foreach (var identity in identities)
            {
                response.Svids.Add(ToProto(identity, GetOrIssue(identity), AuthorityFor(identity)));
            }

            var own = identities.Select(i => SpiffeId.Parse(i.SpiffeId).TrustDomain).ToHashSet();
            foreach (var (trustDomain, authority) in _authorities)
            {
                if (!own.Contains(trustDomain))
                {
                    response.FederatedBundles.Add(trustDomain.Id.ToString(), ByteString.CopyFrom(authority.Root.RawData));
                }
            }

            return response;
        }
    }

    internal JWTSVIDResponse BuildJwtResponse(WorkloadApiCaller caller, JWTSVIDRequest request)
    {
        lock (_gate)
        {
            ThrowIfFailing();
            if (_jwtSvidFailure is { } jwtFailure)
            {
                throw new RpcException(jwtFailure);
            }

            if (request.Audience.Count == 0)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "audience must be specified"));
            }

            var identities = IdentitiesOf(caller);
            if (request.SpiffeId.Length > 0)
            {
                if (!SpiffeId.TryParse(request.SpiffeId, out _))
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"requested SPIFFE ID '{request.SpiffeId}' is invalid"));
                }

                identities = [.. identities.Where(i => i.SpiffeId == request.SpiffeId)];
                if (identities.Count == 0)
                {
                    throw new RpcException(new Status(StatusCode.PermissionDenied, "no identity issued for the requested SPIFFE ID"));
                }
            }

            var response = new JWTSVIDResponse();
            string[] audience = [.. request.Audience];
            foreach (var identity in identities)
            {
                var trustDomain = SpiffeId.Parse(identity.SpiffeId).TrustDomain;
                if (!_jwtIssuers.TryGetValue(trustDomain, out var issuer))
                {
                    throw new RpcException(new Status(StatusCode.FailedPrecondition, $"no JWT issuer for trust domain {trustDomain}"));
                }

                string token = issuer.IssueToken(identity.SpiffeId, audience, new JwtSvidSpec { Ttl = _options.JwtSvidTtl });
                response.Svids.Add(new JWTSVID { SpiffeId = identity.SpiffeId, Svid = token, Hint = identity.Hint ?? string.Empty });
            }

            return response;
        }
    }

    internal JWTBundlesResponse BuildJwtBundlesResponse(WorkloadApiCaller caller)
    {
        lock (_gate)
        {
            ThrowIfFailing();
            IdentitiesOf(caller);
            var response = new JWTBundlesResponse();
            foreach (var (trustDomain, issuer) in _jwtIssuers)
            {
                response.Bundles.Add(trustDomain.Id.ToString(), ByteString.CopyFromUtf8(issuer.ToJwks()));
            }

            return response;
        }
    }

    internal X509BundlesResponse BuildX509BundlesResponse(WorkloadApiCaller caller)
    {
        lock (_gate)
        {
            ThrowIfFailing();
            IdentitiesOf(caller);
            var response = new X509BundlesResponse();
            foreach (var (trustDomain, authority) in _authorities)
            {
                response.Bundles.Add(trustDomain.Id.ToString(), ByteString.CopyFrom(authority.Root.RawData));
            }

            return response;
        }
    }

    internal ValidateJWTSVIDResponse Validate(ValidateJWTSVIDRequest request)
    {
        JwtBundleSet bundles;
        lock (_gate)
        {
            ThrowIfFailing();
            bundles = new JwtBundleSet(_jwtIssuers.Values.Select(i => i.Bundle));
        }

        if (request.Audience.Length == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "audience must be specified"));
        }

        if (request.Svid.Length == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "svid must be specified"));
        }

        JwtSvid svid;
        try
        {
            svid = new JwtSvidValidator(bundles, _options.TimeProvider).Validate(request.Svid, request.Audience);
        }
        catch (JwtSvidException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"invalid JWT-SVID ({e.Rule}): {e.Message}"));
        }

        return new ValidateJWTSVIDResponse
        {
            SpiffeId = svid.Id.ToString(),
            Claims = Struct.Parser.ParseJson(JsonSerializer.Serialize(svid.Claims)),
        };
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static TaskCompletionSource CompletedSignal()
    {
        var signal = NewSignal();
        signal.SetResult();
        return signal;
    }

    private static X509SVID ToProto(WorkloadApiIdentity identity, IssuedSvid issued, TestCertificateAuthority authority) => new()
    {
        SpiffeId = identity.SpiffeId,
        X509Svid = ByteString.CopyFrom(issued.CertificatesDer),
        X509SvidKey = ByteString.CopyFrom(issued.PrivateKeyPkcs8),
        Bundle = ByteString.CopyFrom(authority.Root.RawData),
        Hint = identity.Hint ?? string.Empty,
    };

    private void Change(Action change)
    {
        TaskCompletionSource fired;
        lock (_gate)
        {
            // A malformed update is the current state only until the next change (which may push another).
            _malformed = null;
            change();

            fired = _changed;
            _changed = NewSignal();
        }

        fired.TrySetResult();
    }

    private void StreamCountChanged(int delta)
    {
        TaskCompletionSource fired;
        lock (_gate)
        {
            _x509Streams += delta;
            if (delta > 0)
            {
                _x509StreamsOpened++;
            }
            fired = _streamsChanged;
            _streamsChanged = NewSignal();
        }

        fired.TrySetResult();
    }

    private void ThrowIfFailing()
    {
        if (_failure is { } failure)
        {
            throw new RpcException(failure);
        }
    }

    private List<WorkloadApiIdentity> IdentitiesOf(WorkloadApiCaller caller)
    {
        var identities = _identities(caller);
        if (identities.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "no identity issued"));
        }

        return [.. identities];
    }

    private TestCertificateAuthority AuthorityFor(WorkloadApiIdentity identity)
    {
        var trustDomain = SpiffeId.Parse(identity.SpiffeId).TrustDomain;
        return _authorities.TryGetValue(trustDomain, out var authority)
            ? authority
            : throw new RpcException(new Status(StatusCode.FailedPrecondition, $"no certificate authority for trust domain {trustDomain}"));
    }

    private IssuedSvid GetOrIssue(WorkloadApiIdentity identity)
    {
        if (!_issued.TryGetValue(identity, out var issued))
        {
            issued = AuthorityFor(identity).Issue(identity.SpiffeId, new SvidSpec { Ttl = _options.SvidTtl, Hint = identity.Hint });
            _issued[identity] = issued;
        }

        return issued;
    }

    private X509SVIDResponse BuildMalformed(MalformedX509Update kind, WorkloadApiIdentity identity)
    {
        var authority = AuthorityFor(identity);
        var issued = GetOrIssue(identity);
        var svid = ToProto(identity, issued, authority);
        switch (kind)
        {
            case MalformedX509Update.NoSvids:
                return new X509SVIDResponse();
            case MalformedX509Update.EmptyBundle:
                svid.Bundle = ByteString.Empty;
                break;
            case MalformedX509Update.GarbageCertificate:
                svid.X509Svid = ByteString.CopyFromUtf8("this is not a DER certificate");
                break;
            case MalformedX509Update.KeyMismatch:
                svid.X509SvidKey = ByteString.CopyFrom(authority.Issue(identity.SpiffeId).PrivateKeyPkcs8);
                break;
            case MalformedX509Update.SignedByUnknownAuthority:
                _impostor ??= TestCertificateAuthority.Create(authority.TrustDomain);
                svid = ToProto(identity, _impostor.Issue(identity.SpiffeId), authority);
                break;
            case MalformedX509Update.SpiffeIdMismatch:
                svid.SpiffeId = authority.TrustDomain.Id + "/someone-else";
                break;
            case MalformedX509Update.FederatedBundleKeyWithPath:
            {
                using var federated = TestCertificateAuthority.Create("federated.test");
                return new X509SVIDResponse
                {
                    Svids = { svid },
                    FederatedBundles = { ["spiffe://federated.test/path"] = ByteString.CopyFrom(federated.Root.RawData) },
                };
            }

            case MalformedX509Update.OversizedBundle:
                var extra = authority.CreateExtraRoots(SpiffeLimits.MaxBundleAuthorities);
                svid.Bundle = ByteString.CopyFrom([.. authority.Root.RawData, .. extra.SelectMany(c => c.RawData)]);
                foreach (var certificate in extra)
                {
                    certificate.Dispose();
                }

                break;
            case MalformedX509Update.OversizedChain:
                var longChain = authority.IssueUnderIntermediates(identity.SpiffeId, SpiffeLimits.MaxSvidIntermediates + 1 - (authority.Intermediate is null ? 0 : 1));
                svid = ToProto(identity, longChain, authority);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }

        return new X509SVIDResponse { Svids = { svid } };
    }
}
