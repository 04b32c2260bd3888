using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.FederationTrust;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Federation;
using OAuthAspire.Protocol.Resources;
using OAuthAspire.Protocol.Scopes;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.Token.Issuance;
using OAuthAspire.Token.Scopes;
using FederationTrustClient = OAuthAspire.Contracts.Grpc.FederationTrust.FederationTrust.FederationTrustClient;

namespace OAuthAspire.Token.Grants;

/// <summary>
/// RFC 8693 token exchange: a confidential client trades a trusted provider's ID token, JWT or
/// opaque access token (introspected at the provider) for our access token for the mapped user. The client must be bound to the trust that issued
/// the token, and the token must have been issued to one of the trust's accepted clients (checked
/// by federation-trust), so no client converts a token another app received. Scopes are limited
/// by the trust and by the client; the token expires no later than the subject token. No refresh token.
/// </summary>
public sealed class TokenExchangeGrant(IServiceProvider services, ScopeResolver scopes, AccessTokenIssuer issuer, IAuditSink audit, Issuer issuerId,
    TokenSettings settings, TokenTargets targets)
{
    public async Task<GrantOutcome> HandleAsync(TokenRequest request)
    {
        var client = request.Client;
        if (client.Public)
        {
            return GrantOutcome.Refuse(ProtocolError.UnauthorizedClient("A public client cannot exchange tokens."));
        }

        var (exchange, error) = TokenExchange.Read(request.Form, [settings.Audience, issuerId.Value]);
        if (exchange is null)
        {
            return GrantOutcome.Refuse(error!);
        }

        if (!ScopeSet.TryParse(request.Form["scope"], out var requested))
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidScope("The scope parameter is malformed."));
        }

        var subject = await services.GetRequiredService<FederationTrustClient>().ValidateExternalTokenAsync(new ValidateExternalTokenRequest
        {
            Token = exchange.SubjectToken,
            ClientId = client.ClientId,
            RemoteAddress = request.RemoteAddress ?? "",
        }, cancellationToken: request.Aborted);
        if (subject.Unavailable)
        {
            // The provider of an opaque token could not be asked: neither accepted nor refused (503).
            throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.Unavailable, "the subject token's provider cannot be asked about it"));
        }

        if (!subject.Valid)
        {
            // federation-trust audited the failed check; the caller learns only that it failed.
            return new GrantOutcome.Refused(ProtocolError.InvalidRequest("The subject token was not accepted."), subject.Reason, Audited: true);
        }

        if (!client.Trusts.Contains(subject.TrustName))
        {
            return GrantOutcome.Refuse(ProtocolError.UnauthorizedClient("This client may not exchange tokens of that provider."),
                $"the client is not bound to trust {subject.TrustName}");
        }

        // Within what the trust grants its tokens and what the client is allowed.
        var allowed = subject.Scopes.Where(client.Scopes.Contains).ToArray();
        IReadOnlyList<string> granted = [];
        if (requested.Count > 0 || allowed.Length > 0)
        {
            var decision = await scopes.ResolveAsync(client, requested.Count > 0 ? requested : allowed, request.Aborted);
            if (!decision.Granted || decision.Scopes.Any(s => !allowed.Contains(s)))
            {
                return GrantOutcome.Refuse(ProtocolError.InvalidScope("A requested scope is not granted to tokens of this provider or this client."));
            }

            granted = decision.Scopes;
        }

        // RFC 8707: an API's resource identifier narrows the token to it; the issuer or its default audience (as before) does not.
        var named = request.Form.All(ResourceIndicators.Parameter);
        var target = named.Count == 1 && (named[0] == settings.Audience || named[0] == issuerId.Value) && client.AllowedResources.Count == 0
            ? new TokenTarget(settings.Audience, granted, null)
            : await request.TargetAsync(targets, null, granted);
        if (target.Error is { } targetError)
        {
            return GrantOutcome.Refuse(targetError);
        }

        granted = target.Scopes;
        // Never outlives the token it was exchanged for (a revocation at the provider before then is not seen: the issued token stands).
        var lifespan = TimeSpan.FromSeconds(Math.Min((long)client.AccessTokenLifespan.TotalSeconds, subject.ExpiresAt - issuer.Now.ToUnixTimeSeconds()));
        if (lifespan <= TimeSpan.Zero)
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidRequest("The subject token was not accepted."), "the subject token expires now");
        }

        var content = request.Bind(AccessToken.Describe(issuerId, target.Audience, client.ClientId, subject.UserSysId, granted, subject.Roles,
            lifespan, issuer.Now, subject.UserName));
        var actor = new AuditActor(subject.UserSysId, subject.UserName, client.ClientId);
        await using var connection = await issuer.DataSource.OpenConnectionAsync(request.Aborted);
        await using var tx = await connection.BeginTransactionAsync(request.Aborted);
        var token = await issuer.IssueAsync(tx, content, GrantTypes.TokenExchange, request.RemoteAddress, actor, null, null, request.Aborted);
        await audit.WriteAsync(tx, new TokenExchanged(client.ClientId, subject.TrustName, subject.UserSysId, content.Jti, exchange.SubjectTokenType, granted)
        {
            Actor = actor,
            RemoteAddress = request.RemoteAddress,
        }, request.Aborted);
        await tx.CommitAsync(request.Aborted);
        return new GrantOutcome.Issued(new TokenResponse(token, request.TokenType, (long)lifespan.TotalSeconds, content.Scope,
            IssuedTokenType: TokenExchange.AccessTokenType));
    }
}
