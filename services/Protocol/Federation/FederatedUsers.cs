namespace OAuthAspire.Protocol.Federation;

/// <summary>
/// Which local user a trusted provider's token stands for, and which users it may never stand for.
/// A mutable claim (an address, a display name) names a user only the first time: the provider's
/// subject (<c>iss</c>, <c>sub</c>) is then linked to that user, later tokens of the subject map to
/// it whatever the claim says by then, and no other subject of the trust can map to it. That is
/// what <c>email_verified</c> alone cannot give: a multi-tenant provider ("nOAuth") lets another
/// tenant's user claim, even verify, someone else's address.
/// </summary>
public static class FederatedUsers
{
    public const string Inactive = "the mapped user is inactive";
    public const string Privileged = "mapped user holds an administrative role";

    /// <summary>Only a mutable claim needs the link: a stable one (sub, oid) already is the provider's subject.</summary>
    public static bool LinksBySubject(TrustSettings trust) => TrustTemplates.IsMutable(trust.UserClaim);

    /// <summary>
    /// Where to look the user up: by sys_id when the token's subject is linked (and the trust links),
    /// else by the trust's user field holding the claim.
    /// </summary>
    public static (string Field, string Value) Lookup(TrustSettings trust, string? linkedUserSysId, string claimValue) =>
        linkedUserSysId is not null && LinksBySubject(trust) ? ("sys_id", linkedUserSysId) : (trust.UserField, claimValue);

    /// <summary>
    /// Signing in through the provider: by the subject's link when a sign-in made it; else by a stable
    /// claim (an administrator's arranged mapping, e.g. user_name = the provider's oid); never by a
    /// mutable one (an address): an existing local account is not handed to whoever the provider says
    /// owns its email. A link an API token made is never taken either: its user was named by the
    /// token's claim, perhaps an address another tenant claimed. Null: no existing user may be looked
    /// up (only automatic creation can follow).
    /// </summary>
    /// <param name="signInMayFollow">Whether the subject's link (when there is one) was made by a sign-in or a creation for the subject.</param>
    public static (string Field, string Value)? SignInLookup(TrustSettings trust, string? linkedUserSysId, bool signInMayFollow, string claimValue) =>
        linkedUserSysId is not null ? (signInMayFollow ? ("sys_id", linkedUserSysId) : null)
        : LinksBySubject(trust) ? null
        : (trust.UserField, claimValue);

    /// <summary>Null when a token may act as this user, else why not.</summary>
    /// <param name="adminRoles">The roles that admit to the admin APIs.</param>
    public static string? Refusal(TrustSettings trust, bool active, IEnumerable<string> roles, IReadOnlySet<string> adminRoles) =>
        !active ? Inactive
        : !trust.AllowPrivilegedUsers && roles.Any(adminRoles.Contains) ? Privileged
        : null;

    /// <summary>
    /// After a new link could not be recorded: null when the subject got linked to this very user
    /// meanwhile (a concurrent first call), else why the token is refused (the user already belongs
    /// to another subject of the trust, or the subject to another user).
    /// </summary>
    public static string? LinkRefusal(TrustSettings trust, string userSysId, string? subjectLinkedTo) =>
        subjectLinkedTo == userSysId
            ? null
            : $"the user the token's {trust.UserClaim} names is linked to another subject of this trust";
}
