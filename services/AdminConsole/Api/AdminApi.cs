using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication;

namespace OAuthAspire.AdminConsole.Api;

/// <summary>
/// The public admin APIs through the edge, called with the signed-in administrator's access token:
/// the console is one more client of them, with no other way in. A refusal comes back as its
/// ProblemDetails; an API that cannot be reached as a problem too, never an exception on a page.
/// </summary>
public sealed class AdminApi(HttpClient http, IHttpContextAccessor accessor, ILogger<AdminApi> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task<ApiResult<Page<Application>>> ListApplicationsAsync(string? search, int offset, int limit, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, "api/admin/clients" + Query(("search", search?.Trim()), ("offset", Number(offset)), ("limit", Number(limit))), null,
            ReadApplicationPage, ct);

    public Task<ApiResult<Application>> GetApplicationAsync(string clientId, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, Components.Pages.ApplicationLinks.ApiPath(clientId), null, ReadApplication, ct);

    public Task<ApiResult<Application>> CreateApplicationAsync(JsonObject body, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "api/admin/clients", body, ReadApplication, ct);

    /// <summary>Replaces the application with its document as read, changed where the administrator changed it.</summary>
    public Task<ApiResult<Application>> ReplaceApplicationAsync(Application application, CancellationToken ct)
    {
        var body = (JsonObject)application.Document.DeepClone();
        // Read-only members: the API names them if sent back.
        body.Remove("origin");
        body.Remove("clientSecret");
        return SendAsync(HttpMethod.Put, Components.Pages.ApplicationLinks.ApiPath(application.ClientId), body, ReadApplication, ct);
    }

    public Task<ApiResult<Application>> RotateSecretAsync(string clientId, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, Components.Pages.ApplicationLinks.SecretApiPath(clientId), null, ReadApplication, ct);

    public Task<ApiResult<Page<DirectoryUser>>> ListUsersAsync(string? search, int offset, int limit, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, "api/admin/users" + Query(("search", search?.Trim()), ("offset", Number(offset)), ("limit", Number(limit))), null,
            async (content, token) => await ReadPageAsync(content, d => new DirectoryUser(d), token), ct);

    public Task<ApiResult<DirectoryUser>> GetUserAsync(string userName, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"api/admin/users/{Escape(userName)}", null, ReadUser, ct);

    public Task<ApiResult<DirectoryUser>> CreateUserAsync(JsonObject body, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "api/admin/users", body, ReadUser, ct);

    /// <summary>Replaces the user with their document as read, changed where the administrator changed it.</summary>
    public Task<ApiResult<DirectoryUser>> ReplaceUserAsync(string userName, DirectoryUser user, CancellationToken ct)
    {
        var body = (JsonObject)user.Document.DeepClone();
        body.Remove("sysId");
        return SendAsync(HttpMethod.Put, $"api/admin/users/{Escape(userName)}", body, ReadUser, ct);
    }

    public Task<ApiResult<bool>> SetPasswordAsync(string userName, string password, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"api/admin/users/{Escape(userName)}/password", new JsonObject { ["password"] = password }, (_, _) => Task.FromResult(true), ct);

    public Task<ApiResult<Trust[]>> ListTrustsAsync(CancellationToken ct) =>
        SendAsync(HttpMethod.Get, "api/admin/trusts", null, ReadAs<Trust[]>, ct);

    public Task<ApiResult<Trust>> GetTrustAsync(string name, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"api/admin/trusts/{Escape(name)}", null, ReadAs<Trust>, ct);

    public Task<ApiResult<TrustCheck>> CheckTrustAsync(string name, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"api/admin/trusts/{Escape(name)}/check", null, ReadAs<TrustCheck>, ct);

    public Task<ApiResult<Scope[]>> ListScopesAsync(CancellationToken ct) =>
        SendAsync(HttpMethod.Get, "api/admin/scopes", null, ReadAs<Scope[]>, ct);

    public Task<ApiResult<Scope>> CreateScopeAsync(Scope scope, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "api/admin/scopes", JsonSerializer.SerializeToNode(scope, Json), ReadAs<Scope>, ct);

    public Task<ApiResult<Scope>> ReplaceScopeAsync(Scope scope, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, $"api/admin/scopes/{Escape(scope.Name)}", JsonSerializer.SerializeToNode(scope, Json), ReadAs<Scope>, ct);

    public Task<ApiResult<bool>> DeleteScopeAsync(string name, CancellationToken ct) =>
        SendAsync(HttpMethod.Delete, $"api/admin/scopes/{Escape(name)}", null, (_, _) => Task.FromResult(true), ct);

    public Task<ApiResult<ApiPolicyView[]>> ListApiPoliciesAsync(CancellationToken ct) =>
        SendAsync(HttpMethod.Get, "api/admin/api-policies", null,
            async (content, token) => (await content.ReadFromJsonAsync<JsonObject[]>(Json, token))?.Select(d => new ApiPolicyView(d)).ToArray(), ct);

    public Task<ApiResult<ApiPolicyView>> GetApiPolicyAsync(string name, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"api/admin/api-policies/{Escape(name)}", null, ReadApiPolicy, ct);

    public Task<ApiResult<ApiPolicyView>> ReplaceApiPolicyAsync(ApiPolicyView policy, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, $"api/admin/api-policies/{Escape(policy.Name)}", policy.Document, ReadApiPolicy, ct);

    public Task<ApiResult<PolicyTrialResult>> TryCallAsync(string method, string path, IEnumerable<string> scopes, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "api/admin/api-policies/try",
            new JsonObject { ["method"] = method, ["path"] = path, ["scopes"] = new JsonArray(scopes.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()) },
            ReadAs<PolicyTrialResult>, ct);

    public Task<ApiResult<KeysetPage<IssuedToken>>> ListTokensAsync(TokenFilter filter, string? after, CancellationToken ct)
    {
        var query = Query(("client", filter.Client), ("user", filter.User), ("type", filter.Type),
            ("active", filter.Active is { } active ? (active ? "true" : "false") : null), ("after", after), ("limit", "50"));
        return SendAsync(HttpMethod.Get, "api/admin/tokens" + query, null, ReadAs<KeysetPage<IssuedToken>>, ct);
    }

    /// <summary>Recent audit events, newest first: the auditor role's alone.</summary>
    public Task<ApiResult<KeysetPage<AuditEntry>>> ListAuditEventsAsync(AuditFilter filter, string? after, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, "api/admin/audit/events" + Query(("client", filter.Client), ("user", filter.User), ("type", filter.Type),
            ("outcome", filter.Outcome), ("service", filter.Service), ("after", after), ("limit", "50")), null, ReadAs<KeysetPage<AuditEntry>>, ct);

    /// <summary>One of: <c>jti</c>, <c>familyId</c>, <c>client</c>, <c>user</c>.</summary>
    public Task<ApiResult<TokensRevoked>> RevokeTokensAsync(string what, string value, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "api/admin/tokens/revoke", new JsonObject { [what] = value }, ReadAs<TokensRevoked>, ct);

    public Task<ApiResult<SigningKey[]>> ListKeysAsync(CancellationToken ct) =>
        SendAsync(HttpMethod.Get, "api/admin/keys", null, ReadAs<SigningKey[]>, ct);

    public Task<ApiResult<SigningKey>> RotateKeyAsync(CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "api/admin/keys/rotate", null, ReadAs<SigningKey>, ct);

    /// <summary>Withdraws a compromised key at once (a new one replaces it when it was signing).</summary>
    public Task<ApiResult<KeyRevoked>> RevokeKeyAsync(string kid, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"api/admin/keys/{Escape(kid)}/revoke", null, ReadAs<KeyRevoked>, ct);

    public Task<ApiResult<Page<Consent>>> ListConsentsAsync(string? user, string? client, int offset, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, "api/admin/consents" + Query(("user", user), ("client", client), ("offset", Number(offset))),
            null, ReadAs<Page<Consent>>, ct);

    public Task<ApiResult<bool>> WithdrawConsentAsync(string user, string client, CancellationToken ct) =>
        SendAsync(HttpMethod.Delete, "api/admin/consents" + Query(("user", user), ("client", client)), null, (_, _) => Task.FromResult(true), ct);

    private async Task<ApiResult<T>> SendAsync<T>(HttpMethod method, string path, JsonNode? body, Func<HttpContent, CancellationToken, Task<T?>> read,
        CancellationToken ct)
    {
        var context = accessor.HttpContext ?? throw new InvalidOperationException("The admin API is called only while serving a page.");
        var token = await context.GetTokenAsync("access_token");
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        try
        {
            using var response = await http.SendAsync(request, ct);
            if (response.IsSuccessStatusCode)
            {
                return new ApiResult<T>(await read(response.Content, ct), null);
            }

            return new ApiResult<T>(default, await ReadProblemAsync(response, ct));
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            // Unreachable, timed out, or an answer that is not what the contract says: a clear problem on the page, never a 500.
            logger.LogWarning("The admin API call {Method} failed: {Reason}", method, e.GetType().Name);
            return new ApiResult<T>(default, new Problem(503, "The admin API could not be reached or answered unreadably", "Try again in a moment.", null));
        }
    }

    private static async Task<Problem> ReadProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json")
        {
            try
            {
                // An OAuth error answer (the edge's 401 invalid_token) has none of these: described by its status below.
                if (await response.Content.ReadFromJsonAsync<Problem>(Json, ct) is { } problem && (problem.Title ?? problem.Detail) is not null)
                {
                    return problem with { Status = status };
                }
            }
            catch (JsonException)
            {
                // Not a problem document after all: described by its status below.
            }
        }

        return new Problem(status, status switch
        {
            401 => "Your session has ended: sign in again.",
            403 => "Your account may not do this.",
            404 => "Not found.",
            _ => $"The admin API answered {status}.",
        }, null, null);
    }

    private static async Task<T?> ReadAs<T>(HttpContent content, CancellationToken ct) => await content.ReadFromJsonAsync<T>(Json, ct);

    private static async Task<Application?> ReadApplication(HttpContent content, CancellationToken ct) =>
        await content.ReadFromJsonAsync<JsonObject>(Json, ct) is { } document ? new Application(document) : null;

    private static async Task<ApiPolicyView?> ReadApiPolicy(HttpContent content, CancellationToken ct) =>
        await content.ReadFromJsonAsync<JsonObject>(Json, ct) is { } document ? new ApiPolicyView(document) : null;

    private static async Task<DirectoryUser?> ReadUser(HttpContent content, CancellationToken ct) =>
        await content.ReadFromJsonAsync<JsonObject>(Json, ct) is { } document ? new DirectoryUser(document) : null;

    private static Task<Page<Application>?> ReadApplicationPage(HttpContent content, CancellationToken ct) =>
        ReadPageAsync(content, d => new Application(d), ct);

    private static async Task<Page<T>?> ReadPageAsync<T>(HttpContent content, Func<JsonObject, T> wrap, CancellationToken ct)
    {
        var page = await content.ReadFromJsonAsync<Page<JsonObject>>(Json, ct);
        return page is null ? null : new Page<T>(page.Items.Select(wrap).ToArray(), page.Offset, page.Limit, page.Total);
    }

    private static string Number(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Escape(string value) => Uri.EscapeDataString(value);

    /// <summary><c>?name=value&amp;…</c> of the parameters with a value, encoded; empty when none has one.</summary>
    private static string Query(params (string Name, string? Value)[] parameters) =>
        QueryString.Create(parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => KeyValuePair.Create(p.Name, p.Value))).ToUriComponent();
}
