using OAuthAspire.Protocol.Errors;
using OAuthAspire.Token.Clients;

namespace OAuthAspire.Token.Endpoints;

/// <summary>
/// The caller of a back-channel endpoint once <see cref="ClientAuthenticator"/> has checked it:
/// the client, or the refusal to answer with.
/// </summary>
/// <param name="Client">The authenticated, active client; null when refused.</param>
/// <param name="ClientId">The authenticated client's id, else the id the request claimed (for the audit trail; may be null).</param>
/// <param name="Error">The RFC 6749 §5.2 refusal; null when authenticated.</param>
/// <param name="Reason">Why, for the audit trail, when it says more than the error's description.</param>
public readonly record struct AuthenticatedClient(RegisteredClient? Client, string? ClientId, ProtocolError? Error, string? Reason);
