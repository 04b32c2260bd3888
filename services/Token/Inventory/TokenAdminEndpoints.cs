using Grpc.Core;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.Token.Clients;
using OAuthAspire.Token.Users;

namespace OAuthAspire.Token.Inventory;

/// <summary>Exactly one of: an access token's <c>jti</c>, a refresh family, every token of a client, every token of a user (by user name).</summary>
public sealed record RevokeTokensDto(string? Jti = null, Guid? FamilyId = null, string? Client = null, string? User = null);

/// <summary><c>/api/admin/tokens</c>: the inventory of issued tokens, and revocation by token, family, client or user.</summary>
public static class TokenAdminEndpoints
{
    public static IEndpointRouteBuilder MapTokenAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var tokens = endpoints.MapAdminGroup("/api/admin/tokens", "Tokens");
        tokens.MapGet("", ListAsync).WithSummary("List issued access tokens and refresh families, newest first").Produces<KeysetPage<IssuedTokenDto>>().ProducesValidationProblem();
        tokens.MapPost("/revoke", RevokeAsync).WithSummary("Revoke a token, a refresh family, or everything of a client or a user").Produces<TokensRevokedDto>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    /// <param name="type"><c>access_token</c>, <c>refresh_token</c> (families), or absent for both.</param>
    /// <param name="client">Only this client's.</param>
    /// <param name="user">Only this user's (user name).</param>
    /// <param name="active">Only live (true) or only ended (false) ones.</param>
    /// <param name="after">The previous page's <c>next</c>.</param>
    /// <param name="limit">1-200, default 50.</param>
    private static async Task<IResult> ListAsync(string? type, string? client, string? user, bool? active, string? after, int? limit,
        TokenInventory inventory, UserDirectory users, CancellationToken cancellationToken)
    {
        var errors = new Validation();
        if (type is not (null or TokenInventory.AccessToken or TokenInventory.RefreshToken))
        {
            errors.Add("type", $"must be {TokenInventory.AccessToken} or {TokenInventory.RefreshToken}");
        }

        if (!KeysetCursor.TryDecode(after, out var cursor))
        {
            errors.Add("after", "must be the next value of a previous page");
        }

        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.Errors);
        }

        string? subject = null;
        if (user is not null)
        {
            // An unknown user holds no tokens: an empty page, as for an unknown client.
            subject = (await users.FindByNameAsync(user, cancellationToken))?.SysId;
            if (subject is null)
            {
                return TypedResults.Ok(new KeysetPage<IssuedTokenDto>([], null));
            }
        }

        var page = await inventory.ListAsync(new TokenQuery(type, client, subject, active, cursor, Paging.From(0, limit).Limit),
            id => UserNameOfAsync(users, id, cancellationToken), cancellationToken);
        return TypedResults.Ok(page);
    }

    /// <summary>A name shown beside the sys_id; the inventory still answers while the directory is away (an incident is when it is read).</summary>
    private static async ValueTask<string?> UserNameOfAsync(UserDirectory users, string sysId, CancellationToken cancellationToken)
    {
        try
        {
            return (await users.GetAsync(sysId, cancellationToken))?.UserName;
        }
        catch (RpcException)
        {
            return null;
        }
    }

    private static async Task<IResult> RevokeAsync(RevokeTokensDto body, TokenRevocations revocations, RegisteredClients clients, UserDirectory users,
        HttpContext http, CancellationToken cancellationToken)
    {
        var named = new[] { body.Jti, body.FamilyId?.ToString(), body.Client, body.User }.Count(value => !string.IsNullOrEmpty(value));
        if (named != 1)
        {
            return TypedResults.ValidationProblem(new Validation().Add("body", "name exactly one of jti, familyId, client, user").Errors);
        }

        var actor = http.Caller().Actor;
        var address = http.Connection.RemoteIpAddress?.ToString();
        TokensRevokedDto? revoked;
        if (body.Jti is { Length: > 0 } jti)
        {
            revoked = await revocations.RevokeAccessTokenAsync(jti, actor, address, cancellationToken);
        }
        else if (body.FamilyId is { } familyId)
        {
            revoked = await revocations.RevokeFamilyAsync(familyId, actor, address, cancellationToken);
        }
        else if (body.Client is { Length: > 0 } clientId)
        {
            revoked = await clients.FindAsync(clientId, cancellationToken) is null ? null
                : await revocations.RevokeAllOfAsync(CutOffs.Client, clientId, actor, address, cancellationToken);
        }
        else
        {
            revoked = await users.FindByNameAsync(body.User!, cancellationToken) is { } found
                ? await revocations.RevokeAllOfAsync(CutOffs.User, found.SysId, actor, address, cancellationToken)
                : null;
        }

        return revoked is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: "No such token, family, client or user.")
            : TypedResults.Ok(revoked);
    }
}
