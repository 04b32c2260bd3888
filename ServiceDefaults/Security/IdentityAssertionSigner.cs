using System.Collections.Concurrent;
using System.Text.Json;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// Makes the edge's identity assertions (<see cref="IdentityAssertion"/>), signed with its service
/// key. A caller's assertion is reused, like a service token, until less than 20 s of it remain, so a
/// busy federated client costs one signature a minute, not one per call.
/// </summary>
public sealed class IdentityAssertionSigner(ServiceTokenSigner signer, TimeProvider time)
{
    private const int Capacity = 1024;
    private readonly ConcurrentDictionary<string, SignedToken> _recent = new(StringComparer.Ordinal);

    public string For(string audience, EdgeIdentity identity)
    {
        // Every field, unambiguously: two identities must never share an assertion.
        var key = JsonSerializer.Serialize(new object?[] { audience, identity.Subject, identity.UserName, identity.ClientId, identity.Scopes, identity.Roles, identity.Trust, identity.Binding,
            identity.Method, identity.Path });
        if (_recent.TryGetValue(key, out var recent) && recent.ExpiresAt - time.GetUtcNow() >= ServiceTokenSigner.RenewBefore)
        {
            return recent.Token;
        }

        var signed = signer.Sign(audience, IdentityAssertion.TokenType, IdentityAssertion.Lifetime, IdentityAssertion.ClaimsOf(identity));
        if (_recent.Count >= Capacity)
        {
            _recent.Clear();
        }

        _recent[key] = signed;
        return signed.Token;
    }
}
