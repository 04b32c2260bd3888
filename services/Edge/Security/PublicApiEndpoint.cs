namespace OAuthAspire.Edge.Security;

/// <summary>
/// Marks an endpoint of the edge's own under <c>/api</c> that needs no token (the admin API's contract
/// and reference). The API gate lets a request through only when routing chose such an endpoint, never by path.
/// </summary>
public sealed class PublicApiEndpoint
{
    public static readonly PublicApiEndpoint Instance = new();

    private PublicApiEndpoint()
    {
    }

    public static bool Chosen(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<PublicApiEndpoint>() is not null;
}
