using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Thousands of malformed requests from a seeded generator against every public endpoint: bad and
/// double encodings, huge and repeated parameters, wrong content types, broken JWTs and JSON,
/// invalid UTF-8, header tricks, oversized bodies. Not one 5xx; every answer a standard refusal
/// (RFC 6749 JSON, ProblemDetails, an HTML page or the server's bare 4xx); every service healthy after.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class HostileInputTests(SystemFixture system, ITestOutputHelper output)
{
    private const int Requests = 2500;
    private const int Seed = 9700;
    private readonly TestApi _api = new(system);

    /// <summary>The smallest body limit at the edge (its EdgeRoutes.SmallBodyLimit): larger bodies may be cut after the 413.</summary>
    private const long SmallestBodyLimit = 64 * 1024;

    [Fact]
    public async Task MalformedRequestsGetCleanStandardRefusalsAndNothingBreaks()
    {
        var adminToken = await _api.AdminTokenAsync();
        var (clientId, _) = await _api.CreateClientAsync(["useraccount"]);
        var corpus = new HostileCorpus(new Random(Seed), adminToken, clientId);
        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        using var client = system.EdgeFrom("127.0.0.3", followRedirects: false);
        var requests = Enumerable.Range(0, Requests).Select(_ => corpus.Next()).ToArray();

        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (make, ct) =>
        {
            using var request = make();
            var what = $"{request.Method} {Shorten(request.RequestUri!.OriginalString)}";
            try
            {
                using var response = await client.SendAsync(request, ct);
                statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                var body = await response.Content.ReadAsStringAsync(ct);
                if (Problem(response, body) is { } problem)
                {
                    failures.Enqueue($"{what} → {(int)response.StatusCode}: {problem}");
                }
            }
            catch (HttpRequestException e) when (request.Content?.Headers.ContentLength > SmallestBodyLimit)
            {
                // A body over the limit may be cut mid-send once the 413 is written: that is a refusal.
                statuses.AddOrUpdate(0, 1, (_, n) => n + 1);
                output.WriteLine($"{what}: oversized body cut ({e.Message})");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Anything else must be answered: a dropped connection or a hang is a failure.
                failures.Enqueue($"{what} → no answer ({e.GetType().Name}: {e.Message} {e.InnerException?.Message})");
            }
        });

        foreach (var raw in HostileCorpus.RawRequests)
        {
            var status = await SendRawAsync(raw);
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            if (status is >= 500 or 0)
            {
                failures.Enqueue($"raw {Shorten(raw)} → {(status == 0 ? "no answer" : status)}");
            }
        }

        output.WriteLine(string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
        Assert.True(failures.IsEmpty, $"{failures.Count} bad answer(s):\n" + string.Join("\n", failures.Take(20)));
        Assert.True(statuses.Where(s => s.Key is >= 400 and < 500).Sum(s => s.Value) > Requests / 2, "the corpus should mostly be refused");

        // Every service is still healthy and serves a normal request.
        using var healthy = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await system.WaitForAllHealthyAsync(healthy.Token);
        // (The corpus may well have deleted its own client with the admin token: use a new one.)
        var (freshId, freshSecret) = await _api.CreateClientAsync(["useraccount"]);
        Assert.False((await _api.ClientCredentialsAsync(freshId, freshSecret)).IsError);
    }

    /// <summary>
    /// A body larger than the service behind the route reads is refused by the edge itself, in the
    /// endpoint's form, every time: forwarded, it used to race the service closing its connection
    /// and now and then came back as a 503.
    /// </summary>
    [Fact]
    public async Task OversizedBodiesAreRefusedCleanlyEveryTime()
    {
        var adminToken = await _api.AdminTokenAsync();
        using var client = system.EdgeFrom("127.0.0.11", followRedirects: false);
        var json = "{\"userName\":\"" + new string('x', 100_000) + "\"}";
        var form = "grant_type=password&username=" + new string('u', 100_000);
        var cases = new (string Path, string Body, string Type, bool Admin, string Expected)[]
        {
            ("/api/admin/users", json, "application/json", true, "application/problem+json"),
            ("/api/admin/keys/rotate", json, "application/json", true, "application/problem+json"),
            ("/oauth/token", form, "application/x-www-form-urlencoded", false, "application/json"),
            ("/oauth/login", form, "application/x-www-form-urlencoded", false, "text/html"),
        };

        var answers = await Task.WhenAll(cases.SelectMany(c => Enumerable.Range(0, 10).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, c.Path) { Content = new StringContent(c.Body, Encoding.UTF8, c.Type) };
            if (c.Admin)
            {
                request.Headers.Authorization = new("Bearer", adminToken);
            }

            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            return (c.Path, Status: (int)response.StatusCode, Type: response.Content.Headers.ContentType?.MediaType, Wanted: c.Expected, body);
        })));

        foreach (var a in answers)
        {
            Assert.True(a.Status == 413 && a.Type == a.Wanted, $"{a.Path}: {a.Status} {a.Type} {Shorten(a.body)}");
        }

        Assert.Contains("\"invalid_request\"", answers.First(a => a.Path == "/oauth/token").body, StringComparison.Ordinal);

        // Without a length (chunked), the same cap: a client error, never a server error.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(form))),
        };
        chunked.Content.Headers.ContentType = new("application/x-www-form-urlencoded");
        using var chunkedResponse = await client.SendAsync(chunked);
        Assert.InRange((int)chunkedResponse.StatusCode, 400, 499);
    }

    /// <summary>A stream that hides its length, so the client sends it chunked.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    /// <summary>What is wrong with an answer, or null when it is a clean standard one.</summary>
    private static string? Problem(HttpResponseMessage response, string body)
    {
        var status = (int)response.StatusCode;
        if (status >= 500)
        {
            return "server error " + Shorten(body);
        }

        var type = response.Content.Headers.ContentType?.MediaType;
        if (body.Length == 0)
        {
            return null;
        }

        if (type is "application/json" or "application/problem+json")
        {
            try
            {
                var json = JsonDocument.Parse(body).RootElement;
                if (status >= 400 && json.ValueKind == JsonValueKind.Object && !json.TryGetProperty("error", out _) && !json.TryGetProperty("status", out _))
                {
                    return "an error without error or status: " + Shorten(body);
                }

                return null;
            }
            catch (JsonException)
            {
                return "invalid JSON: " + Shorten(body);
            }
        }

        if (type == "text/html")
        {
            return body.Contains("<html", StringComparison.OrdinalIgnoreCase) ? null : "HTML without a page";
        }

        return status >= 400 ? $"an error as {type ?? "no content type"}: {Shorten(body)}" : null;
    }

    private async Task<int> SendRawAsync(string raw)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, system.EdgeUrl.Port);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(raw));
        var buffer = new byte[512];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            var statusLine = Encoding.Latin1.GetString(buffer, 0, read).Split("\r\n")[0];
            return statusLine.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(statusLine[9..12]) : 0;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            return 0;
        }
    }

    private static string Shorten(string text) => text.Length > 160 ? text[..160] + "…" : text;
}

