using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Mtls.AspNetCore.Tests.Infrastructure;

namespace Mtls.AspNetCore.Tests.Composition;

/// <summary>An API for end users, as an app with JWT bearer or cookie authentication writes it.</summary>
[ApiController]
[Route("people")]
public sealed class PeopleController(InvocationCounter invocations) : ControllerBase
{
    [Authorize]
    [HttpGet]
    public string Get()
    {
        invocations.Count();
        return User.Identity?.Name ?? "(anonymous)";
    }

    [Authorize(AuthenticationSchemes = "Bearer", Policy = "workload-claim")]
    [HttpGet("claimed")]
    public string Claimed()
    {
        invocations.Count();
        return "claimed";
    }
}
