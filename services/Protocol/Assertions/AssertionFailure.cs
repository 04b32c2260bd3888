namespace OAuthAspire.Protocol.Assertions;

/// <summary>Why a signed JWT (a client's assertion or a provider's token) was refused.</summary>
public enum AssertionFailure
{
    None,
    Malformed,
    AlgorithmNotAllowed,
    UnknownKey,
    BadSignature,
    WrongIssuer,
    WrongAudience,
    Expired,
    NotYetValid,
    IssuedInTheFuture,
    LifetimeTooLong,
    MissingSubject,
    WrongSubject,
    MissingJti,
    Replayed,
    MissingClaim,

    /// <summary>The JWT says it is another kind (a request object, a DPoP proof, an access token): never an assertion.</summary>
    WrongType,

    /// <summary>The provider's introspection endpoint says the token is not active (revoked, expired, or never its).</summary>
    Inactive,
}
