using System.Text.Json;
using System.Text.Json.Serialization;

namespace OAuthAspire.Protocol;

/// <summary>Serializer settings for protocol documents: names are explicit, absent members are left out.</summary>
public static class ProtocolJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
