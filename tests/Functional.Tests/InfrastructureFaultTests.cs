using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using OAuthAspire.AuditTail;
using Xunit.Abstractions;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// PostgreSQL or RabbitMQ restarted under load: requests fail fast with standard answers while the
/// database is away, everything recovers by itself within 10 s, nothing committed is lost, and a
/// revocation made while the broker is away still takes effect within its bound.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class InfrastructureFaultTests(SystemFixture system, ITestOutputHelper output)
{
    private const string Redirect = "https://app.example.test/callback";
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DeafRevocationBound = TimeSpan.FromSeconds(3);
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task WhilePostgresRestartsRequestsFailFastAndEverythingRecoversWithinTenSeconds()
    {
        var commands = system.App.Services.GetRequiredService<ResourceCommandService>();
        var notifications = system.App.Services.GetRequiredService<ResourceNotificationService>();
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var (web, _) = await _api.CreateWebClientAsync([Redirect], ["openid"]);
        var (unseen, _) = await _api.CreateWebClientAsync([Redirect], ["openid"]);
        // The authorize service has seen this client and remembers it (not the other one). It
        // remembers for a minute only while it hears change events: after a broker restart (an
        // earlier test) it first waits for its bus to be healthy again, when its caches keep a second.
        using (var authorizeHealth = new HttpClient { BaseAddress = system.App.GetEndpoint("authorize", "http") })
        {
            await TestApi.EventuallyAsync(async () => await authorizeHealth.GetStringAsync("/health") == "Healthy", TimeSpan.FromSeconds(60),
                "the authorize service hearing events again");
        }

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        (await AuthorizeAsync(web)).Dispose();
        var adminToken = await _api.AdminTokenAsync();
        await using var reader = await AuditStreamReader.OpenAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!, new StartAt.Next());
        var answers = new ConcurrentBag<(HttpStatusCode Status, string? RetryAfter, string Body)>();
        using var stop = new CancellationTokenSource();
        // The load comes from an address of its own, paced under the rate limits (a 503 comes back fast).
        using var loadClient = system.EdgeFrom("127.0.0.9");
        var load = Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await TokenAsync(clientId, secret, loadClient);
                answers.Add((response.StatusCode, response.Headers.RetryAfter?.ToString(), await response.Content.ReadAsStringAsync()));
                await Task.Delay(10);
            }
        })));

        var outage = Stopwatch.StartNew();
        try
        {
            await Task.Delay(500);
            var stopped = await commands.ExecuteCommandAsync("postgres", KnownResourceCommands.StopCommand);
            Assert.True(stopped.Success, stopped.Message);
            await notifications.WaitForResourceAsync("postgres", KnownResourceStates.TerminalStates).WaitAsync(TimeSpan.FromSeconds(60));

            // Token endpoint: 503 temporarily_unavailable with Retry-After, at once.
            var clock = Stopwatch.StartNew();
            using (var token = await TokenAsync(clientId, secret))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, token.StatusCode);
                Assert.NotNull(token.Headers.RetryAfter);
                Assert.Equal("temporarily_unavailable", JsonDocument.Parse(await token.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the token endpoint took {clock.Elapsed} to fail");

            // Authorize endpoint: a client whose redirect URI cannot be checked now gets an error
            // page, never a redirect; one already known goes back to the client with temporarily_unavailable.
            using (var page = await AuthorizeAsync(unseen))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
                Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
                Assert.Null(page.Headers.Location);
            }

            using (var authorize = await AuthorizeAsync(web))
            {
                Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
                var location = authorize.Headers.Location!.ToString();
                Assert.StartsWith(Redirect, location);
                Assert.Contains("error=temporarily_unavailable", location);
                Assert.Contains("state=s", location);
            }

            // Admin API: 503 ProblemDetails with Retry-After.
            using (var admin = await _api.SendAsync(HttpMethod.Get, "/api/admin/clients", token: adminToken))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, admin.StatusCode);
                Assert.NotNull(admin.Headers.RetryAfter);
                Assert.Equal("application/problem+json", admin.Content.Headers.ContentType?.MediaType);
                Assert.Equal(503, JsonDocument.Parse(await admin.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetInt32());
            }
        }
        finally
        {
            var started = await commands.ExecuteCommandAsync("postgres", KnownResourceCommands.StartCommand);
            Assert.True(started.Success, started.Message);
            await notifications.WaitForResourceHealthyAsync("postgres").WaitAsync(TimeSpan.FromSeconds(60));
        }

        // Every service back on its own, within the bound, counted from PostgreSQL answering again.
        var recovery = Stopwatch.StartNew();
        await TestApi.EventuallyAsync(async () =>
        {
            using var token = await TokenAsync(clientId, secret);
            using var authorize = await AuthorizeAsync(web);
            using var admin = await _api.SendAsync(HttpMethod.Get, "/api/admin/clients", token: adminToken);
            using var table = await _api.SendAsync(HttpMethod.Post, "/api/now/table/incident", new { short_description = "after the restart" }, token: adminToken);
            return token.StatusCode == HttpStatusCode.OK && admin.StatusCode == HttpStatusCode.OK && table.StatusCode == HttpStatusCode.Created
                && authorize.StatusCode == HttpStatusCode.Redirect && authorize.Headers.Location!.ToString().Contains("/oauth/login", StringComparison.Ordinal);
        }, RecoveryBound, "recovery after PostgreSQL restarted");
        var recovered = recovery.Elapsed;
        await Task.Delay(500);
        await stop.CancelAsync();
        await load;

        // Under load, every answer was a token or a clean 503; every token answered is audited.
        Assert.All(answers, a =>
        {
            Assert.True(a.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"{(int)a.Status}: {a.Body}");
            Assert.True(a.Status == HttpStatusCode.OK || a.RetryAfter is not null, "a 503 without Retry-After");
        });
        var jtis = answers.Where(a => a.Status == HttpStatusCode.OK)
            .Select(a => new JsonWebToken(JsonDocument.Parse(a.Body).RootElement.GetProperty("access_token").GetString()).Id)
            .ToHashSet(StringComparer.Ordinal);
        HashSet<string> Seen(IEnumerable<StreamEntry> entries) => entries
            .Where(e => e.Event.GetProperty("type").GetString() == "TokenIssued")
            .Select(e => e.Event.GetProperty("jti").GetString()!).ToHashSet(StringComparer.Ordinal);
        await reader.ReadUntilAsync(entries => jtis.IsSubsetOf(Seen(entries)), TimeSpan.FromSeconds(60));
        Assert.Empty(jtis.Except(Seen(reader.Entries)));
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}", token: adminToken)).StatusCode);
        output.WriteLine($"outage {outage.Elapsed.TotalSeconds:F1} s; recovered {recovered.TotalSeconds:F2} s after PostgreSQL was healthy; " +
            $"{answers.Count} token requests under load: {jtis.Count} tokens (all audited), {answers.Count(a => a.Status != HttpStatusCode.OK)} clean 503");
    }

    [Fact]
    public async Task ARevocationWhileRabbitMqIsAwayTakesEffectAtTheEdgeWithinItsBound()
    {
        var commands = system.App.Services.GetRequiredService<ResourceCommandService>();
        var notifications = system.App.Services.GetRequiredService<ResourceNotificationService>();
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var token = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: token)).StatusCode);
        try
        {
            Assert.True((await commands.ExecuteCommandAsync("rabbitmq", KnownResourceCommands.StopCommand)).Success);
            await notifications.WaitForResourceAsync("rabbitmq", KnownResourceStates.TerminalStates).WaitAsync(TimeSpan.FromSeconds(60));

            // Issuance goes on without the broker.
            Assert.False((await _api.ClientCredentialsAsync(clientId, secret)).IsError);

            Assert.Equal(HttpStatusCode.OK, (await _api.PostFormAsync("/oauth/revoke", [new("token", token)], clientId, secret)).StatusCode);
            var took = await TestApi.EventuallyAsync(async () =>
                (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: token)).StatusCode == HttpStatusCode.Unauthorized,
                DeafRevocationBound, "the edge refusing a token revoked while RabbitMQ is away");
            output.WriteLine($"revoked while RabbitMQ was away: refused by the edge {took.TotalMilliseconds:F0} ms later (bound {DeafRevocationBound.TotalSeconds} s)");
        }
        finally
        {
            Assert.True((await commands.ExecuteCommandAsync("rabbitmq", KnownResourceCommands.StartCommand)).Success);
            await system.WaitForRabbitMqAsync();
        }
    }

    private async Task<HttpResponseMessage> TokenAsync(string clientId, string secret, HttpClient? client = null)
    {
        using var request = TestApi.ClientCredentialsRequest(clientId, secret);
        return await (client ?? system.Edge).SendAsync(request);
    }

    private async Task<HttpResponseMessage> AuthorizeAsync(string clientId)
    {
        var verifier = Protocol.Tokens.RefreshTokens.New() + "-v";
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        using var client = new HttpClient(handler) { BaseAddress = system.EdgeUrl };
        return await client.GetAsync($"/oauth/authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(Redirect)}&state=s" +
            $"&scope=openid&code_challenge={Protocol.Authorization.Pkce.ChallengeOf(verifier)}&code_challenge_method=S256");
    }
}