/// <summary>The seeded generator of hostile requests.</summary>
internal sealed class HostileCorpus(Random random, string adminToken, string clientId)
{
    private static readonly string[] FormEndpoints = ["/oauth/token", "/oauth_token.do", "/oauth/introspect", "/oauth/revoke", "/oauth/authorize", "/oauth_auth.do"];

    private static readonly string[] QueryEndpoints =
        ["/oauth/authorize", "/oauth/logout", "/oauth/userinfo", "/oauth/jwks", "/.well-known/openid-configuration", "/api/now/table/incident", "/api/now/identity"];

    private static readonly string[] AdminEndpoints =
        ["/api/admin/clients", "/api/admin/users", "/api/admin/scopes", "/api/admin/api-policies", "/api/admin/trusts", "/api/admin/keys/rotate"];

    private static readonly string[] Parameters =
    [
        "grant_type", "client_id", "client_secret", "code", "redirect_uri", "scope", "refresh_token", "username", "password", "assertion",
        "token", "token_type_hint", "subject_token", "subject_token_type", "code_verifier", "code_challenge", "code_challenge_method",
        "client_assertion", "client_assertion_type", "audience", "resource", "response_type", "response_mode", "state", "nonce", "prompt",
        "max_age", "id_token_hint", "login_hint", "post_logout_redirect_uri", "sysparm_limit", "sysparm_query",
    ];

    private static readonly string[] GrantTypes =
    [
        "client_credentials", "authorization_code", "refresh_token", "password", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:token-exchange", "urn:ietf:params:oauth:grant-type:device_code", "CLIENT_CREDENTIALS",
    ];

    private static readonly string[] BrokenJwts =
    [
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9", "a.b.c", "..", "e30.e30.e30",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJ4In0.c2ln", "eyJ" + new string('A', 5000) + ".e30.e30",
        "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLy4uL2V0Yy9wYXNzd2QifQ.e30.e30", "Bearer", "%00", "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjk5OTk5OTk5OTk5OTk5OTk5OTl9.AAAA",
    ];

