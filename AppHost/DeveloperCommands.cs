using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OAuthAspire.Protocol.Discovery;

namespace OAuthAspire.AppHost;

/// <summary>
/// The dashboard as the developer's front door: named links on the edge, and commands that act
/// through the public admin API with the bootstrap client's credentials, as an administrator would
/// (never a database or an internal credential). A command's secrets go only into its result, shown
/// in the dashboard: never into a log, which is exported.
/// </summary>
public static class DeveloperCommands
{
    public const string RotateSigningKey = "rotate-signing-key";
    public const string CreateDemoClients = "create-demo-clients";

    public static void AddLinks(IResourceBuilder<ProjectResource> edge, Func<string> issuer) =>
        edge.WithUrls(context =>
        {
            context.Urls.Add(new ResourceUrlAnnotation { Url = issuer() + MetadataBuilder.Paths.OpenIdConfiguration, DisplayText = "Issuer metadata" });
            context.Urls.Add(new ResourceUrlAnnotation { Url = issuer() + AdminConsoleApp.Path + "/", DisplayText = "Admin console" });
            context.Urls.Add(new ResourceUrlAnnotation { Url = issuer() + AdminApiReference.DocsRedirectPath, DisplayText = "Admin API reference" });
        });

    public static void AddCommands(IResourceBuilder<ProjectResource> token, IResourceBuilder<ProjectResource> authorize, Func<string> issuer,
        IResourceBuilder<ParameterResource> clientId, IResourceBuilder<ParameterResource> clientSecret)
    {
        var admin = new AdminCaller(issuer, clientId, clientSecret);
        token.WithCommand(RotateSigningKey, "Rotate signing key now", context => admin.RunAsync(RotateAsync, context.CancellationToken),
            new CommandOptions
            {
                Description = "Publishes a new signing key for the default algorithm (POST /api/admin/keys/rotate); it signs after the usual lead.",
                ConfirmationMessage = "Publish a new signing key now?",
                IconName = "ArrowSync",
                UpdateState = WhenHealthy,
            });
        authorize.WithCommand(CreateDemoClients, "Create demo clients", context => admin.RunAsync(CreateClientsAsync, context.CancellationToken),
            new CommandOptions
            {
                Description = "Registers a confidential web app and a public single-page app (POST /api/admin/clients); the secret is shown once, in the result.",
                IconName = "AppsAddIn",
                UpdateState = WhenHealthy,
            });
    }

    private static ResourceCommandState WhenHealthy(UpdateCommandStateContext context) =>
        context.ResourceSnapshot.HealthStatus == HealthStatus.Healthy ? ResourceCommandState.Enabled : ResourceCommandState.Disabled;

    private static async Task<ExecuteCommandResult> RotateAsync(HttpClient api, CancellationToken cancellationToken)
    {
        using var response = await api.PostAsync("/api/admin/keys/rotate", null, cancellationToken);
        if (await AdminCaller.FailureOf(response, cancellationToken) is { } failure)
        {
            return failure;
        }

        var key = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return CommandResults.Success(
            $"Published key {key.GetProperty("kid").GetString()} ({key.GetProperty("algorithm").GetString()}); it signs from {key.GetProperty("activatesAt").GetString()}.");
    }

    private static async Task<ExecuteCommandResult> CreateClientsAsync(HttpClient api, CancellationToken cancellationToken)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        using var web = await api.PostAsJsonAsync("/api/admin/clients", new
        {
            clientId = $"demo-web-{suffix}",
            name = "Demo web app",
            grantTypes = new[] { "authorization_code", "refresh_token" },
            redirectUris = new[] { "http://localhost:5005/signin-oidc" },
            postLogoutRedirectUris = new[] { "http://localhost:5005/" },
            scopes = new[] { "openid", "profile", "email", "useraccount" },
        }, cancellationToken);
        if (await AdminCaller.FailureOf(web, cancellationToken) is { } webFailure)
        {
            return webFailure;
        }

        using var spa = await api.PostAsJsonAsync("/api/admin/clients", new
        {
            clientId = $"demo-spa-{suffix}",
            name = "Demo single-page app",
            @public = true,
            pkceRequired = true,
            grantTypes = new[] { "authorization_code", "refresh_token" },
            redirectUris = new[] { "http://localhost:5006/callback" },
            allowedOrigins = new[] { "http://localhost:5006" },
            scopes = new[] { "openid", "profile", "useraccount" },
        }, cancellationToken);
        if (await AdminCaller.FailureOf(spa, cancellationToken) is { } spaFailure)
        {
            return spaFailure;
        }

        var confidential = await web.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        var result = new JsonObject
        {
            ["webApp"] = new JsonObject
            {
                ["clientId"] = confidential.GetProperty("clientId").GetString(),
                ["clientSecret"] = confidential.GetProperty("clientSecret").GetString(),
                ["redirectUri"] = "http://localhost:5005/signin-oidc",
            },
            ["singlePageApp"] = new JsonObject
            {
                ["clientId"] = $"demo-spa-{suffix}",
                ["redirectUri"] = "http://localhost:5006/callback",
            },
        };
        return CommandResults.Success($"Registered demo-web-{suffix} (confidential) and demo-spa-{suffix} (public, PKCE). The secret is shown once, here.",
            result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), CommandResultFormat.Json, displayImmediately: true);
    }

    /// <summary>Calls the admin API as the bootstrap client: a client-credentials token first, then the call.</summary>
    private sealed class AdminCaller(Func<string> issuer, IResourceBuilder<ParameterResource> clientId, IResourceBuilder<ParameterResource> clientSecret)
    {
        public async Task<ExecuteCommandResult> RunAsync(Func<HttpClient, CancellationToken, Task<ExecuteCommandResult>> action, CancellationToken cancellationToken)
        {
            try
            {
                using var api = new HttpClient { BaseAddress = new Uri(issuer()), Timeout = TimeSpan.FromSeconds(30) };
                using var tokenResponse = await api.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "client_credentials",
                    ["client_id"] = await clientId.Resource.GetValueAsync(cancellationToken) ?? "",
                    ["client_secret"] = await clientSecret.Resource.GetValueAsync(cancellationToken) ?? "",
                    ["scope"] = "admin.api",
                }), cancellationToken);
                var tokens = await tokenResponse.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                if (!tokenResponse.IsSuccessStatusCode || !tokens.TryGetProperty("access_token", out var accessToken))
                {
                    var error = tokens.ValueKind == JsonValueKind.Object && tokens.TryGetProperty("error", out var code) ? code.GetString() : null;
                    return CommandResults.Failure(
                        $"The bootstrap client got no admin token ({(int)tokenResponse.StatusCode} {error}): deactivated, or its secret rotated? Use your own administrator client.");
                }

                api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken.GetString());
                return await action(api, cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
            {
                return CommandResults.Failure($"The admin API could not be reached: {e.Message}");
            }
        }

        /// <summary>A refusal's ProblemDetails as the command's error (title, detail and field errors), or null on success.</summary>
        public static async Task<ExecuteCommandResult?> FailureOf(HttpResponseMessage response, CancellationToken cancellationToken)
        {
            if (response.IsSuccessStatusCode)
            {
                return null;
            }

            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return CommandResults.Failure($"{(int)response.StatusCode} {response.ReasonPhrase}", text, CommandResultFormat.Json);
        }
    }
}
