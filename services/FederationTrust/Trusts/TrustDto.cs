using OAuthAspire.Protocol.Federation;

namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>
/// The admin API's trust (camelCase JSON). Omitted fields take the template's defaults. Every answer
/// carrying a trust also carries <c>warnings</c>: what the saved settings risk (a mutable user
/// claim, privileged users allowed), empty when nothing; read-only, ignored on input.
/// </summary>
public sealed record TrustDto(string? Name, string? Template, string? Issuer, string? MetadataUrl, string[]? ClientIds, string? UserClaim,
    string? UserField, string[]? Algorithms, int? ClockSkew, bool? JtiCheck, bool? AutoProvision, string[]? Scopes, bool? Active,
    bool? AllowPrivilegedUsers = null)
{
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public TrustRecord ToRecord(Guid id)
    {
        var template = Template ?? TrustTemplates.Generic;
        var issuer = Issuer ?? "";
        return new TrustRecord
        {
            Id = id,
            Name = Name ?? "",
            Template = template,
            Issuer = issuer,
            MetadataUrl = MetadataUrl ?? (issuer.Length > 0 ? TrustTemplates.DefaultMetadataUrl(issuer) : ""),
            ClientIds = (ClientIds ?? []).Distinct().ToArray(),
            UserClaim = UserClaim ?? TrustTemplates.DefaultUserClaim(template),
            UserField = UserField ?? "user_name",
            Algorithms = Algorithms is { Length: > 0 } algorithms ? algorithms.Distinct().ToArray() : ["RS256"],
            ClockSkew = ClockSkew ?? 300,
            JtiCheck = JtiCheck ?? false,
            AutoProvision = AutoProvision ?? false,
            Scopes = (Scopes ?? []).Distinct().ToArray(),
            Active = Active ?? true,
            AllowPrivilegedUsers = AllowPrivilegedUsers ?? false,
        };
    }
}