    private string[] Values =>
    [
        "", " ", "%", "%zz", "%252e%252e%252f", "%c0%ae%c0%ae/", "%ff%fe", "\0", "\r\nSet-Cookie: owned=1", "<script>alert(1)</script>",
        "' OR '1'='1' --", "../../../etc/passwd", "\uD83D\uDE00", "null", "{}", "[]", "-1", "99999999999999999999999", "NaN", "true",
        new string('A', random.Next(1000, 20_000)), string.Concat(Enumerable.Repeat("%41", 2000)), "https://evil.example/cb", "javascript:alert(1)",
        "file:///etc/passwd", "http://localhost:1/", clientId, "openid profile email admin.api useraccount", "S256", "plain",
        BrokenJwts[random.Next(BrokenJwts.Length)], Convert.ToBase64String(RandomBytes(random.Next(1, 300))),
    ];

    /// <summary>Raw requests the HTTP client would refuse to send: smuggling, injection, oversized headers.</summary>
    public static readonly string[] RawRequests =
    [
        "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 3\r\n\r\ngrant_type",
        "GET /oauth/jwks HTTP/1.1\r\nHost: x\r\nX-Injected: a\rb\r\n\r\n",
        "GET /oauth/jwks HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
        "GET /oauth/jwks?x HTTP/1.1 trailing\r\nHost: x\r\n\r\n",
        "GET /oauth/\u00ff\u00fe HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /api/now/table/incident HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + new string('A', 40_000) + "\r\n\r\n",
        "GET /" + new string('a', 20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /oauth/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot-hex\r\n0\r\n\r\n",
        "GET /oauth/jwks HTTP/1.1\r\n\r\n",
        "GET /oauth/jwks HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
        "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 2000000\r\n\r\ngrant_type=x",
    ];

    public Func<HttpRequestMessage> Next()
    {
        return random.Next(6) switch
        {
            0 or 1 => FormRequest(),
            2 => QueryRequest(),
            3 => AdminRequest(),
            4 => BodyRequest(),
            _ => HeaderRequest(),
        };
    }

    private Func<HttpRequestMessage> FormRequest()
    {
        var path = FormEndpoints[random.Next(FormEndpoints.Length)];
        var pairs = Pairs(random.Next(0, 12));
        if (random.Next(3) == 0)
        {
            pairs.Insert(0, new("grant_type", GrantTypes[random.Next(GrantTypes.Length)]));
        }

        if (random.Next(8) == 0)
        {
            // One parameter repeated hundreds of times.
            var name = Parameters[random.Next(Parameters.Length)];
            pairs.AddRange(Enumerable.Range(0, random.Next(2, 500)).Select(i => new KeyValuePair<string, string>(name, i.ToString())));
        }

        var body = string.Join('&', pairs.Select(p => $"{Encode(p.Key)}={Encode(p.Value)}"));
        var auth = Authorization();
        return () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded") };
            request.Content.Headers.ContentType!.CharSet = null;
            AddAuthorization(request, auth);
            return request;
        };
    }

    private Func<HttpRequestMessage> QueryRequest()
    {
        var path = QueryEndpoints[random.Next(QueryEndpoints.Length)];
        var query = string.Join('&', Pairs(random.Next(0, 10)).Select(p => $"{Encode(p.Key)}={Encode(p.Value)}"));
        var suffix = random.Next(6) switch
        {
            0 => "/%2e%2e/%2e%2e/admin",
            1 => "/..%2f..%2fapi%2fadmin",
            2 => "%00",
            3 => "/%c0%af",
            _ => "",
        };
        var auth = Authorization();
        var method = random.Next(4) == 0 ? HttpMethod.Post : random.Next(10) == 0 ? new HttpMethod("DELETE") : HttpMethod.Get;
        return () =>
        {
            var request = new HttpRequestMessage(method, new Uri($"{path}{suffix}?{query}", UriKind.Relative));
            AddAuthorization(request, auth);
            return request;
        };
    }

    private Func<HttpRequestMessage> AdminRequest()
    {
        var path = AdminEndpoints[random.Next(AdminEndpoints.Length)] + (random.Next(3) == 0 ? "/" + Encode(Values[random.Next(Values.Length)]) : "");
        var body = random.Next(9) switch
        {
            0 => "{",
            1 => "null",
            2 => "[]",
            3 => new string('[', 5000) + new string(']', 5000),
            4 => "{\"name\":123,\"scopes\":\"x\",\"grantTypes\":{},\"redirectUris\":[1,2]}",
            5 => "{\"name\":\"\\ud800\",\"userName\":\"" + new string('x', 100_000) + "\"}",
            6 => JsonSerializer.Serialize(Pairs(8).DistinctBy(p => p.Key).ToDictionary(p => p.Key, p => (object)p.Value)),
            7 => "{\"name\":\"a\",\"name\":\"b\",\"rules\":[{\"resource\":\"/api/../admin/**\",\"methods\":[\"GET\"],\"scopes\":[]}]}",
            _ => "{\"activateAfterSeconds\":-99999999999,\"userName\":\"admin\",\"roles\":[\"admin\"],\"password\":\"\"}",
        };
        var method = random.Next(4) switch { 0 => HttpMethod.Put, 1 => HttpMethod.Delete, 2 => HttpMethod.Patch, _ => HttpMethod.Post };
        var admin = random.Next(3) != 0;
        var contentType = random.Next(5) == 0 ? "text/plain" : "application/json";
        return () =>
        {
            var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, contentType) };
            if (admin)
            {
                request.Headers.Authorization = new("Bearer", adminToken);
            }

