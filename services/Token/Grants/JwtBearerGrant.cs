using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Assertions;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Scopes;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.Token.Assertions;
using OAuthAspire.Token.Issuance;
using OAuthAspire.Token.Scopes;
using OAuthAspire.Token.Users;
using DirectoryClient = OAuthAspire.Contracts.Grpc.Directory.Directory.DirectoryClient;

namespace OAuthAspire.Token.Grants;

/// <summary>
/// RFC 7523 §2.1: a client presents a JWT it signed, for a user (<c>sub</c> maps through the
/// client's user field) or for itself (<c>sub</c> = its client id: its application user). The
/// client authenticates as usual. Every refusal of the assertion itself is invalid_grant, with the
/// failed check in the audit event, not the response. No refresh token.
/// </summary>
public sealed class JwtBearerGrant(VerifierKeys verifierKeys, JtiStore jtis, IServiceProvider services, UserDirectory users, ScopeResolver scopes,
    AccessTokenIssuer issuer, IAuditSink audit, Issuer issuerId, TokenTargets targets, TimeProvider time)
{
    private static readonly ProtocolError Refused = ProtocolError.InvalidGrant("The assertion was not accepted.");

    public async Task<GrantOutcome> HandleAsync(TokenRequest request)
    {
        var client = request.Client;
        if (client.Public)
        {
            return GrantOutcome.Refuse(ProtocolError.UnauthorizedClient("A public client cannot use the JWT bearer grant."));
        }

        var assertion = request.Form["assertion"];
        if (assertion is null)
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidRequest("The assertion parameter is required."));
        }

        if (!ScopeSet.TryParse(request.Form["scope"], out var requested))
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidScope("The scope parameter is malformed."));
        }

        var verifier = await verifierKeys.SettingsAsync(client.ClientId, request.Aborted);
        if (verifier is null)
        {
            return await RefuseAsync(request, null, "the client has no JWT verifier");
        }

        // RFC 7523 §3: the issuer or the token endpoint; the client id only with ServiceNow's compatibility flag.
        IReadOnlyCollection<string> audiences = verifier.AcceptClientIdAudience == true
            ? [issuerId.Value, issuerId.Url(MetadataBuilder.Paths.Token), client.ClientId]
            : [issuerId.Value, issuerId.Url(MetadataBuilder.Paths.Token)];
        var expected = new AssertionExpectations(client.ClientId, audiences);
        ValueTask<bool> UseJti(string jti, DateTimeOffset expiresAt) => jtis.TryUseAsync(client.ClientId, jti, expiresAt, request.Aborted);
        var result = await JwtAssertion.ValidateAsync(assertion, await verifierKeys.KeysAsync(verifier, false, request.Aborted), verifier.GrantPolicy, expected,
            time.GetUtcNow(), UseJti);
        if (result.Failure == AssertionFailure.UnknownKey && verifier.JwksUri is not null)
        {
            result = await JwtAssertion.ValidateAsync(assertion, await verifierKeys.KeysAsync(verifier, true, request.Aborted), verifier.GrantPolicy, expected,
                time.GetUtcNow(), UseJti);
        }

        if (!result.IsValid)
        {
            return await RefuseAsync(request, JwtAssertion.Peek(assertion).Issuer is null ? null : result.Claims?.Subject, verifierKeys.Explain(result, verifier));
        }

        var subject = result.Claims!.Subject;
        User? user = null;
        if (subject == client.ClientId)
        {
            if (client.ApplicationUser is { } appUser)
            {
                user = await users.GetAsync(appUser, request.Aborted);
                if (user is not { Active: true })
                {
                    return await RefuseAsync(request, subject, "the client's application user is missing or inactive");
                }
            }
        }
        else
        {
            var found = await services.GetRequiredService<DirectoryClient>().FindUserAsync(
                new FindUserRequest { Field = verifier.EffectiveUserField, Value = subject }, cancellationToken: request.Aborted);
            if (!found.Found || !found.User.Active)
            {
                return await RefuseAsync(request, subject, $"no active user with {verifier.EffectiveUserField} = the assertion's sub");
            }

            user = found.User;
        }

        var decision = await scopes.ResolveAsync(client, requested, request.Aborted);
        if (!decision.Granted)
        {
            return GrantOutcome.Refuse(ProtocolError.InvalidScope("A requested scope is not allowed for this client."));
        }

        var target = await request.TargetAsync(targets, null, decision.Scopes);
        if (target.Error is { } targetError)
        {
            return GrantOutcome.Refuse(targetError);
        }

        var content = request.Bind(AccessToken.Describe(issuerId, target.Audience, client.ClientId, user?.SysId ?? client.ClientId, target.Scopes, user?.Roles ?? [],
            client.AccessTokenLifespan, issuer.Now, user?.UserName));
        var actor = new AuditActor(user?.SysId, user?.UserName, client.ClientId);
        await using var connection = await issuer.DataSource.OpenConnectionAsync(request.Aborted);
        await using var tx = await connection.BeginTransactionAsync(request.Aborted);
        var token = await issuer.IssueAsync(tx, content, GrantTypes.JwtBearer, request.RemoteAddress, actor, null, null, request.Aborted);
        await audit.WriteAsync(tx, new JwtBearerTokenIssued(client.ClientId, content.Subject, content.Jti) { Actor = actor, RemoteAddress = request.RemoteAddress },
            request.Aborted);
        await tx.CommitAsync(request.Aborted);
        return new GrantOutcome.Issued(new TokenResponse(token, request.TokenType, (long)client.AccessTokenLifespan.TotalSeconds, content.Scope));
    }

    private async Task<GrantOutcome> RefuseAsync(TokenRequest request, string? subject, string reason)
    {
        await audit.WriteAsync(new JwtAssertionRefused(request.Client.ClientId, subject)
        {
            Actor = AuditActor.Client(request.Client.ClientId),
            Outcome = AuditOutcome.Failure,
            Reason = reason,
            RemoteAddress = request.RemoteAddress,
        }, request.Aborted);
        return new GrantOutcome.Refused(Refused, reason, Audited: true);
    }
}
