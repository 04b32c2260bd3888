namespace OAuthAspire.Protocol.Dpop;

/// <summary>What a DPoP proof must match on the request it came with (RFC 9449 §4.3).</summary>
/// <param name="Method">The request's HTTP method; <c>htm</c> must equal it exactly.</param>
/// <param name="Uris">
/// The acceptable <c>htu</c> values, already in <see cref="DpopProtocol.NormalizeUri"/> form: the request's
/// URI, and any other name the server answers to for it (an alias path, the public host behind a proxy).
/// </param>
/// <param name="AccessToken">At a resource, the access token sent: the proof must carry its <c>ath</c>. Null at the token endpoint (ath is then ignored).</param>
/// <param name="MaxAge">How long after its <c>iat</c> a proof is accepted.</param>
/// <param name="ClockSkew">Tolerance for the client's clock, both ways.</param>
public sealed record DpopProofExpectations(string Method, IReadOnlyList<string> Uris, string? AccessToken, TimeSpan MaxAge, TimeSpan ClockSkew);
