using Grpc.Core;

namespace OAuthAspire.ServiceDefaults.Data;

/// <summary>
/// The names of ours (scopes, trusts) one client uses as client-registry saved it at
/// <paramref name="Version"/>; a deleted client uses none.
/// </summary>
public sealed record ClientUses(string ClientId, long Version, bool Deleted, IReadOnlyList<string> Names)
{
    /// <summary>From a call of client-registry: a client id and a version from 1 on are required (an empty message names no client).</summary>
    public static ClientUses FromCall(string clientId, long version, bool deleted, IEnumerable<string> names)
    {
        RequireClient(clientId, version);
        return new ClientUses(clientId, version, deleted, names.Distinct(StringComparer.Ordinal).ToArray());
    }

    /// <summary>Throws InvalidArgument unless a client id and a version from 1 on are given.</summary>
    public static void RequireClient(string clientId, long version)
    {
        if (clientId.Length == 0 || version < 1)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "A client id and a client version from 1 on are required."));
        }
    }
}

/// <summary>A recorded use: the client version that claimed or confirmed it.</summary>
public sealed record ClientUse(string Name, long Version);
