namespace OAuthAspire.Contracts.Audit;

/// <summary>
/// A device asked for authorization (RFC 8628 §3.1); <paramref name="DeviceCodeId"/> is a prefix of
/// its device code's hash, never the device code or the user code.
/// </summary>
public sealed record DeviceAuthorizationStarted(string ClientId, IReadOnlyList<string> Scopes, string DeviceCodeId, DateTimeOffset ExpiresAt) : AuditEvent;

/// <summary>A signed-in user approved a device's request on the verification page (RFC 8628 §3.3).</summary>
public sealed record DeviceAuthorizationApproved(string ClientId, string UserSysId, string DeviceCodeId, IReadOnlyList<string> Scopes) : AuditEvent;

/// <summary>A signed-in user denied a device's request on the verification page.</summary>
public sealed record DeviceAuthorizationDenied(string ClientId, string UserSysId, string DeviceCodeId) : AuditEvent;

/// <summary>An approved device code was exchanged for tokens; Jti is the access token issued.</summary>
public sealed record DeviceCodeRedeemed(string ClientId, string UserSysId, string DeviceCodeId, string Jti) : AuditEvent;

/// <summary>A redeemed device code was presented again: everything its redemption issued has been revoked.</summary>
public sealed record DeviceCodeReplayDetected(string ClientId, string DeviceCodeId, IReadOnlyList<string> RevokedJtis) : AuditEvent;

/// <summary>
/// A device polled sooner than its interval and was told to slow down (RFC 8628 §3.5); recorded
/// once per device code, with the interval it must keep from now on.
/// </summary>
public sealed record DevicePollingTooFast(string ClientId, string DeviceCodeId, int Interval) : AuditEvent;

/// <summary>
/// A signed-in user typed a user code that names no live device request. <paramref name="SessionKey"/>
/// identifies the sign-in session (a keyed hash, never the cookie); <paramref name="SessionMisses"/>
/// counts its wrong codes in the current window.
/// </summary>
public sealed record UserCodeRejected(string UserSysId, string SessionKey, int SessionMisses) : AuditEvent;

/// <summary>
/// Too many wrong user codes: <paramref name="Scope"/> (<c>session</c>, <c>user</c>, <c>address</c>
/// or <c>global</c>) may look up no code, not even a right one, until <paramref name="Until"/>.
/// </summary>
public sealed record DeviceVerificationLocked(string Scope, string Key, DateTimeOffset Until) : AuditEvent;

/// <summary>
/// Alert: wrong user codes from everyone together passed the alert rate (<paramref name="Misses"/> in
/// the minute from <paramref name="WindowStart"/>, written again for every further rate's worth):
/// someone may be guessing codes from many addresses.
/// </summary>
public sealed record UserCodeGuessingDetected(int Misses, DateTimeOffset WindowStart) : AuditEvent;
