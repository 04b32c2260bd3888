namespace OAuthAspire.Edge.Security;

/// <summary>Why the edge refused a call's proof of possession (DPoP or certificate): the status, the challenge and the RFC error.</summary>
public sealed record ProofRefusal(int Status, string Challenge, string Error, string Description);
