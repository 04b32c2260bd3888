using Microsoft.AspNetCore.Identity;

namespace OAuthAspire.Directory.Users;

/// <summary>
/// Password hashing with ASP.NET Core Identity's PasswordHasher (PBKDF2, per-user salt). A check
/// for a user who does not exist still runs one full hash, so timing does not reveal who exists.
/// </summary>
public sealed class Passwords
{
    private readonly PasswordHasher<string> _hasher = new();
    private readonly string _decoy;

    public Passwords() => _decoy = _hasher.HashPassword("decoy", Guid.NewGuid().ToString("N"));

    public string Hash(string password) => _hasher.HashPassword("user", password);

    /// <summary>True when <paramref name="password"/> matches; costs the same with a null hash.</summary>
    public bool Verify(string? hash, string password)
    {
        var result = _hasher.VerifyHashedPassword("user", hash ?? _decoy, password);
        return hash is not null && result != PasswordVerificationResult.Failed;
    }
}
