namespace OAuthAspire.ServiceDefaults.Grpc;

/// <summary>
/// The services (<see cref="ServiceNames"/>) that may call this RPC. Written on every RPC override
/// of a gRPC service; an RPC without it, or with no names, is refused to every caller (fail closed).
/// Read by <see cref="AllowedCallersInterceptor"/> from the endpoint's metadata, where
/// Grpc.AspNetCore puts the method's attributes.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class AllowedCallersAttribute : Attribute
{
    public AllowedCallersAttribute(params string[] callers) => Callers = callers;

    public IReadOnlyList<string> Callers { get; }

    public bool Allows(string caller) => Callers.Contains(caller, StringComparer.Ordinal);
}
