using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Aspire.Hosting.Testing;
using OAuthAspire.AuditTail;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// A scripted day of the system (registrations, every main grant, a refusal of each kind, a
/// revocation, a policy change) leaves exactly the expected events on the audit stream, in order
/// per service, with no secret in them; the auditor tool replays them all afterwards.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class AuditStreamTests(SystemFixture system)
{
    private const string Redirect = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task TheStreamHoldsEveryEventOfTheStoryInOrderAndTheToolReplaysThem()
    {
        var rabbit = (await system.App.GetConnectionStringAsync("rabbitmq"))!;
        var adminToken = await _api.AdminTokenAsync();
        await using var reader = await AuditStreamReader.OpenAsync(rabbit, new StartAt.Next());

        // Configuration by an administrator.
        var scope = await _api.CreateScopeAsync("story");
        var (userName, sysId, password) = await _api.CreateSignInUserAsync();
        var (web, webSecret) = await _api.CreateWebClientAsync([Redirect], ["openid", scope], grantTypes: ["authorization_code", "refresh_token", "password"]);
        var (backend, backendSecret) = await _api.CreateClientAsync([scope]);

        // Every main grant.
        var signedIn = await _api.CodeFlowAsync(web, webSecret, userName, password, $"openid {scope}", Redirect);
        Assert.False(signedIn.IsError, signedIn.Error);
        var refreshed = await _api.RefreshAsync(web, webSecret, signedIn.RefreshToken!);
        Assert.False(refreshed.IsError, refreshed.Error);
        var byPassword = await _api.PostFormAsync("/oauth/token",
            [new("grant_type", "password"), new("username", userName), new("password", password), new("scope", scope)], web, webSecret);
        Assert.Equal(HttpStatusCode.OK, byPassword.StatusCode);
        var passwordTokens = await _api.ReadAsync(byPassword);
        var backendToken = await _api.ClientCredentialsAsync(backend, backendSecret);
        Assert.False(backendToken.IsError, backendToken.Error);

        // A refusal of each kind.
        const string wrongSecret = "not-the-secret-0123456789";
        const string wrongPassword = "Wrong-password-42";
        Assert.Equal("invalid_client", TestApi.OAuthError(await _api.ClientCredentialsAsync(backend, wrongSecret)));
        Assert.Equal(HttpStatusCode.BadRequest, (await _api.PostFormAsync("/oauth/token",
            [new("grant_type", "password"), new("username", userName), new("password", wrongPassword)], web, webSecret)).StatusCode);
        Assert.Equal("invalid_scope", TestApi.OAuthError(await _api.ClientCredentialsAsync(backend, backendSecret, "admin.api")));
        Assert.Equal(HttpStatusCode.BadRequest, (await _api.PostFormAsync("/oauth/token", [new("grant_type", "urn:example:nope")], backend, backendSecret)).StatusCode);
        using (var browser = new FormBrowser(system.EdgeUrl))
        {
            var page = await browser.GetAsync($"/oauth/authorize?response_type=code&client_id={web}&redirect_uri={Uri.EscapeDataString("https://evil.example/cb")}&state=s&scope=openid");
            Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await _api.SendAsync(HttpMethod.Get, "/api/admin/clients", token: backendToken.AccessToken)).StatusCode);

        // A policy change, then the API refusal it causes.
        var policy = $"story_{Guid.NewGuid():N}"[..14];
        var path = $"/api/now/table/{policy}";
        var other = await _api.CreateScopeAsync("other");
        Assert.Equal(HttpStatusCode.Created, (await _api.SendAsync(HttpMethod.Post, "/api/admin/api-policies",
            new { name = policy, basePath = path, acceptDefaultAudience = true, rules = new[] { new { methods = Array.Empty<string>(), resource = path, scopes = new[] { scope } } } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/api-policies/{policy}",
            new { name = policy, basePath = path, rules = new[] { new { methods = Array.Empty<string>(), resource = path, scopes = new[] { other } } } })).StatusCode);
        await TestApi.EventuallyAsync(async () =>
            (await _api.SendAsync(HttpMethod.Get, path, token: backendToken.AccessToken)).StatusCode == HttpStatusCode.Forbidden,
            TimeSpan.FromSeconds(5), "the edge enforcing the changed policy");

        // A revocation.
        Assert.Equal(HttpStatusCode.OK, (await _api.PostFormAsync("/oauth/revoke", [new("token", backendToken.AccessToken!)], backend, backendSecret)).StatusCode);

        string[] ours = [scope, other, userName, sysId, web, backend, policy];
        bool Ours(JsonElement e) => ours.Any(e.GetRawText().Contains);
        var expected = new Dictionary<string, string[]>
        {
            ["scope-policy"] = ["ScopeCreated", "ScopeCreated", "ApiPolicyCreated", "ApiPolicyUpdated"],
            ["directory"] = ["UserCreated"],
            ["authorize"] = ["LoginSucceeded", "ConsentGranted", "AuthorizationRequestRefused:invalid_request"],
            ["client-registry"] = ["ClientCreated", "ClientCreated"],
            ["token"] =
            [
                "CodeIssued", "TokenIssued:authorization_code", "CodeRedeemed", "TokenIssued:refresh_token", "RefreshTokenRotated",
                "TokenIssued:password", "TokenIssued:client_credentials", "TokenRequestRefused:invalid_client", "PasswordGrantFailed",
                "TokenRequestRefused:invalid_scope", "TokenRequestRefused:unsupported_grant_type", "TokenRevoked",
            ],
            ["edge"] = ["AdminAccessRefused", "ApiAccessDenied"],
        };
        Dictionary<string, string[]> Actual() => reader.Events.Where(Ours)
            .GroupBy(e => e.GetProperty("service").GetString()!)
            .ToDictionary(g => g.Key, g => g.Select(Describe).ToArray());
        var complete = await reader.ReadUntilAsync(_ => expected.All(x => Actual().GetValueOrDefault(x.Key)?.Length >= x.Value.Length), TimeSpan.FromSeconds(30));
        // A moment more, so that an unexpected extra event would be seen too.
        await reader.ReadUntilAsync(_ => false, TimeSpan.FromSeconds(1));
        var actual = Actual();
        Assert.True(complete, "incomplete: " + JsonSerializer.Serialize(actual));
        foreach (var (service, types) in expected)
        {
            Assert.True(types.SequenceEqual(actual[service]), $"{service}: expected {string.Join(", ", types)}\n  but got {string.Join(", ", actual[service])}");
        }

        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());

        // The envelope and the fields that matter.
        var story = reader.Events.Where(Ours).ToArray();
        Assert.Equal(story.Length, story.Select(e => e.GetProperty("eventId").GetGuid()).Distinct().Count());
        Assert.All(story, e =>
        {
            Assert.Equal(1, e.GetProperty("version").GetInt32());
            Assert.Matches("^[0-9a-f]{32}$", e.GetProperty("traceId").GetString()!);
            Assert.True(e.GetProperty("occurredAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        });
        var login = story.Single(e => Type(e) == "LoginSucceeded");
        Assert.Equal(userName, login.GetProperty("actor").GetProperty("userName").GetString());
        Assert.Equal(web, login.GetProperty("clientId").GetString());
        var issued = story.Single(e => Describe(e) == "TokenIssued:client_credentials");
        Assert.Equal(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(backendToken.AccessToken).Id, issued.GetProperty("jti").GetString());
        Assert.Equal("127.0.0.1", story.Single(e => Describe(e) == "TokenRequestRefused:invalid_client").GetProperty("remoteAddress").GetString());
        var denied = story.Single(e => Type(e) == "ApiAccessDenied");
        Assert.Equal("Failure", denied.GetProperty("outcome").GetString());
        Assert.Equal([other], denied.GetProperty("requiredScopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("admin", story.Single(e => Type(e) == "ApiPolicyUpdated").GetProperty("actor").GetProperty("userName").GetString());

        // No secret, password, token or code anywhere in the stream.
        var everything = string.Join('\n', reader.Events.Select(e => e.GetRawText()));
        string[] secrets =
        [
            webSecret!, backendSecret, password, wrongSecret, wrongPassword, adminToken,
            signedIn.AccessToken!, signedIn.RefreshToken!, signedIn.IdentityToken!, refreshed.AccessToken!, refreshed.RefreshToken!,
            passwordTokens.GetProperty("access_token").GetString()!, backendToken.AccessToken!,
        ];
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, everything);
            if (secret.Count(c => c == '.') == 2)
            {
                Assert.DoesNotContain(secret.Split('.')[2], everything); // a token's signature alone
            }
        }

        // The auditor tool, started afterwards, replays all of it from the start.
        var (exit, output, errors) = await RunToolAsync("--connection", rabbit, "--from", "start", "--json", "--idle-exit", "3");
        Assert.True(exit == 0, errors);
        var replayed = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Subset(replayed.Select(e => e.GetProperty("eventId").GetString()!).ToHashSet(), story.Select(e => e.GetProperty("eventId").GetString()!).ToHashSet());
        Assert.All(replayed, e => Assert.True(e.GetProperty("streamOffset").GetInt64() >= 0));

        // Filters: only this client's refusals, as readable lines.
        (exit, output, errors) = await RunToolAsync("--connection", rabbit, "--client", backend, "--outcome", "failure", "--type", "TokenRequestRefused", "--idle-exit", "3");
        Assert.True(exit == 0, errors);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.Matches($@"^\d{{4}}-\d\d-\d\dT[0-9:.]+Z token TokenRequestRefused failure client={backend} ", l));
        Assert.Contains(lines, l => l.Contains("error=invalid_client", StringComparison.Ordinal));

        // The same events for a SIEM: as published (CloudEvents) and as OCSF.
        (exit, output, errors) = await RunToolAsync("--connection", rabbit, "--client", backend, "--type", "TokenIssued", "--format", "cloudevents", "--idle-exit", "3");
        Assert.True(exit == 0, errors);
        var cloudEvent = JsonDocument.Parse(Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal("com.oauthaspire.audit.TokenIssued.v1", cloudEvent.GetProperty("type").GetString());
        Assert.Equal(issued.GetProperty("eventId").GetString(), cloudEvent.GetProperty("id").GetString());
        (exit, output, errors) = await RunToolAsync("--connection", rabbit, "--client", backend, "--type", "TokenIssued", "--format", "ocsf", "--idle-exit", "3");
        Assert.True(exit == 0, errors);
        var ocsf = JsonDocument.Parse(Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal(3002, ocsf.GetProperty("class_uid").GetInt32());
        Assert.Equal(300204, ocsf.GetProperty("type_uid").GetInt32());
        Assert.Equal("1.3.0", ocsf.GetProperty("metadata").GetProperty("version").GetString());
        Assert.Equal(issued.GetProperty("occurredAt").GetDateTimeOffset().ToUnixTimeMilliseconds(), ocsf.GetProperty("time").GetInt64());
    }

    [Fact]
    public async Task TheToolSaysClearlyWhenTheBrokerCannotBeReached()
    {
        var (exit, output, errors) = await RunToolAsync("--connection", "amqp://auditor:hunter2-secret@127.0.0.1:9/", "--idle-exit", "2");
        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("cannot reach RabbitMQ at 127.0.0.1:9", errors);
        Assert.DoesNotContain("hunter2-secret", errors);

        (exit, _, errors) = await RunToolAsync("--connection", (await system.App.GetConnectionStringAsync("rabbitmq"))!, "--stream", "no.such.stream");
        Assert.Equal(3, exit);
        Assert.Contains("no stream queue 'no.such.stream'", errors);

        (exit, _, errors) = await RunToolAsync("--outcome", "maybe");
        Assert.Equal(1, exit);
        Assert.Contains("--outcome", errors);
    }

    private static string Type(JsonElement e) => e.GetProperty("type").GetString()!;

    private static string Describe(JsonElement e) => Type(e) switch
    {
        "TokenIssued" => $"TokenIssued:{e.GetProperty("grantType").GetString()}",
        "TokenRequestRefused" => $"TokenRequestRefused:{e.GetProperty("error").GetString()}",
        "AuthorizationRequestRefused" => $"AuthorizationRequestRefused:{e.GetProperty("error").GetString()}",
        var type => type,
    };

    /// <summary>Runs the built auditor tool (tools/AuditTail) as an auditor would.</summary>
    public static Task<(int Exit, string Output, string Errors)> RunToolAsync(params string[] args) => RunToolAsync(new Dictionary<string, string>(), args);

    /// <summary>The same, with <paramref name="environment"/> set for it (the audit keys, say).</summary>
    public static async Task<(int Exit, string Output, string Errors)> RunToolAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(ToolPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            // A tool left running would hold a stream consumer for the rest of the run.
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return (process.ExitCode, await output, await errors);
    }

    // tests/Functional.Tests/bin/<configuration>/net10.0 → tools/AuditTail/bin/<configuration>/net10.0
    private static string ToolPath
    {
        get
        {
            var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var configuration = bin.Parent!.Name;
            var root = bin.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
            return Path.Combine(root, "tools", "AuditTail", "bin", configuration, bin.Name, "oauthaspire-audit.dll");
        }
    }
}
