namespace OAuthAspire.Contracts.Audit;

/// <summary>A service refused an internal gRPC call: no valid service token (Caller is then the unverified claim or "(none)"), or a caller not on the RPC's allow-list. Never carries the token.</summary>
public sealed record InternalCallRefused(string Caller, string Method, string Problem) : AuditEvent;
