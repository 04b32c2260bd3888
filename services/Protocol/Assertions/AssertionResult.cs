namespace OAuthAspire.Protocol.Assertions;

/// <summary>The outcome of validating an assertion: its claims when valid, else why not.</summary>
public sealed record AssertionResult(AssertionFailure Failure, AssertionClaims? Claims, string Detail = "")
{
    public bool IsValid => Failure == AssertionFailure.None;

    /// <summary>A short reason for the audit trail (never echoed to the caller).</summary>
    public string Reason => Detail.Length == 0 ? Failure.ToString() : $"{Failure}: {Detail}";
}
