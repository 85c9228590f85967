using Grpc.Core;
using Mtls.AspNetCore.Grpc;
using Mtls.AspNetCore.Tests.Grpc;

namespace Mtls.AspNetCore.Tests.Infrastructure;

/// <summary>Answers with the SPIFFE ID the server saw calling.</summary>
public sealed class EchoService(InvocationCounter invocations) : Echo.EchoBase
{
    public override Task<WhoAmIReply> WhoAmI(WhoAmIRequest request, ServerCallContext context)
    {
        invocations.Count();
        return Task.FromResult(new WhoAmIReply { SpiffeId = context.GetPeerSpiffeId()?.ToString() ?? string.Empty });
    }
}

/// <summary>Counts endpoint handler runs (HTTP and gRPC).</summary>
public sealed class InvocationCounter
{
    private int _value;

    public int Value => Volatile.Read(ref _value);

    public void Count() => Interlocked.Increment(ref _value);
}
