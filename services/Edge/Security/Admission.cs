namespace OAuthAspire.Edge.Security;

/// <summary>A bearer token's admission: the caller it speaks for, or why it is refused (401 invalid_token).</summary>
public readonly record struct Admission(AdmittedCaller Caller, string? Refusal)
{
    public static Admission Refused(string reason) => new(default, reason);
}
