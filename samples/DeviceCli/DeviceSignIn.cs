using System.Net.Http.Headers;
using System.Text.Json;

namespace OAuthAspire.Samples.DeviceCli;

/// <summary>
/// The device's side of RFC 8628: find the endpoints in the issuer's metadata, ask for a code, tell
/// the user where to enter it, poll at the interval (five seconds more after each <c>slow_down</c>,
/// §3.5) until the user answers or the code expires, then call an API with the access token.
/// </summary>
public sealed class DeviceSignIn(HttpClient http, string issuer, string clientId, TextWriter output)
{
    private const string DeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";

    public async Task<int> RunAsync(string scope, string apiPath, CancellationToken cancellationToken)
    {
        output.WriteLine($"Asking {issuer} for a device code...");
        output.Flush();
        var metadata = await GetJsonAsync($"{issuer}/.well-known/openid-configuration", cancellationToken);
        var deviceEndpoint = metadata.GetProperty("device_authorization_endpoint").GetString()!;
        var tokenEndpoint = metadata.GetProperty("token_endpoint").GetString()!;

        var (status, device) = await PostFormAsync(deviceEndpoint, [new("client_id", clientId), new("scope", scope)], cancellationToken);
        if (status != 200 || device.ValueKind != JsonValueKind.Object)
        {
            output.WriteLine($"error: the device request was refused: {ErrorOf(device) ?? $"HTTP {status}"}");
            return 1;
        }

        var userCode = device.GetProperty("user_code").GetString();
        output.WriteLine($"To sign in, open {device.GetProperty("verification_uri").GetString()} and enter the code {userCode}");
        output.WriteLine($"or open {device.GetProperty("verification_uri_complete").GetString()}");
        output.WriteLine($"user_code: {userCode}");
        output.Flush();

        var interval = device.TryGetProperty("interval", out var i) ? i.GetInt32() : 5;
        var deadline = DateTimeOffset.UtcNow.AddSeconds(device.GetProperty("expires_in").GetInt32());
        var deviceCode = device.GetProperty("device_code").GetString()!;
        while (DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromSeconds(interval), cancellationToken);
            var (pollStatus, answer) = await PostFormAsync(tokenEndpoint,
                [new("grant_type", DeviceGrant), new("device_code", deviceCode), new("client_id", clientId)], cancellationToken);
            if (pollStatus == 200 && answer.ValueKind == JsonValueKind.Object)
            {
                output.WriteLine("signed in");
                return await CallApiAsync(apiPath, answer.GetProperty("access_token").GetString()!, cancellationToken);
            }

            // The server or a proxy is busy or away (429, 5xx, a timeout): back off as for slow_down (RFC 8628 §3.5).
            if (pollStatus is 0 or 429 or >= 500)
            {
                interval += 5;
                output.WriteLine($"the server is busy (HTTP {pollStatus}); polling every {interval} s");
                continue;
            }

            switch (ErrorOf(answer))
            {
                case "authorization_pending":
                    continue;
                case "slow_down":
                    interval += 5;
                    output.WriteLine($"polling every {interval} s");
                    continue;
                case var other:
                    output.WriteLine($"error: {other ?? $"HTTP {pollStatus}"}");
                    return 1;
            }
        }

        output.WriteLine("error: the code expired before it was entered");
        return 1;
    }

    private async Task<int> CallApiAsync(string apiPath, string accessToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, issuer + apiPath);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await http.SendAsync(request, cancellationToken);
        output.WriteLine($"GET {apiPath}: {(int)response.StatusCode}");
        output.WriteLine(await response.Content.ReadAsStringAsync(cancellationToken));
        return response.IsSuccessStatusCode ? 0 : 1;
    }

    private async Task<JsonElement> GetJsonAsync(string url, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, cancellationToken);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.Clone();
    }

    /// <summary>The answer's status and JSON body; status 0 when no answer came, an undefined body when it was no JSON object.</summary>
    private async Task<(int Status, JsonElement Body)> PostFormAsync(string url, KeyValuePair<string, string>[] form, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.PostAsync(url, new FormUrlEncodedContent(form), cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            try
            {
                var json = JsonDocument.Parse(body).RootElement;
                return ((int)response.StatusCode, json.ValueKind == JsonValueKind.Object ? json.Clone() : default);
            }
            catch (JsonException)
            {
                return ((int)response.StatusCode, default);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (0, default);
        }
    }

    private static string? ErrorOf(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String ? error.GetString() : null;
}
