using System.Security.Cryptography;
using System.Text.Json;
using Grpc.Core;
using Microsoft.IdentityModel.JsonWebTokens;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.FederationTrust;
using OAuthAspire.FederationTrust.Trusts;
using OAuthAspire.FederationTrust.Users;
using OAuthAspire.Protocol.Assertions;
using OAuthAspire.Protocol.Federation;
using OAuthAspire.ServiceDefaults.Audit;

namespace OAuthAspire.FederationTrust.SignIn;

/// <summary>
/// Signing users in through trusted providers (identity brokering) for the login page: begins a
/// provider's code flow (<see cref="BrokeredSignIn"/>) and completes it: the state spent once and
/// only by the browser that began it, the provider's error or mix-up refused, the code redeemed at
/// the provider's token endpoint with the PKCE verifier as our client there, the ID token checked
/// with the trust's rules (issuer, keys, algorithms, lifetime) for our client's audience and our
/// nonce, then the user mapped (<see cref="UserMapping"/>, sign-in rules). Every outcome is audited.
/// </summary>
public sealed class ProviderSignIns(TrustCatalog trusts, ProviderKeys keys, ProviderCalls calls, BrokerAttempts attempts, UserMapping users, IAuditSink audit,
    TimeProvider time, IConfiguration configuration, ILogger<ProviderSignIns> logger)
{
    private readonly string _issuer = configuration["OAuth:Issuer"] ?? "";

    public async Task<ListSignInProvidersReply> ListAsync(CancellationToken cancellationToken)
    {
        var reply = new ListSignInProvidersReply();
        foreach (var trust in (await trusts.AllAsync(cancellationToken)).Where(t => t is { Active: true, SignIn: true }))
        {
            // Offered only while its metadata names where to go (cached an hour, kept through outages).
            if ((await keys.MetadataAsync(trust, cancellationToken))?.AuthorizationEndpoint is not { } endpoint)
            {
                continue;
            }

            var provider = new SignInProvider { Trust = trust.Name, DisplayName = trust.ShownName, Origin = new Uri(endpoint).GetLeftPart(UriPartial.Authority) };
            provider.EmailDomains.AddRange(trust.SignInEmailDomains);
            reply.Providers.Add(provider);
        }

        return reply;
    }

    public async Task<BeginSignInReply> BeginAsync(BeginSignInRequest request, CancellationToken cancellationToken)
    {
        var trust = await trusts.FindByNameAsync(request.Trust, cancellationToken);
        if (trust is not { Active: true, SignInSettings: { } settings, ProviderClientId: { } clientId })
        {
            throw new RpcException(new Status(StatusCode.NotFound, "no active trust offers sign-in by that name"));
        }

        if (request.BrowserBinding.Length != SHA256.HashSizeInBytes || request.PendingRequest.Length is 0 or > 200)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "a browser binding (SHA-256) and a pending request are required"));
        }

        var metadata = await keys.MetadataAsync(trust, cancellationToken)
            ?? throw new RpcException(new Status(StatusCode.Unavailable, "the provider's metadata cannot be fetched"));
        if (metadata.AuthorizationEndpoint is not { } authorizationEndpoint || metadata.TokenEndpoint is null)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "the provider's metadata names no usable authorization_endpoint or token_endpoint"));
        }

        var secrets = BrokerSecrets.New();
        var redirectUri = BrokeredSignIn.RedirectUri(_issuer, trust.Name);
        var maxAge = BrokeredSignIn.Freshness([.. request.Prompt], request.MaxAge >= 0 ? request.MaxAge : null);
        await attempts.AddAsync(secrets.State, new BrokerAttempt
        {
            TrustId = trust.Id, BrowserBinding = request.BrowserBinding.ToByteArray(), PendingRequest = request.PendingRequest,
            ClientId = request.ClientId.Length == 0 ? null : request.ClientId, Nonce = secrets.Nonce, CodeVerifier = secrets.CodeVerifier,
            RedirectUri = redirectUri, MaxAge = maxAge, ExpiresAt = (time.GetUtcNow() + BrokerAttempts.Lifetime).UtcDateTime,
        }, cancellationToken);
        return new BeginSignInReply
        {
            AuthorizationUrl = BrokeredSignIn.AuthorizationUrl(authorizationEndpoint, clientId, redirectUri, secrets, settings, [.. request.Prompt], maxAge,
                request.LoginHint, BrokeredSignIn.ScopeFor(trust.UserClaim)),
        };
    }

    public async Task<CompleteSignInReply> CompleteAsync(CompleteSignInRequest request, CancellationToken cancellationToken)
    {
        var trust = await trusts.FindByNameAsync(request.Trust, cancellationToken);
        // Spent only by the browser that began it: another browser's answer (a leaked state) cancels nothing.
        var attempt = request.State.Length is > 0 and <= 512 && request.BrowserBinding.Length == SHA256.HashSizeInBytes
            ? await attempts.TakeAsync(request.State, request.BrowserBinding.ToByteArray(), cancellationToken)
            : null;
        if (attempt is null)
        {
            return await RefuseAsync(request, trust, null, "the state is unknown, spent, expired or another browser's", cancellationToken);
        }

        if (trust is null || trust.Id != attempt.TrustId)
        {
            return await RefuseAsync(request, trust, attempt, "the answer came to another trust's redirect URI (mix-up)", cancellationToken);
        }

        if (trust is not { Active: true, SignIn: true, ProviderClientId: { } clientId })
        {
            return await RefuseAsync(request, trust, attempt, "the trust no longer offers sign-in", cancellationToken);
        }

        if (request.Error.Length > 0)
        {
            return await RefuseAsync(request, trust, attempt, $"the provider answered error={ProviderCalls.Short(request.Error)}", cancellationToken);
        }

        var metadata = await keys.MetadataAsync(trust, cancellationToken);
        if (metadata?.TokenEndpoint is not { } tokenEndpoint)
        {
            return await RefuseAsync(request, trust, attempt, "the provider's metadata (token endpoint) cannot be had", cancellationToken);
        }

        if (BrokeredSignIn.IssuerProblem(request.Iss.Length == 0 ? null : request.Iss, trust.Issuer, metadata.IssuerParameterSupported) is { } mixUp)
        {
            return await RefuseAsync(request, trust, attempt, mixUp, cancellationToken);
        }

        if (request.Code.Length is 0 or > 2048)
        {
            return await RefuseAsync(request, trust, attempt, "the provider's answer has no code", cancellationToken);
        }

        var (idToken, redeemProblem) = await RedeemAsync(trust, tokenEndpoint, request.Code, attempt, cancellationToken);
        if (idToken is null)
        {
            return await RefuseAsync(request, trust, attempt, redeemProblem!, cancellationToken);
        }

        var (checkedToken, claimValue, tokenProblem) = await CheckIdTokenAsync(trust, clientId, idToken, attempt, cancellationToken);
        if (checkedToken is null)
        {
            return await RefuseAsync(request, trust, attempt, tokenProblem!, cancellationToken);
        }

        var (user, refusal) = await users.ResolveAsync(trust, trust.Issuer, checkedToken.Subject, claimValue!, cancellationToken, signIn: true);
        if (user is null)
        {
            return await RefuseAsync(request, trust, attempt, refusal!, cancellationToken);
        }

        await audit.WriteAsync(new FederatedSignIn(trust.Name, trust.Issuer, user.SysId, user.UserName, attempt.ClientId)
        {
            Actor = new AuditActor(user.SysId, user.UserName, attempt.ClientId),
            RemoteAddress = NullIfEmpty(request.RemoteAddress),
        }, cancellationToken);
        var reply = new CompleteSignInReply
        {
            Ok = true, PendingRequest = attempt.PendingRequest, UserSysId = user.SysId, UserName = user.UserName, DisplayName = trust.ShownName,
            AuthTime = BrokeredSignIn.AuthTime(checkedToken.Token)?.ToUnixTimeSeconds() ?? 0,
        };
        reply.Amr.AddRange(BrokeredSignIn.Methods(checkedToken.Token));
        return reply;
    }

    /// <summary>The code for tokens at the provider, with our PKCE verifier and redirect URI: its ID token, or why none.</summary>
    private async Task<(string? IdToken, string? Problem)> RedeemAsync(TrustRecord trust, string tokenEndpoint, string code, BrokerAttempt attempt,
        CancellationToken cancellationToken)
    {
        try
        {
            var (status, body) = await calls.PostAsync(trust, tokenEndpoint,
                [new("grant_type", "authorization_code"), new("code", code), new("redirect_uri", attempt.RedirectUri), new("code_verifier", attempt.CodeVerifier)],
                cancellationToken);
            if (status is < 200 or >= 300)
            {
                var error = ProviderCalls.ErrorOf(body);
                return (null, $"{ProviderCalls.Shown(tokenEndpoint)} answered {status}{(error is null ? "" : $" error={ProviderCalls.Short(error)}")}");
            }

            return body is { ValueKind: JsonValueKind.Object } answer && answer.TryGetProperty("id_token", out var idToken) && idToken.ValueKind == JsonValueKind.String
                ? (idToken.GetString(), null)
                : (null, "the provider's token response has no id_token");
        }
        catch (ProviderUnavailableException e)
        {
            logger.LogWarning("A sign-in through trust {Trust} could not redeem its code: {Reason}", trust.Name, e.Message);
            return (null, e.Message);
        }
    }

    /// <summary>The ID token by the trust's rules, for our client at the provider as its audience, with our nonce (and max_age, when asked).</summary>
    private async Task<(AssertionClaims? Claims, string? UserClaimValue, string? Problem)> CheckIdTokenAsync(TrustRecord trust, string clientId, string idToken,
        BrokerAttempt attempt, CancellationToken cancellationToken)
    {
        var settings = trust.Settings with { ClientIds = [clientId], JtiCheck = false };
        var result = await ExternalTokens.ValidateAsync(idToken, settings, await keys.KeysAsync(trust, false, cancellationToken), time.GetUtcNow());
        if (result.Failure == AssertionFailure.UnknownKey)
        {
            result = await ExternalTokens.ValidateAsync(idToken, settings, await keys.KeysAsync(trust, true, cancellationToken), time.GetUtcNow());
        }

        if (!result.IsValid)
        {
            return (null, null, $"the ID token: {result.Reason}");
        }

        return BrokeredSignIn.IdTokenProblem(result.Claims!.Token, attempt.Nonce, clientId, attempt.MaxAge, time.GetUtcNow())
            is { } problem ? (null, null, problem) : (result.Claims, result.UserClaimValue, null);
    }

    private async Task<CompleteSignInReply> RefuseAsync(CompleteSignInRequest request, TrustRecord? trust, BrokerAttempt? attempt, string reason,
        CancellationToken cancellationToken)
    {
        await audit.WriteAsync(new FederatedSignInRefused(trust?.Name ?? ProviderCalls.Short(request.Trust), attempt?.ClientId)
        {
            Actor = attempt?.ClientId is { } client ? AuditActor.Client(client) : AuditActor.None,
            Outcome = AuditOutcome.Failure,
            Reason = reason,
            RemoteAddress = NullIfEmpty(request.RemoteAddress),
        }, cancellationToken);
        // The pending request only to the browser that began the sign-in: it may try again there.
        return new CompleteSignInReply { Ok = false, Reason = reason, PendingRequest = attempt?.PendingRequest ?? "", DisplayName = trust?.ShownName ?? "" };
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
