using System.Security.Cryptography;

namespace OAuthAspire.Protocol.Device;

/// <summary>
/// User codes (RFC 8628 §6.1): eight characters from twenty consonants, shown as <c>BCDF-GHJK</c>:
/// no vowels (no words), nothing that reads like a digit, about 34.5 bits. What a user types is
/// compared ignoring case, punctuation and spaces; anything else is not a code at all.
/// </summary>
public static class UserCodes
{
    public const string Alphabet = "BCDFGHJKLMNPQRSTVWXZ";

    public const int Length = 8;

    /// <summary>A new random code in its canonical form (no dash).</summary>
    public static string New() => string.Create(Length, 0, static (chars, _) =>
    {
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
    });

    /// <summary>The code as shown to the user: <c>BCDF-GHJK</c>.</summary>
    public static string Display(string code) => code.Length == Length ? $"{code[..4]}-{code[4..]}" : code;

    /// <summary>
    /// The canonical form of what a user typed: upper-cased, without punctuation and spaces. Null when it
    /// cannot be a code (wrong length or a character outside the alphabet): such input is never looked up.
    /// </summary>
    public static string? Normalize(string? typed)
    {
        if (typed is null || typed.Length > 32)
        {
            return null;
        }

        Span<char> chars = stackalloc char[Length];
        var count = 0;
        foreach (var c in typed)
        {
            // §6.1: punctuation and spaces (a dash, an en dash, a dot) are ignored; letters and digits are not.
            if (!char.IsLetterOrDigit(c))
            {
                continue;
            }

            var upper = char.ToUpperInvariant(c);
            if (count == Length || !Alphabet.Contains(upper))
            {
                return null;
            }

            chars[count++] = upper;
        }

        return count == Length ? new string(chars) : null;
    }
}
