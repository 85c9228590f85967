using Grpc.Core;
using Mtls.AspNetCore.Grpc;
using Mtls.AspNetCore.Tests.Grpc;
using Mtls.AspNetCore.Tests.Infrastructure;

namespace Mtls.AspNetCore.Tests.Jwt;

/// <summary>Answers with the subject of the JWT-SVID the server validated for the call.</summary>
public sealed class JwtEchoService(InvocationCounter invocations) : JwtEcho.JwtEchoBase
{
    public override Task<WhoAmIReply> WhoAmI(WhoAmIRequest request, ServerCallContext context)
    {
        invocations.Count();
        return Task.FromResult(new WhoAmIReply { SpiffeId = context.GetJwtSvid()?.Id.ToString() ?? string.Empty });
    }
}