            return request;
        };
    }

    private Func<HttpRequestMessage> BodyRequest()
    {
        var path = FormEndpoints[random.Next(FormEndpoints.Length)];
        var (bytes, type) = random.Next(6) switch
        {
            // Invalid UTF-8 in a form.
            0 => ([.. "grant_type=client_credentials&scope="u8, 0xC0, 0xAF, 0xFF, 0xFE, 0xED, 0xA0, 0x80], "application/x-www-form-urlencoded"),
            1 => (Encoding.UTF8.GetBytes("{\"grant_type\":\"client_credentials\"}"), "application/json"),
            2 => (RandomBytes(random.Next(1, 4000)), "multipart/form-data; boundary=xyz"),
            3 => (Encoding.UTF8.GetBytes("grant_type=client_credentials"), "text/plain"),
            4 => (Encoding.UTF8.GetBytes("grant_type=password&username=" + new string('u', 1_500_000)), "application/x-www-form-urlencoded"),
            _ => (RandomBytes(random.Next(1, 2000)), "application/x-www-form-urlencoded; charset=utf-16"),
        };
        var auth = Authorization();
        return () =>
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.TryAddWithoutValidation("Content-Type", type);
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
            AddAuthorization(request, auth);
            return request;
        };
    }

    private Func<HttpRequestMessage> HeaderRequest()
    {
        var path = random.Next(2) == 0 ? "/api/now/table/incident" : "/oauth/userinfo";
        var values = new[]
        {
            "Bearer " + BrokenJwts[random.Next(BrokenJwts.Length)], "Bearer", "Bearer  two  spaces", "bearer lower", "Basic !!!", "Digest x=y",
            "Bearer " + new string('A', random.Next(100, 16_000)), "Bearer a.b.c, Bearer d.e.f", "Basic " + Convert.ToBase64String("no-colon"u8),
        };
        var first = values[random.Next(values.Length)];
        var second = random.Next(4) == 0 ? values[random.Next(values.Length)] : null;
        var cookie = random.Next(4) == 0 ? ".AspNetCore.Antiforgery=" + new string('c', 3000) : null;
        return () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation("Authorization", first);
            if (second is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", second);
            }

            if (cookie is not null)
            {
                request.Headers.TryAddWithoutValidation("Cookie", cookie);
            }

            request.Headers.TryAddWithoutValidation("X-OAuthAspire-Subject", "admin");
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.0.0.1, 127.0.0.1");
            return request;
        };
    }

    private List<KeyValuePair<string, string>> Pairs(int count)
    {
        var values = Values;
        return Enumerable.Range(0, count)
            .Select(_ => new KeyValuePair<string, string>(random.Next(10) == 0 ? Encode(values[random.Next(values.Length)]) : Parameters[random.Next(Parameters.Length)],
                values[random.Next(values.Length)]))
            .ToList();
    }

    private string? Authorization() => random.Next(5) switch
    {
        0 => null,
        1 => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{Values[random.Next(Values.Length)]}")),
        2 => "Basic " + Convert.ToBase64String(RandomBytes(random.Next(1, 64))),
        3 => "DPoP " + BrokenJwts[random.Next(BrokenJwts.Length)],
        _ => "Bearer " + BrokenJwts[random.Next(BrokenJwts.Length)],
    };

    /// <summary>The Authorization header, and with a DPoP one a broken proof (RFC 9449) beside it.</summary>
    private void AddAuthorization(HttpRequestMessage request, string? value)
    {
        if (value is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", value);
        }

        if (value is not null && value.StartsWith("DPoP ", StringComparison.Ordinal) || random.Next(8) == 0)
        {
            request.Headers.TryAddWithoutValidation("DPoP", BrokenJwts[random.Next(BrokenJwts.Length)]);
        }
    }

    // Sometimes encoded properly, sometimes passed raw or double-encoded: the server must cope with all three.
    private string Encode(string value) => random.Next(4) switch
    {
        0 => value,
        1 => Uri.EscapeDataString(Uri.EscapeDataString(value)),
        _ => Uri.EscapeDataString(value),
    };

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
