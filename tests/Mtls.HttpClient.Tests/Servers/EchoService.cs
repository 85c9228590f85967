using Grpc.Core;
using Mtls.Http.Tests.Protos;

namespace Mtls.Http.Tests.Servers;

/// <summary>
/// Answers a ping with the serial of the client certificate the connection presented; a ping whose text is
/// <c>authorization</c> gets the call's <c>authorization</c> metadata back as its text.
/// </summary>
public sealed class EchoService : Echo.EchoBase
{
    public override Task<PingReply> Ping(PingRequest request, ServerCallContext context) =>
        Task.FromResult(new PingReply
        {
            Text = request.Text == "authorization" ? context.RequestHeaders.GetValue("authorization") ?? "(none)" : request.Text,
            ClientSerial = context.GetHttpContext().Connection.ClientCertificate?.SerialNumber ?? "none",
        });
}
