using System.Runtime.CompilerServices;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.Token.Clients;
using OAuthAspire.Token.Mtls;

namespace OAuthAspire.Token.Endpoints;

/// <summary>
/// The one client-authentication step of the token, introspection and revocation endpoints
/// (RFC 6749 §2.3, §5.2): reads the credentials from the Authorization header or the form
/// (client_secret_basic, client_secret_post, private_key_jwt, tls_client_auth and
/// self_signed_tls_client_auth by the certificate the edge forwards, a bare client_id), checks them with
/// <see cref="RegisteredClients"/>, and answers the client or the refusal (invalid_request for malformed or
/// duplicated credentials, else invalid_client, 401).
/// </summary>
public sealed class ClientAuthenticator(RegisteredClients clients)
{
    private static readonly ProtocolError Required = ProtocolError.InvalidClient("Client authentication is required.");
    private static readonly ProtocolError Failed = ProtocolError.InvalidClient("Client authentication failed.");

    /// <summary>
    /// Where a client starts a flow (PAR, device authorization; authorize's authorization endpoint does the same):
    /// a client_id that is a URL may have its metadata document fetched first. Never at the token endpoint.
    /// </summary>
    public async ValueTask<AuthenticatedClient> AuthenticateStartingAsync(HttpContext http, RequestParameters form)
    {
        await clients.ResolveAsync(form["client_id"], http.RequestAborted);
        return await AuthenticateAsync(http, form, publicClients: true);
    }

    /// <param name="publicClients">
    /// Whether a bare client_id (a public client) identifies the caller. Introspection wants proof
    /// (RFC 7662 §2.1, against token scanning), so it passes false.
    /// </param>
    public ValueTask<AuthenticatedClient> AuthenticateAsync(HttpContext http, RequestParameters form, bool publicClients)
    {
        var credentials = ClientAuthentication.Read(http.Request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null, form);
        // RFC 8705 §2: a client id and no other credential, over a connection with a client certificate.
        if (credentials is ClientCredentials.IdOnly bare && ClientCertificates.Of(http) is { } certificate)
        {
            credentials = new ClientCredentials.Certificate(bare.ClientId, certificate);
        }

        string? claimedId;
        switch (credentials)
        {
            case ClientCredentials.Invalid invalid:
                return new(new AuthenticatedClient(null, null, invalid.Error, null));
            case ClientCredentials.Secret secret:
                claimedId = secret.ClientId;
                break;
            case ClientCredentials.Assertion assertion:
                claimedId = assertion.ClientId;
                break;
            case ClientCredentials.Certificate presented:
                claimedId = presented.ClientId;
                break;
            case ClientCredentials.IdOnly idOnly when publicClients:
                claimedId = idOnly.ClientId;
                break;
            case ClientCredentials.IdOnly idOnly:
                return new(Refuse(idOnly.ClientId, ClientFailure.NoCredentials));
            default:
                return new(Refuse(null, ClientFailure.NoCredentials));
        }

        // The token endpoint's hot path: a cached client answers synchronously, so no state machine.
        var pending = clients.AuthenticateAsync(credentials, http.RequestAborted, http.Connection.RemoteIpAddress?.ToString());
        return pending.IsCompletedSuccessfully
            ? new ValueTask<AuthenticatedClient>(Outcome(pending.Result, claimedId, publicClients))
            : AwaitAsync(pending, claimedId, publicClients);
    }

    // Reached only when the look-up had to wait (a registry call, an assertion check); pooled, so it allocates nothing.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<AuthenticatedClient> AwaitAsync(ValueTask<(RegisteredClient? Client, ClientFailure Failure)> pending, string? claimedId,
        bool publicClients) =>
        Outcome(await pending, claimedId, publicClients);

    private static AuthenticatedClient Outcome((RegisteredClient? Client, ClientFailure Failure) result, string? claimedId, bool publicClients) =>
        result.Client switch
        {
            // A public client's certificate proves nothing about who calls: where proof is wanted, it is none.
            { Public: true } when !publicClients => Refuse(claimedId, ClientFailure.NoCredentials),
            { } client => new(client, client.ClientId, null, null),
            null => Refuse(claimedId, result.Failure),
        };

    private static AuthenticatedClient Refuse(string? claimedId, ClientFailure failure) =>
        new(null, claimedId, failure == ClientFailure.NoCredentials ? Required : Failed, failure.ToString());
}
