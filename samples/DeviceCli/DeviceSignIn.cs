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
        if (status != 200)
        {
            output.WriteLine($"error: the device request was refused: {device.GetProperty("error").GetString()}");
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
            if (pollStatus == 200)
            {
                output.WriteLine("signed in");
                return await CallApiAsync(apiPath, answer.GetProperty("access_token").GetString()!, cancellationToken);
            }

            switch (answer.TryGetProperty("error", out var error) ? error.GetString() : null)
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

    private async Task<(int Status, JsonElement Body)> PostFormAsync(string url, KeyValuePair<string, string>[] form, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync(url, new FormUrlEncodedContent(form), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return ((int)response.StatusCode, body.Length > 0 ? JsonDocument.Parse(body).RootElement.Clone() : default);
    }
}
