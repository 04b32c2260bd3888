using System.Diagnostics;
using System.Net;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace OAuthAspire.Functional.Tests;

/// <summary>A call to a service that is down (restarting, or one its caller's start did not wait for) retries until its callee listens.</summary>
[Collection(SystemCollection.Name)]
public sealed class StartupOrderTests(SystemFixture system)
{
    [Fact]
    public async Task ACallToAServiceThatIsNotUpYetSucceedsOnceItStarts()
    {
        var commands = system.App.Services.GetRequiredService<ResourceCommandService>();
        var notifications = system.App.Services.GetRequiredService<ResourceNotificationService>();
        try
        {
            Assert.True((await commands.ExecuteCommandAsync("scope-policy", KnownResourceCommands.StopCommand)).Success);
            await notifications.WaitForResourceAsync("scope-policy", KnownResourceStates.TerminalStates).WaitAsync(TimeSpan.FromSeconds(60));

            // token → scope-policy is refused at the socket while scope-policy is down...
            var clock = Stopwatch.StartNew();
            var pending = system.Edge.GetAsync("/.well-known/openid-configuration");
            // Half a second proves it waits; the callee's restart (a dotnet start on two busy cores)
            // must then fit in what remains of the call's 20 s deadline.
            await Task.Delay(TimeSpan.FromSeconds(0.5));
            Assert.False(pending.IsCompleted, "the call should be waiting for its callee");

            // ...and goes through once it is back, without the caller seeing an error.
            Assert.True((await commands.ExecuteCommandAsync("scope-policy", KnownResourceCommands.StartCommand)).Success);
            var response = await pending;

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(clock.Elapsed > TimeSpan.FromSeconds(0.5));
        }
        finally
        {
            await notifications.WaitForResourceHealthyAsync("scope-policy").WaitAsync(TimeSpan.FromSeconds(90));
        }
    }
}
